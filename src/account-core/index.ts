export type * from './types.js';
export { createEmbeddedAccountCore, seedAccountCore, type EmbeddedAccountCore, type EmbeddedAccountCoreDeps } from './embedded-core.js';
export { createHttpAccountCore, type HttpAccountCoreOptions } from './http-client.js';
export { createAccountCoreRouter, DEFAULT_BODY_LIMIT, type AccountCoreRouterOptions } from './http-router.js';
export { createAccountCorePagesRouter, type AccountCorePagesOptions, type PageRenderer } from './pages-router.js';
export {
  createEmbeddedOutbox,
  createMailForwardingOutbox,
  createSmtpMailSender,
  createStoredOutbox,
  type MailSender,
  type OutgoingMessage,
  type Outbox,
} from './outbox.js';
export { createArgon2Hasher, type PasswordHasher, type RandomBytes } from './secrets.js';
export { parseAccountSeed, readAccountSeedFile, type AccountSeed } from './seed.js';
export { CORE_LIMITS } from './limits.js';
export type { DueDateCalendar } from './context.js';
export { setUpAccountCore, type AccountCoreSetup, type AccountCoreSetupDeps } from './setup.js';

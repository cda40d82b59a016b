export type * from './types.js';
export { createEmbeddedAccountCore, seedAccountCore, type EmbeddedAccountCore, type EmbeddedAccountCoreDeps } from './embedded-core.js';
export { createHttpAccountCore, type HttpAccountCoreOptions } from './http-client.js';
export { createAccountCoreRouter, END_USER_HEADER, type AccountCoreRouterOptions } from './http-router.js';
export { CORE_OPERATIONS, DEFAULT_BODY_LIMIT, type OperationName } from './operations.js';
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
export { CORE_LIMITS, coreLimitsView } from './limits.js';
export type { DueDateCalendar } from './context.js';
export { setUpAccountCore, type AccountCoreSetup, type AccountCoreSetupDeps } from './setup.js';

import type { Express } from 'express';
import { WorkingDayCalendar } from '../calendar/working-days.js';
import type { Config } from '../config.js';
import type { Render } from '../render/renderer.js';
import type { Storage } from '../storage/types.js';
import type { DueDateCalendar } from './context.js';
import { createEmbeddedAccountCore, seedAccountCore, type EmbeddedAccountCore } from './embedded-core.js';
import { createHttpAccountCore } from './http-client.js';
import { createAccountCoreRouter } from './http-router.js';
import { createEmbeddedOutbox, createMailForwardingOutbox, createSmtpMailSender, type Outbox } from './outbox.js';
import { createAccountCorePagesRouter, type PageRenderer } from './pages-router.js';
import type { AccountCore } from './types.js';

export interface AccountCoreSetupDeps {
  config: Pick<Config, 'accountCore' | 'publicUrl' | 'smtp'>;
  storage: Storage;
  render: Render;
  pages: PageRenderer;
  calendar?: DueDateCalendar;
  clock?: () => Date;
  onError?: (error: unknown, operation: string) => void;
}

export interface AccountCoreSetup {
  /** What the assistant calls: the remote core when `ACCOUNT_CORE_URL` is set, else the embedded one. */
  core: AccountCore;
  /** The embedded core, when this process runs it. */
  embedded?: EmbeddedAccountCore;
  /** Mounts `/core/v1` and the `/core` pages when the core is embedded; does nothing for a remote core. */
  mount(app: Express): void;
  /** Releases the SMTP transport, if any. */
  close(): void;
}

/**
 * Composition for main.ts: picks the remote or embedded core from the configuration, seeds the
 * embedded one when its store has never been seeded, and forwards e-mail when `SMTP_URL` is set.
 */
export async function setUpAccountCore(deps: AccountCoreSetupDeps): Promise<AccountCoreSetup> {
  const { accountCore } = deps.config;
  if (accountCore.remoteUrl) {
    const core = createHttpAccountCore({ baseUrl: accountCore.remoteUrl, token: accountCore.apiToken, render: deps.render });
    return { core, mount: () => {}, close: () => {} };
  }
  const clock = deps.clock ?? (() => new Date());
  let outbox: Outbox = createEmbeddedOutbox(deps.storage, clock);
  const mail = deps.config.smtp.outboundUrl ? createSmtpMailSender(deps.config.smtp.outboundUrl) : undefined;
  if (mail) outbox = createMailForwardingOutbox(outbox, { mail, from: deps.config.smtp.supportAddress });
  const embedded = createEmbeddedAccountCore({
    storage: deps.storage,
    render: deps.render,
    calendar: deps.calendar ?? new WorkingDayCalendar(),
    outbox,
    publicUrl: deps.config.publicUrl,
    clock,
    onError: deps.onError,
  });
  await seedAccountCore(embedded, accountCore.seedFile);
  return {
    core: embedded,
    embedded,
    mount(app) {
      app.use('/core/v1', createAccountCoreRouter(embedded, { render: deps.render, apiToken: accountCore.apiToken }));
      app.use('/core', createAccountCorePagesRouter(embedded, { pages: deps.pages }));
    },
    close: () => mail?.close(),
  };
}

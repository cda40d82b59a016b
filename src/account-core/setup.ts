import http from 'node:http';
import express, { type Express } from 'express';
import { WorkingDayCalendar } from '../calendar/working-days.js';
import type { Config } from '../config.js';
import type { Render } from '../render/renderer.js';
import { createRateLimits, type RateLimits } from '../security/rate-limits.js';
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
  /** Shared limiters (Redis-backed when the service has Redis); in-memory ones otherwise. */
  rateLimits?: RateLimits;
  onError?: (error: unknown, operation: string) => void;
}

export interface AccountCoreSetup {
  /** What the assistant calls: the remote core when `ACCOUNT_CORE_URL` is set, else the embedded one. */
  core: AccountCore;
  /** The embedded core, when this process runs it. */
  embedded?: EmbeddedAccountCore;
  /** Mounts the public pages (`/core/reset`, `/core/activate`, `/core/register`) when the core is embedded. */
  mount(app: Express): void;
  /**
   * Starts the core's HTTP API on its own port (`CORE_PORT` on `CORE_HOST`) when the operator
   * asked for it; resolves with the bound port, or `undefined` when the API is off.
   */
  listenApi(): Promise<number | undefined>;
  /** Stops the API listener and releases the SMTP transport, if any. */
  close(): Promise<void>;
}

/**
 * Composition for main.ts: picks the remote or embedded core from the configuration, seeds the
 * embedded one when its store has never been seeded, and forwards e-mail when `SMTP_URL` is set.
 * The core's API never shares the public port: it runs on `CORE_PORT` (loopback by default), and
 * only with `CORE_API_TOKEN` set.
 */
export async function setUpAccountCore(deps: AccountCoreSetupDeps): Promise<AccountCoreSetup> {
  const { accountCore } = deps.config;
  if (accountCore.remoteUrl) {
    if (!accountCore.apiToken) throw new Error('ACCOUNT_CORE_URL needs CORE_API_TOKEN: the remote core answers only with it');
    const core = createHttpAccountCore({ baseUrl: accountCore.remoteUrl, token: accountCore.apiToken, render: deps.render });
    return { core, mount: () => {}, listenApi: async () => undefined, close: async () => {} };
  }
  const clock = deps.clock ?? (() => new Date());
  const rateLimits = deps.rateLimits ?? createRateLimits();
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
    rateLimits,
    onError: deps.onError,
  });
  await seedAccountCore(embedded, accountCore.seedFile);

  let apiServer: http.Server | undefined;
  return {
    core: embedded,
    embedded,
    mount(app) {
      app.use('/core', createAccountCorePagesRouter(embedded, { pages: deps.pages, rateLimits }));
    },
    async listenApi() {
      const { api, apiToken } = accountCore;
      if (!api || !apiToken) return undefined;
      const app = express();
      app.disable('x-powered-by');
      app.use('/core/v1', createAccountCoreRouter(embedded, { render: deps.render, apiToken, rateLimits }));
      app.use((_req, res) => void res.status(404).json({ error: { code: 'not_found', message: deps.render('core/errors/not_found', {}) } }));
      const server = http.createServer(app);
      apiServer = server;
      return new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(api.port, api.host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : api.port);
        });
      });
    },
    async close() {
      if (apiServer?.listening) {
        apiServer.closeAllConnections();
        await new Promise<void>((resolve) => apiServer!.close(() => resolve()));
      }
      mail?.close();
    },
  };
}

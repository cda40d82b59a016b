import http from 'node:http';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { setUpAccountCore, type AccountCoreSetup } from './account-core/setup.js';
import type { AccountCore } from './account-core/types.js';
import { WorkingDayCalendar } from './calendar/working-days.js';
import { DeliveryRouter } from './channels/delivery.js';
import { createWebChat, createWebChatHistory } from './channels/web/web-chat.js';
import { jsonErrorHandler } from './http/error-handler.js';
import { requestId } from './http/request-id.js';
import { createRateLimits, type RateLimits } from './security/rate-limits.js';
import { wechatOfficialAccountModule } from './channels/wechat-oa/module.js';
import { wechatyModule } from './channels/wechaty/module.js';
import type { Config } from './config.js';
import { createCoordination } from './coordination/coordination.js';
import { createAssistant, type Assistant } from './conversation/assistant.js';
import { CommandWords } from './conversation/commands.js';
import { guidedFlowsModule } from './conversation/flows/module.js';
import { unknownFlowReferences } from './conversation/flows/flow-registry.js';
import { helpdeskModule } from './helpdesk/module.js';
import type { ConversationState, UnansweredLog } from './conversation/types.js';
import type { FeatureModule, ServiceContext } from './feature-module.js';
import { loadKnowledge, type KnowledgeBase } from './knowledge/loader.js';
import { Matcher } from './knowledge/matcher.js';
import { createLogger } from './logging.js';
import { metricsEndpoint, requestTimer } from './observability/http-metrics.js';
import { ServiceMetrics } from './observability/metrics.js';
import { watchStorageErrors } from './observability/storage-errors.js';
import { createPageEnvironment, createTextRenderer } from './render/renderer.js';
import { openStorage } from './storage/open-storage.js';
import type { Storage } from './storage/types.js';

/** The running service: its express app, its assistant, and how to stop it. */
export interface Service {
  app: express.Express;
  assistant: Assistant;
  context: ServiceContext;
  /** Starts listening on `config.port` (0 = any free port); resolves with the bound port. */
  listen(): Promise<number>;
  close(): Promise<void>;
}

export type { FeatureModule, ServiceContext } from './feature-module.js';

export interface ServiceOptions {
  /** Rate limits to use instead of fresh in-memory ones (tests, or Redis-backed when instances share one). */
  rateLimits?: RateLimits;
  config: Config;
  clock?: () => Date;
  logger?: Logger;
  /** Storage to use instead of the configured one (SQLite in `config.dataDir`, or DATABASE_URL) (tests). */
  storage?: Storage;
  /** An account core to use instead of the configured one (tests). */
  core?: AccountCore;
  /** Feature modules to use instead of the standard set (tests). */
  modules?: FeatureModule[];
  /** Whether modules may open ports and start bots (default true). */
  listeners?: boolean;
  /** An already loaded knowledge base and trained matcher (tests share one per worker). */
  knowledge?: { knowledge: KnowledgeBase; matcher: Matcher };
}

/** The standard features, in mounting order. */
function standardModules(): FeatureModule[] {
  return [guidedFlowsModule(), wechatOfficialAccountModule(), wechatyModule(), helpdeskModule()];
}

/** Builds the whole service from its configuration: the composition root's body. */
export async function createService(options: ServiceOptions): Promise<Service> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? (() => new Date());
  const metrics = new ServiceMetrics();
  const coordination = await createCoordination({ redisUrl: config.redis?.url, keyPrefix: config.redis?.keyPrefix, logger });
  const openedStorage =
    options.storage ??
    (await openStorage(config, {
      clock,
      onError: (error) => logger.error({ err: error }, 'database connection error'),
      onQuarantine: (event) => logger.error(event, 'stored document no longer parses; moved to quarantined_documents'),
    }));
  const storage = watchStorageErrors(openedStorage, (store, operation) => metrics.storageErrors.inc({ store, operation }));
  const knowledge = options.knowledge?.knowledge ?? loadKnowledge(config.knowledgeDir);
  const render = createTextRenderer(config.templatesDir);
  const unansweredLog = storage.log<Parameters<UnansweredLog['record']>[0]>('unanswered');
  const pages = createPageEnvironment(config.templatesDir);
  const calendar = new WorkingDayCalendar({ operatorDir: path.join(config.knowledgeDir, 'calendar') });
  const rateLimits = options.rateLimits ?? createRateLimits({ redis: coordination.redis, keyPrefix: `${config.redis?.keyPrefix ?? ''}rl` });
  let coreSetup: AccountCoreSetup | undefined;
  if (!options.core) {
    coreSetup = await setUpAccountCore({
      config,
      calendar,
      rateLimits,
      storage,
      render,
      pages,
      clock,
      onError: (error, operation) => logger.error({ err: error, operation }, 'account core operation failed'),
    });
  }
  const core = options.core ?? coreSetup!.core;
  const context: ServiceContext = {
    config,
    logger,
    clock,
    rateLimits,
    storage,
    knowledge,
    matcher: options.knowledge?.matcher ?? new Matcher(knowledge),
    commands: new CommandWords(knowledge.lexicon.commands),
    render,
    pages,
    delivery: new DeliveryRouter(),
    core,
    calendar,
    flows: new Map(),
    unanswered: { record: (entry) => unansweredLog.append(entry) },
    listeners: options.listeners ?? true,
    coordination,
    metrics,
    turnListeners: [],
  };

  const modules = options.modules ?? standardModules();
  for (const module of modules) await module.prepare?.(context);
  // Knowledge names flows by name; a name no module registered is a typo or a feature left out.
  for (const reference of unknownFlowReferences(knowledge, context.flows)) {
    logger.warn(reference, 'knowledge entry leads into a flow that is not registered; the entry is answered without it');
  }

  const webHistory = createWebChatHistory(context);
  const sessions = storage.documents<ConversationState>('sessions');

  const assistant = createAssistant({
    ...context,
    sessions,
    publicUrl: config.publicUrl,
    conversationLock: coordination.conversationLock,
    onMatch: (match) => metrics.recordMatch(match),
    onLockWait: (seconds) => metrics.conversationLockWaits.observe(seconds),
    onTurn: (turn) => {
      for (const listener of context.turnListeners ?? []) listener(turn);
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestTimer(metrics));
  app.use(requestId());
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:', 'blob:'], scriptSrc: ["'self'"], styleSrc: ["'self'"] },
      },
    }),
  );
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/metrics', metricsEndpoint({ metrics, render, token: config.metricsToken }));
  coreSetup?.mount(app);
  app.use(await createWebChat({ context, assistant, sessions, history: webHistory }));
  for (const module of modules) await module.install?.(app, context, assistant);
  app.use((_req, res) => void res.status(404).json({ error: render('api/error', { code: 'not-found' }) }));
  app.use(jsonErrorHandler(render, logger));

  let server: http.Server | undefined;
  return {
    app,
    assistant,
    context,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        server = http.createServer(app);
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const address = server!.address();
          resolve(typeof address === 'object' && address ? address.port : config.port);
        });
      }).then(async (port) => {
        // The core's own API port (CORE_PORT), when the operator asked for one.
        const corePort = await coreSetup?.listenApi();
        if (corePort !== undefined) logger.info({ port: corePort, host: config.accountCore.api?.host }, 'account-core API listening');
        return port;
      }),
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      for (const module of [...modules].reverse()) await module.close?.();
      await coreSetup?.close();
      await storage.close();
      await coordination.close();
    },
  };
}

import type express from 'express';
import type { Logger } from 'pino';
import type { AccountCore } from './account-core/types.js';
import type { WorkingDayCalendar } from './calendar/working-days.js';
import type { DeliveryRouter } from './channels/delivery.js';
import type { Config } from './config.js';
import type { Coordination } from './coordination/coordination.js';
import type { RateLimits } from './security/rate-limits.js';
import type { Assistant, TurnNotice } from './conversation/assistant.js';
import type { CommandWords } from './conversation/commands.js';
import type { FlowDefinition, FlowName, HelpdeskPort, UnansweredLog } from './conversation/types.js';
import type { KnowledgeBase } from './knowledge/loader.js';
import type { Matcher } from './knowledge/matcher.js';
import type { ServiceMetrics } from './observability/metrics.js';
import type { createPageEnvironment, Render } from './render/renderer.js';
import type { Storage } from './storage/types.js';

/** Shared services every feature module is built from. */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  clock: () => Date;
  storage: Storage;
  knowledge: KnowledgeBase;
  matcher: Matcher;
  commands: CommandWords;
  render: Render;
  pages: ReturnType<typeof createPageEnvironment>;
  delivery: DeliveryRouter;
  core: AccountCore;
  /** The holiday calendar every due date is placed on (shared by the core's reviews and the tickets). */
  calendar: WorkingDayCalendar;
  flows: Map<FlowName, FlowDefinition>;
  helpdesk?: HelpdeskPort;
  unanswered: UnansweredLog;
  /** False for in-process tools (terminal chat): modules must not open ports or start bots. */
  listeners: boolean;
  /** Locks, dedupe, token cache and pub/sub shared with other instances (Redis), or kept in process. */
  coordination?: Coordination;
  /** Prometheus metrics served at /metrics. */
  metrics?: ServiceMetrics;
  /** The service's named rate limits (memory, or Redis when instances share one). */
  rateLimits: RateLimits;
  /** Modules that want to hear of every stored chat turn add a listener here during `prepare`. */
  turnListeners?: ((turn: TurnNotice) => void)[];
}

/**
 * A feature that plugs into the service (account core API, help desk, WeChat, e-mail...).
 * `prepare` runs before the assistant exists (register flows, the help desk port, senders);
 * `install` mounts routes and starts listeners once it does; `close` stops them.
 */
export interface FeatureModule {
  name: string;
  prepare?(context: ServiceContext): Promise<void> | void;
  install?(app: express.Express, context: ServiceContext, assistant: Assistant): Promise<void> | void;
  close?(): Promise<void> | void;
}

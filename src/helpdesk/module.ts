import cookieParser from 'cookie-parser';
import type { Request, Response } from 'express';
import type { WorkingDayCalendar } from '../calendar/working-days.js';
import { parseInboundMail } from './mail/inbound-mail.js';
import { createMailTransport, Mailer, sentMailLogSchema, type MailTransport } from './mail/mailer.js';
import { DEFAULT_MAX_MAIL_BYTES, MailRefusal, startSmtpListener, type SmtpListener } from './mail/smtp-listener.js';
import { createSenderVerifier, type MailDnsResolver } from './mail/mail-auth.js';
import type { Assistant } from '../conversation/assistant.js';
import type { FeatureModule, ServiceContext } from '../feature-module.js';
import { AgentDirectory, argon2Hasher, type AgentHasher } from './console/agents.js';
import { createAgentApiRouter } from './console/api-router.js';
import { AuditTrail } from './tickets/audit.js';
import { CalendarRecomputer } from './tickets/calendar-recompute.js';
import { createCalendarPageRouter } from './tickets/calendar-page-router.js';
import { createNoticePageRouter } from './outcomes/notice-page-router.js';
import { withReviewOutcomes } from './outcomes/review-decisions.js';
import { SignedLinks } from './outcomes/signed-links.js';
import { UserNotices, type ReviewOrigin } from './outcomes/user-notices.js';
import { ConsoleAuth, type Audience } from './console/console-auth.js';
import { createConsoleRouter } from './console/console-router.js';
import { ConsoleService } from './console/console-service.js';
import { EmailIntake } from './mail/email-intake.js';
import { createEscalateFlow } from './escalation/escalate-flow.js';
import { loadEscalateWords } from './escalation/escalate-words.js';
import { createHelpdeskPort } from './escalation/helpdesk-port.js';
import { createChannelNotifier } from './tickets/notifier.js';
import { SessionStore } from './console/sessions.js';
import { SlaPolicy } from './tickets/sla.js';
import { TicketStore } from './tickets/ticket-store.js';
import { registerHelpdeskGauges } from '../observability/helpdesk-gauges.js';
import { TicketService } from './tickets/ticket-service.js';
import type { UnansweredEntry } from './console/unanswered-report.js';
import { UploadStash } from './escalation/upload-stash.js';
import path from 'node:path';
import { InProcessMessageBus } from '../coordination/message-bus.js';
import { LearningDesk } from './console/learning.js';
import { LiveQueue } from './console/live-queue.js';
import { MacroBook } from './console/macros.js';
import { DailyCounters } from './console/metrics/daily-counters.js';
import { loadRejectReasons } from './console/reject-reasons.js';
import { loadUrgencyWords } from './tickets/urgency.js';

/** How often the operator calendar files are looked at again. */
const CALENDAR_CHECK_MS = 5 * 60 * 1000;

export interface HelpdeskModuleOptions {
  /** Password hashing for agent accounts (tests pass lower argon2 costs). */
  hasher?: AgentHasher;
  /** Replaces the SMTP_URL transport (tests). */
  mailTransport?: MailTransport;
  /** Holiday calendar (tests may pass one with a narrower coverage). */
  calendar?: WorkingDayCalendar;
  /** Largest inbound mail accepted. */
  maxMailBytes?: number;
  /** DNS lookups for SPF, DKIM and DMARC (tests pass a fake resolver); default: the system's DNS. */
  mailDnsResolver?: MailDnsResolver;
}

/** The parts of a running help desk that tests and tools may reach. */
export interface HelpdeskHandle {
  tickets: TicketService;
  agents: AgentDirectory;
  intake: EmailIntake;
  mailer: Mailer;
  audit: AuditTrail;
  /** Recomputes due dates when the holiday calendar changes (`npm run calendar -- reload`, console). */
  calendar: CalendarRecomputer;
  /** Outcomes sent to users on their channel (agent replies, closings, review decisions). */
  notices: UserNotices;
  /** The holiday calendar the due dates are placed on. */
  workingDays: WorkingDayCalendar;
  links: SignedLinks;
  /** Screenshots of escalations in progress; abandoned ones are swept every {@link STASH_SWEEP_MS}. */
  stash: UploadStash;
  /** The metrics page's daily figures. */
  counters: DailyCounters;
  live: LiveQueue;
}

/** How often abandoned upload stashes are looked for. */
const STASH_SWEEP_MS = 10 * 60 * 1000;

/** The help desk as a feature module, with access to its running parts. */
export interface HelpdeskModule extends FeatureModule {
  /** The port the SMTP listener is bound to, once installed (undefined when not listening). */
  readonly smtpPort: number | undefined;
  readonly handle: HelpdeskHandle | undefined;
}

/**
 * Human agents: the `escalate` flow and handoff, tickets with a three-working-day SLA, the agent
 * console (`/console`) and API (`/api/agent`), and ticket e-mail (SMTP in, `SMTP_URL` out).
 */
export function helpdeskModule(options: HelpdeskModuleOptions = {}): HelpdeskModule {
  let assistant: Assistant | undefined;
  let listener: SmtpListener | undefined;
  let handle: HelpdeskHandle | undefined;
  let mailer: Mailer | undefined;
  let store: TicketStore | undefined;
  let stashSweeper: NodeJS.Timeout | undefined;
  let calendarCheck: NodeJS.Timeout | undefined;

  return {
    name: 'helpdesk',
    get smtpPort() {
      return listener?.port;
    },
    get handle() {
      return handle;
    },

    prepare(context) {
      const { config, storage, clock, logger } = context;
      const supportAddress = config.smtp.supportAddress.toLowerCase();
      store = new TicketStore(storage);
      if (context.metrics) registerHelpdeskGauges(context.metrics, store, clock);
      const calendar = options.calendar ?? context.calendar;
      const audit = new AuditTrail(storage, clock);
      const links = new SignedLinks(storage.documents('helpdesk-secrets'), clock);
      const notices = new UserNotices({
        delivery: context.delivery,
        render: context.render,
        links,
        publicUrl: config.publicUrl,
        origins: storage.documents<ReviewOrigin>('helpdesk-review-origins'),
        clock,
        logger,
      });
      const transport = options.mailTransport ?? (config.smtp.outboundUrl ? createMailTransport(config.smtp.outboundUrl) : undefined);
      if (!transport) logger.info('SMTP_URL not set: help-desk mail is kept in the sent-mail store (console /console/outbox) instead of being sent');
      mailer = new Mailer({ from: config.smtp.supportAddress, transport, log: storage.log('helpdesk-sent-mail', sentMailLogSchema), clock, logger });
      // The intake needs the ticket service and the service's notifier needs the intake's mail replies.
      // eslint-disable-next-line prefer-const -- assigned once the ticket service it needs exists
      let intake: EmailIntake | undefined;
      const live = new LiveQueue(context.coordination?.bus ?? new InProcessMessageBus());
      const counters = new DailyCounters(storage);
      context.turnListeners?.push((turn) => {
        counters.recordTurn(turn.conversationId, turn.at).catch((error: unknown) => logger.warn({ err: error }, 'daily conversation count failed'));
      });
      const tickets = new TicketService({
        store,
        sla: new SlaPolicy(calendar, logger),
        audit,
        clock,
        logger,
        urgencyWords: loadUrgencyWords(config.knowledgeDir),
        onEvent: (event) => {
          const now = clock();
          live.publish(event, now).catch((error: unknown) => logger.warn({ err: error }, 'live queue update not published'));
          counters.recordTicket(event, now).catch((error: unknown) => logger.warn({ err: error }, 'daily ticket count failed'));
        },
        notifier: createChannelNotifier({
          delivery: context.delivery,
          render: context.render,
          logger,
          clock,
          assistant: () => assistant,
          mail: { replyOnTicket: (ticket, text) => intake!.replyOnTicket(ticket, text) },
          notices,
        }),
      });
      intake = new EmailIntake({
        tickets,
        store,
        mailer,
        storage,
        render: context.render,
        audit,
        clock,
        logger,
        supportAddress,
        rateLimits: context.rateLimits,
      });
      const agents = new AgentDirectory(storage, options.hasher ?? argon2Hasher(), clock);
      const recomputer = new CalendarRecomputer({
        calendar,
        tickets,
        core: context.core,
        audit,
        logger,
        placedOn: storage.documents<{ version: string }>('helpdesk-calendar-placed'),
      });
      const stash = new UploadStash(storage, { clock });
      handle = { tickets, agents, intake, mailer, audit, calendar: recomputer, notices, links, workingDays: calendar, stash, counters, live };
      const mailIntake = intake;
      context.delivery.register('email', async (address, replies) => {
        const text = replies.map((reply) => (reply.type === 'text' ? reply.text : reply.url)).join('\n\n');
        if ((await mailIntake.sendNotice(address, text)) === 'failed') throw new Error('notice mail refused by the SMTP_URL server');
      });

      context.helpdesk = { ...createHelpdeskPort(tickets, context.rateLimits), reviewSubmitted: (origin) => notices.recordReviewOrigin(origin) };
      const flow = createEscalateFlow({
        stash,
        words: loadEscalateWords(context.config.knowledgeDir),
        commands: context.commands,
      });
      context.flows.set(flow.name, flow);
    },

    async install(app, context, running) {
      assistant = running;
      const parts = handle!;
      const { config, logger } = context;
      if (config.admin && (await parts.agents.ensureFirstAdmin(config.admin.username, config.admin.password))) {
        logger.info({ admin: config.admin.username }, 'first console admin created from ADMIN_USER');
      }
      // Tickets stored under an older calendar (or none, before the calendar could place every year) get today's dates.
      await parts.calendar.afterStart();
      // A calendar file added or corrected while running is picked up within minutes, on every instance.
      calendarCheck = setInterval(() => {
        parts.calendar.reload('system', 'check').catch((error: unknown) => logger.error({ err: error }, 'calendar check failed'));
      }, CALENDAR_CHECK_MS);
      calendarCheck.unref();
      mountConsole(app, context, parts);
      stashSweeper = setInterval(() => {
        parts.stash.sweep().catch((error: unknown) => logger.warn({ err: error }, 'upload stash sweep failed'));
        parts.counters.pruneMarkers(context.clock()).catch((error: unknown) => logger.warn({ err: error }, 'daily conversation markers not pruned'));
      }, STASH_SWEEP_MS);
      stashSweeper.unref();
      app.use(createNoticePageRouter({ links: parts.links, tickets: parts.tickets, core: context.core, pages: context.pages }));
      if (context.listeners) {
        const relays = new Set(config.smtp.trustedRelays);
        const senders = createSenderVerifier({ resolver: options.mailDnsResolver, mta: config.smtp.supportAddress.split('@')[1], logger });
        try {
          listener = await startSmtpListener({
            host: config.smtp.host,
            port: config.smtp.port,
            acceptAddresses: [config.smtp.supportAddress],
            maxBytes: options.maxMailBytes ?? DEFAULT_MAX_MAIL_BYTES,
            logger,
            name: config.smtp.supportAddress.split('@')[1],
            onMessage: async (raw, envelope) => {
              const parsed = await parseInboundMail(raw, envelope);
              parsed.auth = await senders.verify({
                raw,
                from: parsed.from?.address ?? null,
                mailFrom: envelope.mailFrom,
                remoteAddress: envelope.remoteAddress,
                helo: envelope.helo,
                viaRelay: relays.has(envelope.remoteAddress.replace(/^::ffff:/, '')),
              });
              // Behind a relay, the per-IP limit counts the host the relay received the mail from.
              if (parsed.auth.clientIp) parsed.remoteAddress = parsed.auth.clientIp;
              const outcome = await parts.intake.receive(parsed);
              logger.info({ outcome: outcome.kind, ...('reason' in outcome ? { reason: outcome.reason } : {}), auth: parsed.auth }, 'inbound mail');
              if (outcome.kind === 'deferred') throw new MailRefusal(450, 'Too many new tickets from this sender; try again later');
            },
          });
          logger.info({ host: config.smtp.host, port: listener.port }, 'ticket mail listener ready');
        } catch (error) {
          logger.error({ err: error, port: config.smtp.port }, 'ticket mail listener could not start (SMTP_PORT in use?); e-mail intake is off');
        }
      }
    },

    async close() {
      if (stashSweeper) clearInterval(stashSweeper);
      stashSweeper = undefined;
      clearInterval(calendarCheck);
      await listener?.close();
      listener = undefined;
      mailer?.close();
    },
  };
}

function mountConsole(app: Parameters<NonNullable<FeatureModule['install']>>[0], context: ServiceContext, parts: HelpdeskHandle): void {
  const sessions = new SessionStore(context.storage, context.clock, context.config.sessionSecret);
  if (!context.config.sessionSecret) context.logger.warn('SESSION_SECRET not set: console sessions end when the process restarts');
  const deny = (_req: Request, res: Response, status: 401 | 403, code: string, audience: Audience) => {
    if (audience === 'api') return void res.status(status).json({ error: context.render('console/api-error', { code }), code });
    const html = context.pages.render('console/error.njk', { code, agent: res.locals.agentAuth?.agent ?? null });
    res.status(status).type('html').setHeader('Cache-Control', 'no-store').send(html);
  };
  const auth = new ConsoleAuth({ agents: parts.agents, sessions, secureCookies: context.config.publicUrl.startsWith('https:'), deny });
  const learning = new LearningDesk({
    storage: context.storage,
    knowledgeDir: context.config.knowledgeDir,
    knowledge: context.knowledge,
    matcher: context.matcher,
    clock: context.clock,
    bus: context.coordination?.bus,
    onReloadError: (error) => context.logger.error({ err: error }, 'knowledge reload announced by another instance failed'),
  });
  learning.listen().catch((error: unknown) => context.logger.warn({ err: error }, 'knowledge reloads of other instances will not be heard'));
  const consoleService = new ConsoleService({
    tickets: parts.tickets,
    agents: parts.agents,
    audit: parts.audit,
    // Deciding a photo review also tells the user on the channel they submitted from.
    core: withReviewOutcomes(context.core, parts.notices, context.logger),
    matcher: context.matcher,
    knowledge: context.knowledge,
    unanswered: context.storage.log<UnansweredEntry>('unanswered'),
    sentMail: (limit, filter) => parts.mailer.list(limit, filter),
    sessions,
    rateLimits: context.rateLimits,
    macros: new MacroBook(context.storage, context.clock, path.join(context.config.templatesDir, 'console', 'starter-macros.yaml')),
    learning,
    live: parts.live,
    counters: parts.counters,
    rejectReasons: loadRejectReasons(path.join(context.config.templatesDir, 'console', 'reject-reasons.yaml')),
    clock: context.clock,
  });
  const shared = { auth, console: consoleService };
  app.use('/api/agent', cookieParser(), auth.identify(), createAgentApiRouter({ ...shared, render: context.render }));
  app.use(
    '/console',
    cookieParser(),
    auth.identify(),
    createCalendarPageRouter({ auth, calendar: parts.workingDays, recomputer: parts.calendar, pages: context.pages, clock: context.clock }),
  );
  app.use('/console', cookieParser(), auth.identify(), createConsoleRouter({ ...shared, pages: context.pages, clock: context.clock }));
}

import type { AccountCore, OutboxMessage, ReviewDetail, ReviewListQuery, ReviewSummary } from '../../account-core/types.js';
import type { SentMail } from '../mail/mailer.js';
import type { KnowledgeBase } from '../../knowledge/loader.js';
import type { Matcher } from '../../knowledge/matcher.js';
import { detectImageType, type ImageMime } from '../../media/image-type.js';
import type { AppendLog } from '../../storage/types.js';
import type { AgentDirectory, AgentRole, AgentView } from './agents.js';
import { limitKey, type RateLimits } from '../../security/rate-limits.js';
import type { AgentSession, SessionStore } from './sessions.js';
import type { AuditEntry, AuditTrail } from '../tickets/audit.js';
import { suggestAnswers, type SuggestedAnswer } from './suggestions.js';
import type { SlaStatus } from '../tickets/sla.js';
import type { Ticket, TicketItem } from '../tickets/ticket-types.js';
import type { QueueFilter, QueuePage, QueueRow, TicketService } from '../tickets/ticket-service.js';
import { groupUnanswered, UNANSWERED_WINDOW, type UnansweredEntry, type UnansweredGroup } from './unanswered-report.js';
import { chinaDateTime } from '../../calendar/china-time.js';
import { maskUsername } from '../../privacy/mask.js';
import type { LearningDesk, LearningItem, Proposal } from './learning.js';
import type { LiveQueue, QueueChange } from './live-queue.js';
import { fillMacro, type Macro, type MacroBook, type MacroInput } from './macros.js';
import type { DailyCounters } from './metrics/daily-counters.js';
import { buildMetricsReport, periodEndingToday, type MetricsReport } from './metrics/metrics-report.js';
import type { RejectReason } from './reject-reasons.js';
import type { Result } from '../../domain/result.js';

/** Why a console action did not happen; the routers turn these into status codes and pages. */
export type ConsoleError =
  | 'not-found'
  | 'forbidden'
  | 'closed'
  | 'already-open'
  | 'already-closed'
  | 'empty'
  | 'invalid'
  | 'exists'
  | 'weak-password'
  | 'invalid-username'
  | 'last-admin'
  | 'wrong-password'
  | 'wrong-credentials'
  | 'throttled'
  | 'confirm-needed'
  | 'unknown-topic'
  | 'already-decided'
  | 'knowledge-invalid'
  | 'core';

export type ConsoleResult<T> = Result<T, ConsoleError, { message: string; retryAfterSeconds: number }>;

/** A signed-in agent's new session: the cookie token and the session it names. */
export interface StartedSession {
  agent: AgentView;
  token: string;
  session: AgentSession;
}

export interface ConsoleServiceDeps {
  tickets: TicketService;
  agents: AgentDirectory;
  audit: AuditTrail;
  core: AccountCore;
  matcher: Matcher;
  knowledge: KnowledgeBase;
  unanswered: AppendLog<UnansweredEntry>;
  sentMail: (limit: number, filter?: { ticketId?: string }) => Promise<SentMail[]>;
  sessions: SessionStore;
  rateLimits: RateLimits;
  macros: MacroBook;
  learning: LearningDesk;
  live: LiveQueue;
  counters: DailyCounters;
  /** Preset reasons for rejecting a photo review (`templates/console/reject-reasons.yaml`). */
  rejectReasons: RejectReason[];
  clock: () => Date;
}

/**
 * What agents can do, with the rules of who may do it: anyone signed in reads the queue;
 * a ticket assigned to someone else is theirs to answer, close or reassign (admins excepted).
 * Shared by the HTML console and the JSON API so both enforce the same rules.
 */
export class ConsoleService {
  constructor(private readonly deps: ConsoleServiceDeps) {}

  /**
   * Checks a password from `address`. Failures slow down the address, and the pair of address and
   * account, with growing delays: a stranger guessing elsewhere never slows the agent down, and
   * there is no lock on the account for anyone to renew.
   */
  async login(username: string, password: string, address: string): Promise<ConsoleResult<StartedSession>> {
    const name = username.trim().toLowerCase().slice(0, 64);
    const byAddress = this.deps.rateLimits.delay('agent-login:ip');
    const byPair = this.deps.rateLimits.delay('agent-login:account');
    const addressKey = limitKey.ip(address);
    const pairKey = `${limitKey.account(name)}|${addressKey}`;
    const waitMs = Math.max(await byAddress.waitMs(addressKey), await byPair.waitMs(pairKey));
    if (waitMs > 0) {
      await this.deps.audit.record(name, 'login-throttled');
      return { ok: false, error: 'throttled', retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    const result = await this.deps.agents.login(name, password);
    if (!result.ok) {
      await Promise.all([byAddress.recordFailure(addressKey), byPair.recordFailure(pairKey)]);
      await this.deps.audit.record(name, 'login-failed');
      return { ok: false, error: 'wrong-credentials' };
    }
    await byPair.recordSuccess(pairKey);
    await this.deps.audit.record(result.value.username, 'login');
    return { ok: true, value: await this.startSession(result.value) };
  }

  async logout(agent: AgentView, token: string | undefined): Promise<void> {
    await this.deps.audit.record(agent.username, 'logout');
    await this.deps.sessions.destroy(token);
  }

  /**
   * Changes the agent's own password. Every session of theirs ends (a stolen cookie with it);
   * the one making the change gets a fresh session so they stay signed in.
   */
  async changeOwnPassword(agent: AgentView, current: string, next: string): Promise<ConsoleResult<StartedSession>> {
    if (!(await this.deps.agents.checkPassword(agent.username, current))) return { ok: false, error: 'wrong-password' };
    const result = await this.deps.agents.update(agent.username, { password: next });
    if (!result.ok) return { ok: false, error: result.error };
    await this.deps.audit.record(agent.username, 'password-change', agent.username);
    return { ok: true, value: await this.startSession(result.value) };
  }

  private async startSession(agent: AgentView): Promise<StartedSession> {
    const { token, session } = await this.deps.sessions.create(agent);
    return { agent, token, session };
  }

  queue(filter: QueueFilter): Promise<QueueRow[]> {
    return this.deps.tickets.list(filter);
  }

  /** One page of the queue with the next page's cursor and the counts beside the filters. */
  queuePage(filter: QueueFilter): Promise<QueuePage> {
    return this.deps.tickets.page(filter);
  }

  async ticket(id: string, agent: AgentView): Promise<ConsoleResult<Ticket>> {
    const ticket = await this.deps.tickets.get(id);
    if (!ticket) return { ok: false, error: 'not-found' };
    await this.deps.audit.record(agent.username, 'ticket-view', id);
    return { ok: true, value: ticket };
  }

  /** A ticket's SLA standing now and the items it still lacks, as the pages and the API show them. */
  standing(ticket: Ticket): { sla: SlaStatus; missing: TicketItem[] } {
    return { sla: this.deps.tickets.slaOf(ticket), missing: this.deps.tickets.missingItems(ticket) };
  }

  suggestions(ticket: Ticket): SuggestedAnswer[] {
    const lastUserWords = [...ticket.transcript].reverse().find((entry) => entry.from === 'user' && entry.text)?.text ?? '';
    return suggestAnswers(this.deps, ticket.description || lastUserWords);
  }

  async reply(id: string, agent: AgentView, text: string): Promise<ConsoleResult<{ ticket: Ticket; delivery: string }>> {
    const allowed = await this.mayWork(id, agent);
    if (!allowed.ok) return allowed;
    const result = await this.deps.tickets.reply(id, agent.username, text);
    return result.ok ? result : { ok: false, error: result.error };
  }

  /** `assignee`: a username, `me`, or `null` to unassign. Agents may only take or release tickets. */
  async assign(id: string, agent: AgentView, assignee: string | null): Promise<ConsoleResult<Ticket>> {
    const target = assignee === 'me' ? agent.username : assignee;
    const ticket = await this.deps.tickets.get(id);
    if (!ticket) return { ok: false, error: 'not-found' };
    if (agent.role !== 'admin') {
      const takesFree = target === agent.username && (ticket.assignee === null || ticket.assignee === agent.username);
      const releasesOwn = target === null && ticket.assignee === agent.username;
      if (!takesFree && !releasesOwn) return { ok: false, error: 'forbidden' };
    }
    if (target !== null) {
      const assigneeAccount = await this.deps.agents.get(target);
      if (!assigneeAccount || assigneeAccount.disabled) return { ok: false, error: 'invalid' };
    }
    const result = await this.deps.tickets.assign(id, agent.username, target);
    return result.ok ? result : { ok: false, error: result.error };
  }

  async close(id: string, agent: AgentView): Promise<ConsoleResult<Ticket>> {
    const allowed = await this.mayWork(id, agent);
    if (!allowed.ok) return allowed;
    const result = await this.deps.tickets.close(id, agent.username);
    return result.ok ? result : { ok: false, error: result.error };
  }

  async reopen(id: string, agent: AgentView): Promise<ConsoleResult<Ticket>> {
    const allowed = await this.mayWork(id, agent);
    if (!allowed.ok) return allowed;
    const result = await this.deps.tickets.reopen(id, agent.username);
    return result.ok ? result : { ok: false, error: result.error };
  }

  async screenshot(id: string, agent: AgentView): Promise<ConsoleResult<{ bytes: Buffer; type: ImageMime; ticketId: string }>> {
    const shot = await this.deps.tickets.screenshot(id);
    if (!shot) return { ok: false, error: 'not-found' };
    const bytes = Buffer.from(shot.data, 'base64');
    // The stored type was decided from the bytes on arrival; decide again rather than trust storage.
    const type = await detectImageType(bytes);
    if (!type) return { ok: false, error: 'not-found' };
    await this.deps.audit.record(agent.username, 'screenshot-view', shot.ticketId, { screenshot: id });
    return { ok: true, value: { bytes, type, ticketId: shot.ticketId } };
  }

  // ---- duplicate-ID reviews (account core) ----

  /** One page of reviews, oldest first, and the cursor of the next (null on the last). */
  async reviews(query: ReviewListQuery): Promise<ConsoleResult<{ reviews: ReviewSummary[]; cursor: string | null }>> {
    const result = await this.deps.core.listReviews(query);
    if (result.ok) return { ok: true, value: result.value };
    return { ok: false, error: result.error.code === 'invalid_input' ? 'invalid' : 'core', message: result.error.message };
  }

  async review(id: string, agent: AgentView): Promise<ConsoleResult<ReviewDetail>> {
    const result = await this.deps.core.getReview({ reviewId: id });
    if (!result.ok) return { ok: false, error: result.error.code === 'not_found' ? 'not-found' : 'core', message: result.error.message };
    await this.deps.audit.record(agent.username, 'review-view', id);
    return { ok: true, value: result.value };
  }

  async reviewPhoto(id: string, side: 'front' | 'back'): Promise<ConsoleResult<{ bytes: Buffer; type: ImageMime }>> {
    const result = await this.deps.core.getReview({ reviewId: id });
    if (!result.ok) return { ok: false, error: 'not-found' };
    const bytes = Buffer.from(result.value[side].data, 'base64');
    const type = await detectImageType(bytes);
    return type ? { ok: true, value: { bytes, type } } : { ok: false, error: 'not-found' };
  }

  /** What approving would do: the review, and the other accounts on its ID number (masked) that it cancels for good. */
  async approvalPreview(id: string, agent: AgentView): Promise<ConsoleResult<{ review: ReviewSummary; cancels: string[] }>> {
    const result = await this.review(id, agent);
    if (!result.ok) return result;
    const { front: _front, back: _back, otherHolders, ...review } = result.value;
    return { ok: true, value: { review, cancels: otherHolders.map(maskUsername) } };
  }

  rejectReasons(): RejectReason[] {
    return this.deps.rejectReasons;
  }

  /**
   * Decides a photo review. Approving cancels the other accounts on the ID number for good, so it
   * needs `confirmed` (the agent saw {@link approvalPreview}). A rejection names a preset reason
   * (`reasonId`) or gives its own words.
   */
  async decideReview(
    id: string,
    agent: AgentView,
    decision: 'approve' | 'reject',
    reason: string | undefined,
    options: { confirmed?: boolean; reasonId?: string } = {},
  ): Promise<ConsoleResult<ReviewSummary>> {
    if (decision === 'approve' && !options.confirmed) return { ok: false, error: 'confirm-needed' };
    const preset = options.reasonId ? this.deps.rejectReasons.find((candidate) => candidate.id === options.reasonId) : undefined;
    if (options.reasonId && !preset) return { ok: false, error: 'invalid' };
    const why = [preset?.text, reason?.trim()].filter(Boolean).join(' ');
    if (decision === 'reject' && !why) return { ok: false, error: 'invalid' };
    const result = await this.deps.core.decideReview({ reviewId: id, decision, agent: agent.username, ...(why ? { reason: why } : {}) });
    if (!result.ok) {
      const code = result.error.code;
      const error: ConsoleError =
        code === 'not_found' ? 'not-found' : code === 'already_decided' ? 'already-closed' : code === 'invalid_input' ? 'invalid' : 'core';
      return { ok: false, error, message: result.error.message };
    }
    await this.deps.audit.record(agent.username, 'review-decide', id, { decision, ...(preset ? { reason: preset.id } : {}) });
    return { ok: true, value: result.value };
  }

  // ---- urgency, notes, macros ----

  async setUrgency(id: string, agent: AgentView, urgent: boolean): Promise<ConsoleResult<Ticket>> {
    const allowed = await this.mayWork(id, agent);
    if (!allowed.ok) return allowed;
    const result = await this.deps.tickets.setUrgency(id, agent.username, urgent);
    return result.ok ? result : { ok: false, error: result.error };
  }

  /** Any agent may leave a note for colleagues, on any ticket: it never reaches the user. */
  async addNote(id: string, agent: AgentView, text: string): Promise<ConsoleResult<Ticket>> {
    const result = await this.deps.tickets.addNote(id, agent.username, text);
    return result.ok ? result : { ok: false, error: result.error };
  }

  macros(): Promise<Macro[]> {
    return this.deps.macros.list();
  }

  /** Admins create (no id) or change the team's macros. */
  async saveMacro(admin: AgentView, input: MacroInput, id?: string): Promise<ConsoleResult<Macro>> {
    if (admin.role !== 'admin') return { ok: false, error: 'forbidden' };
    if (id && !(await this.deps.macros.get(id))) return { ok: false, error: 'not-found' };
    const macro = await this.deps.macros.save(input, admin.username, id);
    await this.deps.audit.record(admin.username, 'macro-save', macro.id, { title: macro.title });
    return { ok: true, value: macro };
  }

  async deleteMacro(admin: AgentView, id: string): Promise<ConsoleResult<void>> {
    if (admin.role !== 'admin') return { ok: false, error: 'forbidden' };
    if (!(await this.deps.macros.delete(id))) return { ok: false, error: 'not-found' };
    await this.deps.audit.record(admin.username, 'macro-delete', id);
    return { ok: true, value: undefined };
  }

  /** A macro's text with the ticket's placeholders filled in (username masked), ready to edit and send. */
  async fillMacro(macroId: string, ticketId: string, agent: AgentView): Promise<ConsoleResult<string>> {
    const [macro, ticket] = await Promise.all([this.deps.macros.get(macroId), this.deps.tickets.get(ticketId)]);
    if (!macro || !ticket) return { ok: false, error: 'not-found' };
    return {
      ok: true,
      value: fillMacro(macro.body, {
        username: ticket.username ? maskUsername(ticket.username) : '',
        ticketId: ticket.id,
        agent: agent.username,
        dueDate: ticket.sla.dueAt ? chinaDateTime(ticket.sla.dueAt).text : '',
      }),
    };
  }

  /** Hears every ticket change on any instance until the returned function is called. */
  watchQueue(listener: (change: QueueChange) => void): Promise<() => void> {
    return this.deps.live.subscribe(listener);
  }

  // ---- learning from unanswered questions ----

  async propose(agent: AgentView, proposal: Proposal): Promise<ConsoleResult<LearningItem>> {
    const result = await this.deps.learning.propose(proposal, agent.username);
    if (!result.ok) return { ok: false, error: 'unknown-topic' };
    await this.deps.audit.record(agent.username, proposal.kind === 'gap' ? 'content-gap' : 'example-propose', result.value.id, {
      topic: result.value.topic,
    });
    return result;
  }

  async proposals(state: LearningItem['state']): Promise<LearningItem[]> {
    return (await this.deps.learning.list(state)).items;
  }

  /** An admin accepts (written to knowledge/learned/, the matcher reloads) or rejects a proposed example. */
  async decideProposal(admin: AgentView, id: string, accept: boolean): Promise<ConsoleResult<LearningItem>> {
    if (admin.role !== 'admin') return { ok: false, error: 'forbidden' };
    const result = await this.deps.learning.decide(id, admin.username, accept);
    if (!result.ok) return { ok: false, error: result.error === 'unknown-topic' ? 'invalid' : result.error, message: result.message };
    await this.deps.audit.record(admin.username, accept ? 'example-accept' : 'example-reject', id, { topic: result.value.topic });
    return result;
  }

  /** The topic title of an id, for reports (the id itself when the topic is gone). */
  topicTitle(id: string): string {
    return this.deps.knowledge.byId.get(id)?.title ?? id;
  }

  /** Topics an example can be attached to, by title. */
  topics(): { id: string; title: string }[] {
    return this.deps.knowledge.entries
      .filter((entry) => entry.kind === 'faq')
      .map((entry) => ({ id: entry.id, title: entry.title }))
      .sort((a, b) => a.title.localeCompare(b.title, 'zh'));
  }

  /** The figures of the last `days` China days, from the kept daily counters. */
  async metrics(days = 30): Promise<MetricsReport> {
    const { from, to } = periodEndingToday(this.deps.clock(), Math.min(Math.max(Math.floor(days), 1), 366));
    const [figures, unanswered] = await Promise.all([this.deps.counters.range(from, to), this.unanswered()]);
    return buildMetricsReport(from, to, figures, unanswered);
  }

  // ---- reports ----

  async outbox(limit = 100): Promise<ConsoleResult<{ core: OutboxMessage[]; mail: SentMail[] }>> {
    const core = await this.deps.core.listOutbox({ limit });
    const mail = await this.deps.sentMail(limit);
    return { ok: true, value: { core: core.ok ? core.value.messages : [], mail } };
  }

  async unanswered(): Promise<UnansweredGroup[]> {
    // The newest questions only, a page at a time: the report costs the same however long the log grows.
    const entries: UnansweredEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.unanswered.page({ limit: 500, cursor });
      entries.push(...page.items);
      cursor = page.cursor ?? undefined;
    } while (cursor && entries.length < UNANSWERED_WINDOW);
    return groupUnanswered(entries.reverse(), this.deps.matcher.analyzer);
  }

  async agent(username: string): Promise<ConsoleResult<AgentView>> {
    const agent = await this.deps.agents.get(username);
    return agent ? { ok: true, value: agent } : { ok: false, error: 'not-found' };
  }

  /** Suggested answers for a ticket, by its id. */
  async suggestionsFor(id: string): Promise<ConsoleResult<SuggestedAnswer[]>> {
    const ticket = await this.deps.tickets.get(id);
    return ticket ? { ok: true, value: this.suggestions(ticket) } : { ok: false, error: 'not-found' };
  }

  /** The unanswered report with what agents already did with each group's question (proposed, gap, accepted). */
  async unansweredWithMarks(): Promise<(UnansweredGroup & { mark: LearningItem | null })[]> {
    const groups = await this.unanswered();
    const marks = await this.deps.learning.marksOf(groups.map((group) => group.example));
    return groups.map((group) => ({ ...group, mark: marks.get(group.example) ?? null }));
  }

  audit(limit = 300, filter: { actor?: string; target?: string } = {}): Promise<AuditEntry[]> {
    return this.deps.audit.recent(limit, filter);
  }

  // ---- agents ----

  async listAgents(): Promise<AgentView[]> {
    return (await this.deps.agents.list()).agents;
  }

  async createAgent(actor: AgentView, input: { username: string; password: string; role: AgentRole }): Promise<ConsoleResult<AgentView>> {
    const result = await this.deps.agents.create(input, actor.username);
    if (result.ok) await this.deps.audit.record(actor.username, 'agent-create', result.value.username, { role: input.role });
    return result;
  }

  async updateAgent(
    actor: AgentView,
    username: string,
    change: { role?: AgentRole; disabled?: boolean; password?: string },
  ): Promise<ConsoleResult<AgentView>> {
    const result = await this.deps.agents.update(username, change);
    if (result.ok) {
      await this.deps.audit.record(actor.username, 'agent-update', result.value.username, {
        role: change.role ?? null,
        disabled: change.disabled ?? null,
        passwordReset: change.password !== undefined,
      });
    }
    return result;
  }

  private async mayWork(id: string, agent: AgentView): Promise<ConsoleResult<Ticket>> {
    const ticket = await this.deps.tickets.get(id);
    if (!ticket) return { ok: false, error: 'not-found' };
    if (agent.role !== 'admin' && ticket.assignee !== null && ticket.assignee !== agent.username) return { ok: false, error: 'forbidden' };
    return { ok: true, value: ticket };
  }
}

/** HTTP status for each console error. */
export function statusOf(error: ConsoleError): number {
  switch (error) {
    case 'not-found':
      return 404;
    case 'forbidden':
      return 403;
    case 'closed':
    case 'already-open':
    case 'already-closed':
    case 'exists':
    case 'last-admin':
    case 'already-decided':
      return 409;
    case 'confirm-needed':
      return 428;
    case 'core':
      return 502;
    case 'wrong-credentials':
      return 401;
    case 'throttled':
      return 429;
    default:
      return 400;
  }
}

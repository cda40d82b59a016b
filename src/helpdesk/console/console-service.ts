import type { AccountCore, OutboxMessage, ReviewDetail, ReviewState, ReviewSummary } from '../../account-core/types.js';
import type { SentMail } from '../mail/mailer.js';
import type { KnowledgeBase } from '../../knowledge/loader.js';
import type { Matcher } from '../../knowledge/matcher.js';
import { detectImageType, type ImageMime } from '../../media/image-type.js';
import type { AppendLog } from '../../storage/types.js';
import type { AgentChangeResult, AgentDirectory, AgentRole, AgentView } from './agents.js';
import { limitKey, type RateLimits } from '../../security/rate-limits.js';
import type { AgentSession, SessionStore } from './sessions.js';
import type { AuditEntry, AuditTrail } from '../tickets/audit.js';
import { suggestAnswers, type SuggestedAnswer } from './suggestions.js';
import type { Ticket } from '../tickets/ticket-types.js';
import type { QueueFilter, QueuePage, QueueRow, TicketService } from '../tickets/ticket-service.js';
import { groupUnanswered, UNANSWERED_WINDOW, type UnansweredEntry, type UnansweredGroup } from './unanswered-report.js';

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
  | 'core';

export type ConsoleResult<T> = { ok: true; value: T } | { ok: false; error: ConsoleError; message?: string; retryAfterSeconds?: number };

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
    await this.deps.audit.record(result.agent.username, 'login');
    return { ok: true, value: await this.startSession(result.agent) };
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
    return { ok: true, value: await this.startSession(result.agent) };
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

  async reviews(status: ReviewState | undefined): Promise<ConsoleResult<ReviewSummary[]>> {
    const result = await this.deps.core.listReviews({ status });
    return result.ok ? { ok: true, value: result.value.reviews } : { ok: false, error: 'core', message: result.error.message };
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

  async decideReview(
    id: string,
    agent: AgentView,
    decision: 'approve' | 'reject',
    reason: string | undefined,
  ): Promise<ConsoleResult<ReviewSummary>> {
    const why = reason?.trim();
    if (decision === 'reject' && !why) return { ok: false, error: 'invalid' };
    const result = await this.deps.core.decideReview({ reviewId: id, decision, agent: agent.username, ...(why ? { reason: why } : {}) });
    if (!result.ok) {
      const code = result.error.code;
      const error: ConsoleError =
        code === 'not_found' ? 'not-found' : code === 'already_decided' ? 'already-closed' : code === 'invalid_input' ? 'invalid' : 'core';
      return { ok: false, error, message: result.error.message };
    }
    await this.deps.audit.record(agent.username, 'review-decide', id, { decision });
    return { ok: true, value: result.value };
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

  audit(limit = 300, filter: { actor?: string; target?: string } = {}): Promise<AuditEntry[]> {
    return this.deps.audit.recent(limit, filter);
  }

  // ---- agents ----

  async listAgents(): Promise<AgentView[]> {
    return (await this.deps.agents.list()).agents;
  }

  async createAgent(actor: AgentView, input: { username: string; password: string; role: AgentRole }): Promise<ConsoleResult<AgentView>> {
    const result = await this.deps.agents.create(input, actor.username);
    if (result.ok) await this.deps.audit.record(actor.username, 'agent-create', result.agent.username, { role: input.role });
    return changeResult(result);
  }

  async updateAgent(
    actor: AgentView,
    username: string,
    change: { role?: AgentRole; disabled?: boolean; password?: string },
  ): Promise<ConsoleResult<AgentView>> {
    const result = await this.deps.agents.update(username, change);
    if (result.ok) {
      await this.deps.audit.record(actor.username, 'agent-update', result.agent.username, {
        role: change.role ?? null,
        disabled: change.disabled ?? null,
        passwordReset: change.password !== undefined,
      });
    }
    return changeResult(result);
  }

  private async mayWork(id: string, agent: AgentView): Promise<ConsoleResult<Ticket>> {
    const ticket = await this.deps.tickets.get(id);
    if (!ticket) return { ok: false, error: 'not-found' };
    if (agent.role !== 'admin' && ticket.assignee !== null && ticket.assignee !== agent.username) return { ok: false, error: 'forbidden' };
    return { ok: true, value: ticket };
  }
}

function changeResult(result: AgentChangeResult): ConsoleResult<AgentView> {
  return result.ok ? { ok: true, value: result.agent } : { ok: false, error: result.error };
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
      return 409;
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

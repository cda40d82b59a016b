import type { Logger } from 'pino';
import type { ChannelName } from '../../conversation/types.js';
import type { Result } from '../../domain/result.js';
import { redactSensitive } from '../../privacy/mask.js';
import type { AuditTrail } from './audit.js';
import { checkScreenshot, displayName, extensionOf, MAX_SCREENSHOTS_PER_TICKET } from './screenshots.js';
import { StorageQueryError, type ListQuery, type Page } from '../../storage/types.js';
import type { SlaClock, SlaPolicy, SlaStatus } from './sla.js';
import { NOBODY, QUEUE_LANES, queueEntryOf, type QueueLane, type StoredScreenshot, type TicketKey, type TicketStore } from './ticket-store.js';
import { findUrgencyWords } from './urgency.js';
import type { DeliveryOutcome, QueueEntry, ScreenshotRef, Ticket, TicketDraft, TicketEntry, TicketItem } from './ticket-types.js';

/** Longest text kept from one message or description. */
export const MAX_MESSAGE_CHARS = 5000;
/** Transcript lines kept per ticket; the oldest go first. */
const TRANSCRIPT_LIMIT = 500;

/** How a ticket reaches its user, and what happens to the conversation around it. Wired by the module. */
export interface TicketNotifier {
  /** Sends an agent's reply on the ticket's channel. */
  agentReply(ticket: Ticket, text: string, agent: string): Promise<DeliveryOutcome>;
  /** The ticket was closed: hand the conversation back to the assistant. */
  closed(ticket: Ticket): Promise<void>;
  /** The ticket was reopened: the conversation goes back to the agents. */
  reopened(ticket: Ticket): Promise<void>;
}

export type TicketFailure = 'not-found' | 'closed' | 'already-open' | 'already-closed' | 'empty';
export type TicketResult<T = Ticket> = Result<T, TicketFailure>;

/** A user's message arriving on a ticket after it was opened. */
export interface UserMessage {
  text?: string;
  images?: { name: string; type: string; data: Buffer }[];
  subject?: string;
  html?: string;
  automatic?: boolean;
  /** Fills the ticket's username or description when they are still missing. */
  fill?: { username?: string; description?: string };
}

export interface QueueFilter {
  status?: 'open' | 'closed' | 'all';
  channel?: ChannelName;
  /** An agent's username, `unassigned`, or nothing for everyone. */
  assignee?: string;
  sla?: 'breached' | 'warning' | 'not-covered';
  /** A ticket number, or the username a user gave (exact, any case). */
  query?: string;
  /** The `cursor` of the previous page. */
  cursor?: string;
  /** Rows per page (default 50, at most 200). */
  limit?: number;
  /**
   * Open tickets only: `attention` lists the agents' turn (urgent first, then by deadline),
   * `user` the tickets waiting on the user. Without it, open tickets list in both, lane by lane.
   */
  lane?: 'attention' | 'user';
}

/** SLA backlogs are counted up to this many ("1000+"): a count never costs more than this many index entries. */
export const QUEUE_COUNT_CAP = 1000;

/** The numbers beside the queue's filters. Static counts are kept as tickets change; SLA counts stop at {@link QUEUE_COUNT_CAP}. */
export interface QueueCounts {
  open: number;
  closed: number;
  /** Open tickets per agent; `unassigned` for nobody's. */
  openByAssignee: Record<string, number>;
  breached: number;
  warning: number;
  notCovered: number;
  /** Open tickets per queue lane. */
  lanes: Record<QueueLane, number>;
}

/** One page of the queue: rows by deadline, the cursor of the next page, and the counts. */
export interface QueuePage {
  rows: QueueRow[];
  cursor: string | null;
  counts: QueueCounts;
}

/** A queue row with its SLA standing, as the console and the API list it. */
export interface QueueRow extends QueueEntry {
  status: Ticket['status'];
  sla: SlaStatus;
}

export interface TicketServiceDeps {
  store: TicketStore;
  sla: SlaPolicy;
  audit: AuditTrail;
  clock: () => Date;
  logger: Logger;
  notifier: TicketNotifier;
  /** Words that suggest urgency (着急, 明天截止, ...), from `knowledge/lexicon/urgency-words.yaml`. */
  urgencyWords?: readonly string[];
  /** Told after a ticket is created or changes (live queue updates, daily counters); must not throw. */
  onEvent?: (event: TicketEvent) => void;
}

/** What happened to a ticket, for live updates and daily counters. */
export interface TicketEvent {
  kind: 'created' | 'replied' | 'closed' | 'reopened' | 'assigned' | 'urgency' | 'noted' | 'message';
  ticket: Ticket;
  /** `replied`: this reply was the first to reach the user (it stopped the SLA clock). */
  firstResponse?: boolean;
}

/** Tickets: creation, messages both ways, assignment, closing and reopening. */
export class TicketService {
  constructor(private readonly deps: TicketServiceDeps) {}

  async create(draft: TicketDraft): Promise<Ticket> {
    const { store, clock } = this.deps;
    const now = clock();
    const id = await store.nextTicketId(now);
    const screenshots = await this.saveScreenshots(id, draft.screenshots, 0);
    const at = now.toISOString();
    const ticket: Ticket = {
      id,
      status: 'open',
      channel: draft.channel,
      userId: draft.userId,
      conversationId: draft.conversationId,
      username: draft.username,
      description: clip(redactSensitive(draft.description)),
      topics: [...new Set(draft.topics)],
      screenshots,
      transcript: draft.transcript
        .map((entry) => ({
          ...entry,
          text: clip(redactSensitive(entry.text)),
          ...(entry.subject ? { subject: redactSensitive(entry.subject) } : {}),
        }))
        .slice(-TRANSCRIPT_LIMIT),
      createdAt: at,
      updatedAt: at,
      sla: this.deps.sla.start(now, id),
      assignee: null,
      waitingOn: 'agent',
      ...(draft.email ? { email: draft.email } : {}),
    };
    const urgencyWords = findUrgencyWords(
      [ticket.description, ...ticket.transcript.filter((entry) => entry.from === 'user').map((entry) => entry.text)],
      this.deps.urgencyWords ?? [],
    );
    ticket.urgency = { urgent: urgencyWords.length > 0, suggestedWords: urgencyWords };
    if (screenshots.length > 0 && !ticket.transcript.some((entry) => entry.screenshotIds)) {
      ticket.transcript.push({ at, from: 'user', text: '', screenshotIds: screenshots.map((shot) => shot.id) });
    }
    await store.insertTicket(ticket);
    this.deps.logger.info(
      { ticketId: id, channel: ticket.channel, slaFlag: ticket.sla.notCovered ? 'calendar-not-covered' : null },
      'ticket created',
    );
    this.emit({ kind: 'created', ticket });
    return ticket;
  }

  get(id: string): Promise<Ticket | undefined> {
    return this.deps.store.tickets.get(id);
  }

  async isOpen(id: string): Promise<boolean> {
    return (await this.get(id))?.status === 'open';
  }

  /** Adds a user's message to an open ticket. A closed ticket is left alone (`closed`). */
  async appendUserMessage(id: string, message: UserMessage): Promise<TicketResult> {
    const ticket = await this.get(id);
    if (!ticket) return { ok: false, error: 'not-found' };
    if (ticket.status !== 'open') return { ok: false, error: 'closed' };
    const shots = await this.saveScreenshots(id, message.images ?? [], ticket.screenshots.length);
    const at = this.deps.clock().toISOString();
    let closedMeanwhile = false;
    const updated = await this.deps.store.updateTicket(id, (current) => {
      if (current.status !== 'open') {
        closedMeanwhile = true;
        return current;
      }
      const entry: TicketEntry = { at, from: 'user', text: clip(redactSensitive(message.text ?? '')) };
      if (shots.length > 0) entry.screenshotIds = shots.map((shot) => shot.id);
      if (message.subject) entry.subject = redactSensitive(message.subject);
      if (message.html) entry.html = message.html;
      if (message.automatic) entry.automatic = true;
      current.screenshots.push(...shots);
      pushEntry(current, entry);
      if (!current.username && message.fill?.username) current.username = message.fill.username;
      if (!current.description && message.fill?.description) current.description = clip(redactSensitive(message.fill.description));
      // An out-of-office notice is no reason to put the ticket back at the agents' door.
      if (!message.automatic) current.waitingOn = 'agent';
      current.updatedAt = at;
      return current;
    });
    if (!updated) return { ok: false, error: 'not-found' };
    if (closedMeanwhile) return { ok: false, error: 'closed' };
    this.emit({ kind: 'message', ticket: updated });
    return { ok: true, value: updated };
  }

  /** An agent's answer: sent on the ticket's channel, recorded with how the sending went. */
  async reply(id: string, agent: string, text: string): Promise<TicketResult<{ ticket: Ticket; delivery: DeliveryOutcome }>> {
    const body = text.trim();
    if (!body) return { ok: false, error: 'empty' };
    const ticket = await this.get(id);
    if (!ticket) return { ok: false, error: 'not-found' };
    if (ticket.status !== 'open') return { ok: false, error: 'closed' };
    let delivery: DeliveryOutcome;
    try {
      delivery = await this.deps.notifier.agentReply(ticket, clip(body), agent);
    } catch (error) {
      this.deps.logger.warn({ err: error, ticketId: id, channel: ticket.channel }, 'agent reply could not be delivered');
      delivery = 'failed';
    }
    const at = this.deps.clock().toISOString();
    let firstResponse = false;
    const updated = await this.deps.store.updateTicket(id, (current) => {
      pushEntry(current, { at, from: 'agent', agent, text: clip(redactSensitive(body)), delivery });
      if (delivery !== 'failed') {
        // The first answer that reached the user stops the SLA clock.
        firstResponse = !current.sla.respondedAt;
        current.sla.respondedAt ??= at;
        current.waitingOn = 'user';
      }
      current.assignee ??= agent;
      current.updatedAt = at;
      return current;
    });
    await this.deps.audit.record(agent, 'ticket-reply', id, { delivery, channel: ticket.channel });
    this.emit({ kind: 'replied', ticket: updated!, firstResponse });
    return { ok: true, value: { ticket: updated!, delivery } };
  }

  async assign(id: string, actor: string, assignee: string | null): Promise<TicketResult> {
    const at = this.deps.clock().toISOString();
    const updated = await this.deps.store.updateTicket(id, (current) => {
      current.assignee = assignee;
      pushEntry(current, { at, from: 'system', text: '', event: 'assigned', agent: assignee ?? undefined });
      current.updatedAt = at;
      return current;
    });
    if (!updated) return { ok: false, error: 'not-found' };
    await this.deps.audit.record(actor, 'ticket-assign', id, { assignee });
    this.emit({ kind: 'assigned', ticket: updated });
    return { ok: true, value: updated };
  }

  async close(id: string, actor: string): Promise<TicketResult> {
    const at = this.deps.clock().toISOString();
    let wasClosed = false;
    const updated = await this.deps.store.updateTicket(id, (current) => {
      if (current.status === 'closed') {
        wasClosed = true;
        return current;
      }
      current.status = 'closed';
      current.closedAt = at;
      current.closedBy = actor;
      pushEntry(current, { at, from: 'system', text: '', event: 'closed', agent: actor });
      current.updatedAt = at;
      return current;
    });
    if (!updated) return { ok: false, error: 'not-found' };
    if (wasClosed) return { ok: false, error: 'already-closed' };
    await this.deps.audit.record(actor, 'ticket-close', id);
    this.emit({ kind: 'closed', ticket: updated });
    await this.deps.notifier
      .closed(updated)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, ticketId: id }, 'handback after close failed'));
    return { ok: true, value: updated };
  }

  /**
   * Opens a closed ticket again. When the user's own message reopens it (`restartClock`), a
   * new three-working-day promise starts from that message.
   */
  async reopen(id: string, actor: string, options: { restartClock?: boolean } = {}): Promise<TicketResult> {
    const now = this.deps.clock();
    const at = now.toISOString();
    let wasOpen = false;
    const updated = await this.deps.store.updateTicket(id, (current) => {
      if (current.status === 'open') {
        wasOpen = true;
        return current;
      }
      current.status = 'open';
      delete current.closedAt;
      delete current.closedBy;
      if (options.restartClock) {
        current.sla = this.deps.sla.start(now, id);
        current.waitingOn = 'agent';
      }
      pushEntry(current, { at, from: 'system', text: '', event: 'reopened', agent: actor });
      current.updatedAt = at;
      return current;
    });
    if (!updated) return { ok: false, error: 'not-found' };
    if (wasOpen) return { ok: false, error: 'already-open' };
    await this.deps.audit.record(actor, 'ticket-reopen', id);
    this.emit({ kind: 'reopened', ticket: updated });
    await this.deps.notifier
      .reopened(updated)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, ticketId: id }, 'handoff after reopen failed'));
    return { ok: true, value: updated };
  }

  /** An agent sets or clears the urgency flag; the words suggested at creation stay for the record. */
  async setUrgency(id: string, actor: string, urgent: boolean): Promise<TicketResult> {
    const at = this.deps.clock().toISOString();
    const updated = await this.deps.store.updateTicket(id, (current) => {
      current.urgency = { suggestedWords: current.urgency?.suggestedWords ?? [], urgent, setBy: actor, setAt: at };
      current.updatedAt = at;
      return current;
    });
    if (!updated) return { ok: false, error: 'not-found' };
    await this.deps.audit.record(actor, 'ticket-urgency', id, { urgent });
    this.emit({ kind: 'urgency', ticket: updated });
    return { ok: true, value: updated };
  }

  /** An internal note for colleagues: stored on the ticket and audited, never sent to the user. */
  async addNote(id: string, agent: string, text: string): Promise<TicketResult> {
    const body = clip(redactSensitive(text.trim()));
    if (!body) return { ok: false, error: 'empty' };
    const at = this.deps.clock().toISOString();
    const updated = await this.deps.store.updateTicket(id, (current) => {
      current.notes = [...(current.notes ?? []), { at, agent, text: body }].slice(-TRANSCRIPT_LIMIT);
      return current;
    });
    if (!updated) return { ok: false, error: 'not-found' };
    await this.deps.audit.record(agent, 'ticket-note', id, { chars: body.length });
    this.emit({ kind: 'noted', ticket: updated });
    return { ok: true, value: updated };
  }

  private emit(event: TicketEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch (error) {
      this.deps.logger.warn({ err: error, ticketId: event.ticket.id, kind: event.kind }, 'ticket event listener failed');
    }
  }

  /** The first page of the queue (see {@link page}). */
  async list(filter: QueueFilter = {}): Promise<QueueRow[]> {
    return (await this.page(filter)).rows;
  }

  /**
   * The queue, a page at a time: filtered through the ticket index, sorted by deadline (tickets
   * without one first, they need a person's eye). Reads one page and the kept counts, whatever
   * the number of tickets. A malformed cursor reads the first page.
   */
  async page(filter: QueueFilter = {}): Promise<QueuePage> {
    const clock = this.deps.sla.clockAt(this.deps.clock());
    const query = queueQuery(filter, clock);
    const counts = await this.counts(clock);
    if (!query) return { rows: [], cursor: null, counts };
    const limit = Math.min(Math.max(Math.floor(filter.limit ?? 50), 1), 200);
    const rowOf = (ticket: Ticket): QueueRow => ({ ...queueEntryOf(ticket), status: ticket.status, sla: clock.status(ticket.sla) });
    if ('ticketId' in query) {
      const ticket = await this.get(query.ticketId);
      const matches = ticket && (filter.status === 'all' || ticket.status === (filter.status ?? 'open'));
      return { rows: matches ? [rowOf(ticket)] : [], cursor: null, counts };
    }
    const lanes = lanesOf(filter);
    if (!lanes) {
      const page = await this.readPage({ ...query, limit }, filter.cursor);
      return { rows: page.items.map(rowOf), cursor: page.cursor, counts };
    }
    // Lane after lane: a page that ends one lane is filled from the next. The cursor names the lane.
    const rows: QueueRow[] = [];
    let { lane: laneIndex, inner } = laneCursor(filter.cursor, lanes.length);
    while (laneIndex < lanes.length && rows.length < limit) {
      const lane = lanes[laneIndex]!;
      const page = await this.readPage({ ...query, where: { ...query.where, lane }, limit: limit - rows.length }, inner);
      rows.push(...page.items.map(rowOf));
      if (page.cursor) {
        inner = page.cursor;
        break;
      }
      laneIndex += 1;
      inner = undefined;
    }
    const more = laneIndex < lanes.length;
    return { rows, cursor: more ? `${laneIndex}~${inner ?? ''}` : null, counts };
  }

  /** One store page; a malformed cursor reads the first page. */
  private async readPage(query: ListQuery<TicketKey>, cursor: string | undefined): Promise<Page<Ticket>> {
    try {
      return await this.deps.store.page({ ...query, cursor });
    } catch (error) {
      if (!(error instanceof StorageQueryError)) throw error;
      return this.deps.store.page(query);
    }
  }

  private async counts(clock: SlaClock): Promise<QueueCounts> {
    const tickets = this.deps.store.tickets;
    const [byLane, byStatus, byAssignee, byClock, breached, warning] = await Promise.all([
      tickets.counts('lane'),
      tickets.counts('status'),
      tickets.counts('openAssignee'),
      tickets.counts('clock'),
      tickets.count({ where: { clock: 'running' }, ...slaRange('breached', clock) }, QUEUE_COUNT_CAP),
      tickets.count({ where: { clock: 'running' }, ...slaRange('warning', clock) }, QUEUE_COUNT_CAP),
    ]);
    const openByAssignee = Object.fromEntries(Object.entries(byAssignee).map(([name, n]) => [name === NOBODY ? 'unassigned' : name, n]));
    return {
      open: byStatus.open ?? 0,
      closed: byStatus.closed ?? 0,
      openByAssignee,
      breached,
      warning,
      notCovered: byClock['not-covered'] ?? 0,
      lanes: Object.fromEntries(QUEUE_LANES.map((lane) => [lane, byLane[lane] ?? 0])) as Record<QueueLane, number>,
    };
  }

  /**
   * Places an open ticket's deadline on the current holiday calendar. Returns the move, or
   * `undefined` when the date stayed (or the ticket is gone or closed).
   */
  async placeOnCalendar(id: string): Promise<{ from: string | null; to: string | null; provisional: boolean } | undefined> {
    const moves = (ticket: Ticket) => {
      const next = this.deps.sla.recompute(ticket.sla, id);
      return next.dueAt !== ticket.sla.dueAt || Boolean(next.provisional) !== Boolean(ticket.sla.provisional);
    };
    // Read first: a start-up pass over every open ticket writes only the ones whose date moves.
    const stored = await this.get(id);
    if (!stored || stored.status !== 'open' || !moves(stored)) return undefined;
    let move: { from: string | null; to: string | null; provisional: boolean } | undefined;
    await this.deps.store.updateTicket(id, (current) => {
      if (current.status !== 'open') return current;
      const next = this.deps.sla.recompute(current.sla, id);
      if (next.dueAt === current.sla.dueAt && Boolean(next.provisional) === Boolean(current.sla.provisional)) return current;
      move = { from: current.sla.dueAt, to: next.dueAt, provisional: Boolean(next.provisional) };
      current.sla = next;
      return current;
    });
    return move;
  }

  slaOf(ticket: Ticket): SlaStatus {
    return this.deps.sla.status(ticket.sla, this.deps.clock());
  }

  async screenshot(id: string): Promise<StoredScreenshot | undefined> {
    return this.deps.store.screenshots.get(id);
  }

  /** The items a ticket still lacks. */
  missingItems(ticket: Pick<Ticket, 'username' | 'description' | 'screenshots'>): TicketItem[] {
    const missing: TicketItem[] = [];
    if (!ticket.username) missing.push('username');
    if (ticket.screenshots.length === 0) missing.push('screenshot');
    if (!ticket.description.trim()) missing.push('description');
    return missing;
  }

  private async saveScreenshots(ticketId: string, images: { name: string; type: string; data: Buffer }[], already: number): Promise<ScreenshotRef[]> {
    const saved: ScreenshotRef[] = [];
    for (const image of images) {
      if (already + saved.length >= MAX_SCREENSHOTS_PER_TICKET) break;
      const check = await checkScreenshot(image.data);
      if (!check.ok) continue;
      const id = this.deps.store.newScreenshotId();
      await this.deps.store.screenshots.put(id, { id, ticketId, type: check.type, data: image.data.toString('base64') });
      saved.push({
        id,
        name: displayName(image.name, `screenshot.${extensionOf(check.type)}`),
        type: check.type,
        size: image.data.length,
        at: this.deps.clock().toISOString(),
      });
    }
    return saved;
  }
}

function pushEntry(ticket: Ticket, entry: TicketEntry): void {
  ticket.transcript.push(entry);
  if (ticket.transcript.length > TRANSCRIPT_LIMIT) ticket.transcript.splice(0, ticket.transcript.length - TRANSCRIPT_LIMIT);
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

const TICKET_NUMBER = /^T\d{12}$/i;

/** The lanes a filter lists one after another; `undefined` when it lists by deadline alone (closed or all tickets). */
function lanesOf(filter: QueueFilter): readonly QueueLane[] | undefined {
  if ((filter.status ?? 'open') !== 'open') return undefined;
  if (filter.lane === 'attention') return ['urgent', 'agent'];
  if (filter.lane === 'user') return ['user'];
  return QUEUE_LANES;
}

/** Reads `<lane index>~<store cursor>`; anything else starts at the first lane. */
function laneCursor(cursor: string | undefined, lanes: number): { lane: number; inner: string | undefined } {
  const match = cursor ? /^(\d)~(.*)$/s.exec(cursor) : null;
  const lane = match ? Number(match[1]) : 0;
  if (!match || lane >= lanes) return { lane: 0, inner: undefined };
  return { lane, inner: match[2] || undefined };
}

/** The index query of a filter; `undefined` when nothing can match (an SLA filter on closed tickets). */
function queueQuery(filter: QueueFilter, clock: SlaClock): Omit<ListQuery<TicketKey>, 'limit' | 'cursor'> | { ticketId: string } | undefined {
  const status = filter.status ?? 'open';
  const text = filter.query?.trim();
  if (text && TICKET_NUMBER.test(text)) return { ticketId: text.toUpperCase() };
  if (filter.sla && status === 'closed') return undefined;
  const where: Partial<Record<TicketKey, string>> = {};
  const assignee = filter.assignee === undefined ? undefined : filter.assignee === 'unassigned' ? NOBODY : filter.assignee;
  if (status === 'open' && assignee !== undefined) where.openAssignee = assignee;
  else {
    if (status !== 'all') where.status = status;
    if (assignee !== undefined) where.assignee = assignee;
  }
  if (filter.channel) where.channel = filter.channel;
  if (text) where.username = text.toLowerCase();
  if (!filter.sla) return { where };
  if (filter.sla === 'not-covered') return { where: { ...where, clock: 'not-covered' } };
  return { where: { ...where, clock: 'running' }, ...slaRange(filter.sla, clock) };
}

/** Deadlines that are past (`breached`) or less than a working day away (`warning`), as a range of the index order. */
function slaRange(sla: 'breached' | 'warning', clock: SlaClock): { orderFrom?: string; orderBefore?: string } {
  // Due at or before now is breached: ISO times compare as strings, to the millisecond.
  const justAfterNow = new Date(clock.now.getTime() + 1).toISOString();
  if (sla === 'breached') return { orderFrom: '0', orderBefore: justAfterNow };
  return { orderFrom: justAfterNow, orderBefore: (clock.warnBefore ?? clock.now).toISOString() };
}

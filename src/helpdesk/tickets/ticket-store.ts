import { randomBytes } from 'node:crypto';
import { chinaDate } from '../../calendar/china-time.js';
import type { ImageMime } from '../../media/image-type.js';
import type { CollectionSchema, DocumentStore, IndexedCollection, ListQuery, Page, Storage } from '../../storage/types.js';
import type { QueueEntry, Ticket } from './ticket-types.js';

/** Screenshot bytes, one document each, so a ticket document stays small. */
export interface StoredScreenshot {
  id: string;
  ticketId: string;
  type: ImageMime;
  /** Base64. */
  data: string;
}

/** Which ticket an e-mail Message-ID belongs to, and who may continue the thread. */
export interface MailThreadLink {
  ticketId: string;
  /** The user's address on that ticket (lower case). */
  address: string;
}

/**
 * What the ticket list filters on. `openAssignee` and `clock` are set on open tickets only, so
 * their counts are the queue's: tickets per agent, and tickets whose SLA clock still runs
 * (`running`: a deadline and no answer yet; `not-covered`: no deadline could be placed).
 */
export type TicketKey = 'status' | 'assignee' | 'openAssignee' | 'clock' | 'requester' | 'channel' | 'username' | 'lane';

/**
 * The queue's lanes of open tickets: `urgent` (flagged, the agents' turn), `agent` (the agents'
 * turn) and `user` (waiting on the user, kept apart). Listed in this order.
 */
export type QueueLane = 'urgent' | 'agent' | 'user';
export const QUEUE_LANES: readonly QueueLane[] = ['urgent', 'agent', 'user'];

export function laneOf(ticket: Pick<Ticket, 'status' | 'waitingOn' | 'urgency'>): QueueLane | null {
  if (ticket.status !== 'open') return null;
  if (ticket.waitingOn === 'user') return 'user';
  return ticket.urgency?.urgent ? 'urgent' : 'agent';
}

/** The stored key value of "nobody" (agent names have at least two characters). */
export const NOBODY = '-';

/** The requester key of a ticket: the channel and the channel's id for the user. */
export function requesterKey(channel: string, userId: string): string {
  return `${channel}:${userId}`;
}

const ticketSchema: CollectionSchema<Ticket, TicketKey> = {
  keys: ['status', 'assignee', 'openAssignee', 'clock', 'requester', 'channel', 'username', 'lane'],
  index: (ticket) => {
    const open = ticket.status === 'open';
    return {
      status: ticket.status,
      assignee: ticket.assignee ?? NOBODY,
      openAssignee: open ? (ticket.assignee ?? NOBODY) : null,
      clock: open && !ticket.sla.respondedAt ? (ticket.sla.dueAt ? 'running' : 'not-covered') : null,
      requester: requesterKey(ticket.channel, ticket.userId),
      channel: ticket.channel,
      username: ticket.username?.toLowerCase() ?? null,
      lane: laneOf(ticket),
    };
  },
  // By deadline; tickets without one sort first, they need a person's eye.
  order: (ticket) => ticket.sla.dueAt,
  // 2: the queue lanes.
  version: 2,
};

/**
 * Persistence of the help desk: one indexed row per ticket (its transcript inside), screenshot
 * bytes apart, Message-ID links, and ticket numbers from a sequence shared by every instance.
 * Creating, changing or listing a ticket costs the same at 1k and at 100k tickets.
 */
export class TicketStore {
  readonly tickets: IndexedCollection<Ticket, TicketKey>;
  readonly screenshots: DocumentStore<StoredScreenshot>;
  readonly mailThreads: DocumentStore<MailThreadLink>;

  constructor(private readonly storage: Storage) {
    this.tickets = storage.collection('helpdesk-tickets', ticketSchema);
    this.screenshots = storage.documents<StoredScreenshot>('helpdesk-screenshots');
    this.mailThreads = storage.documents<MailThreadLink>('helpdesk-mail-threads');
  }

  /** A ticket number people can read out: `T` + China date + daily sequence, e.g. `T202611230007`. */
  async nextTicketId(now: Date): Promise<string> {
    const day = chinaDate(now).replace(/-/g, '');
    const issued = await this.storage.nextNumber(`ticket-${day}`);
    return `T${day}${String(issued).padStart(4, '0')}`;
  }

  /** A random id for a screenshot: its URL must not be guessable from the ticket number. */
  newScreenshotId(): string {
    return `s${randomBytes(12).toString('base64url')}`;
  }

  /** Applies a change to one ticket atomically; its index rows follow in the same transaction. */
  updateTicket(id: string, change: (ticket: Ticket) => Ticket | undefined): Promise<Ticket | undefined> {
    return this.tickets.update(id, (current) => (current ? (change(current) ?? current) : undefined));
  }

  insertTicket(ticket: Ticket): Promise<void> {
    return this.tickets.put(ticket.id, ticket);
  }

  /** One page of tickets, by deadline. */
  page(query: ListQuery<TicketKey>): Promise<Page<Ticket>> {
    return this.tickets.page(query);
  }

  /** A user's tickets on one channel, by deadline. */
  ticketsOf(channel: string, userId: string, limit = 20): Promise<Page<Ticket>> {
    return this.tickets.page({ where: { requester: requesterKey(channel, userId) }, limit });
  }
}

export function queueEntryOf(ticket: Ticket): QueueEntry {
  return {
    id: ticket.id,
    channel: ticket.channel,
    username: ticket.username,
    summary: (ticket.email?.subject || ticket.description).slice(0, 80),
    createdAt: ticket.createdAt,
    dueAt: ticket.sla.dueAt,
    notCovered: ticket.sla.notCovered ?? null,
    ...(ticket.sla.provisional ? { provisional: true } : {}),
    ...(ticket.sla.respondedAt ? { respondedAt: ticket.sla.respondedAt } : {}),
    assignee: ticket.assignee,
    waitingOn: ticket.waitingOn,
    ...(ticket.urgency?.urgent ? { urgent: true } : {}),
  };
}

import { randomBytes } from 'node:crypto';
import { chinaDate } from '../../calendar/china-time.js';
import type { ImageMime } from '../../media/image-type.js';
import type { DocumentStore, Storage } from '../../storage/types.js';
import type { QueueEntry, Ticket } from './ticket-types.js';

/** Screenshot bytes, one document each, so a ticket document stays small. */
export interface StoredScreenshot {
  id: string;
  ticketId: string;
  type: ImageMime;
  /** Base64. */
  data: string;
}

/** The open tickets, in one small document the queue reads without scanning every ticket. */
interface QueueIndex {
  open: Record<string, QueueEntry>;
}

/** Which ticket an e-mail Message-ID belongs to, and who may continue the thread. */
export interface MailThreadLink {
  ticketId: string;
  /** The user's address on that ticket (lower case). */
  address: string;
}

const QUEUE_ID = 'open';

/**
 * Persistence of the help desk: one document per ticket (its transcript inside), screenshot
 * bytes apart, a queue index of open tickets, a per-day ticket counter, and Message-ID links.
 * Appending a message touches only its ticket's document, so its cost does not grow with the
 * number of tickets.
 */
export class TicketStore {
  readonly tickets: DocumentStore<Ticket>;
  readonly screenshots: DocumentStore<StoredScreenshot>;
  private readonly queue: DocumentStore<QueueIndex>;
  private readonly counters: DocumentStore<{ next: number }>;
  readonly mailThreads: DocumentStore<MailThreadLink>;

  constructor(storage: Storage) {
    this.tickets = storage.documents<Ticket>('helpdesk-tickets');
    this.screenshots = storage.documents<StoredScreenshot>('helpdesk-screenshots');
    this.queue = storage.documents<QueueIndex>('helpdesk-queue');
    this.counters = storage.documents<{ next: number }>('helpdesk-counters');
    this.mailThreads = storage.documents<MailThreadLink>('helpdesk-mail-threads');
  }

  /** A ticket number people can read out: `T` + China date + daily sequence, e.g. `T202611230007`. */
  async nextTicketId(now: Date): Promise<string> {
    const day = chinaDate(now).replace(/-/g, '');
    let issued = 0;
    await this.counters.update(day, (current) => {
      issued = current?.next ?? 1;
      return { next: issued + 1 };
    });
    return `T${day}${String(issued).padStart(4, '0')}`;
  }

  /** A random id for a screenshot: its URL must not be guessable from the ticket number. */
  newScreenshotId(): string {
    return `s${randomBytes(12).toString('base64url')}`;
  }

  /** Applies a change to one ticket atomically and keeps the queue index in step with it. */
  async updateTicket(id: string, change: (ticket: Ticket) => Ticket | undefined): Promise<Ticket | undefined> {
    let before: Ticket | undefined;
    const after = await this.tickets.update(id, (current) => {
      if (!current) return undefined;
      before = structuredClone(current);
      return change(current) ?? current;
    });
    if (after && before && queueChanged(before, after)) await this.syncQueue(after);
    return after;
  }

  async insertTicket(ticket: Ticket): Promise<void> {
    await this.tickets.put(ticket.id, ticket);
    await this.syncQueue(ticket);
  }

  /** Open tickets as the queue shows them. */
  async openQueue(): Promise<QueueEntry[]> {
    const index = await this.queue.get(QUEUE_ID);
    return Object.values(index?.open ?? {});
  }

  /** Every ticket: scans all ticket documents. For closed-ticket views and reports only. */
  async allTickets(): Promise<Ticket[]> {
    return this.tickets.list();
  }

  private async syncQueue(ticket: Ticket): Promise<void> {
    await this.queue.update(QUEUE_ID, (index) => {
      const open = { ...(index?.open ?? {}) };
      if (ticket.status === 'open') open[ticket.id] = queueEntryOf(ticket);
      else delete open[ticket.id];
      return { open };
    });
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
  };
}

function queueChanged(before: Ticket, after: Ticket): boolean {
  return JSON.stringify(queueEntryOf(before)) !== JSON.stringify(queueEntryOf(after)) || before.status !== after.status;
}

import { z } from 'zod';
import { chinaDate } from '../../../calendar/china-time.js';
import type { CollectionSchema, IndexedCollection, Storage } from '../../../storage/types.js';
import type { TicketEvent } from '../../tickets/ticket-service.js';

/**
 * The help desk's figures of one China day, kept as things happen so the metrics page reads one
 * small row per day instead of every ticket.
 */
export interface DailyFigures {
  /** China date, `YYYY-MM-DD`. */
  day: string;
  opened: number;
  closed: number;
  /** First agent answers that reached the user, and how many came by the due date. */
  firstResponses: number;
  firstResponsesInSla: number;
  firstResponseMsTotal: number;
  /** Closed tickets, how many were closed by the due date, and the time from opening to closing. */
  resolutionsInSla: number;
  resolutionMsTotal: number;
  /** Distinct chat conversations with at least one turn this day. */
  conversations: number;
  /** Tickets opened this day from a chat conversation (e-mail tickets have none). */
  escalatedConversations: number;
}

const figuresSchema = z.object({
  day: z.string(),
  opened: z.number(),
  closed: z.number(),
  firstResponses: z.number(),
  firstResponsesInSla: z.number(),
  firstResponseMsTotal: z.number(),
  resolutionsInSla: z.number(),
  resolutionMsTotal: z.number(),
  conversations: z.number(),
  escalatedConversations: z.number(),
});

const DAY_LIST: CollectionSchema<DailyFigures, never> = { keys: [], index: () => ({}), order: (figures) => figures.day };

/** "This conversation was counted on this day", listed by day so old markers can be dropped. */
interface SeenMarker {
  key: string;
  day: string;
}
const SEEN_LIST: CollectionSchema<SeenMarker, never> = { keys: [], index: () => ({}), order: (marker) => marker.day };
const PRUNE_PAGE = 200;

export function emptyFigures(day: string): DailyFigures {
  return {
    day,
    opened: 0,
    closed: 0,
    firstResponses: 0,
    firstResponsesInSla: 0,
    firstResponseMsTotal: 0,
    resolutionsInSla: 0,
    resolutionMsTotal: 0,
    conversations: 0,
    escalatedConversations: 0,
  };
}

/** How many conversations this process remembers having counted (a repeat costs one store read otherwise). */
const SEEN_MEMORY = 20_000;

/** Daily counters of tickets and conversations, updated atomically per day (safe across instances). */
export class DailyCounters {
  private readonly days: IndexedCollection<DailyFigures, never>;
  /** One marker per conversation and day, so a conversation counts once a day on every instance. */
  private readonly seen: IndexedCollection<SeenMarker, never>;
  private readonly seenHere = new Set<string>();

  constructor(storage: Storage) {
    this.days = storage.collection('helpdesk-daily-figures', DAY_LIST);
    this.seen = storage.collection('helpdesk-daily-conversations', SEEN_LIST);
  }

  async recordTicket(event: TicketEvent, at: Date): Promise<void> {
    const { ticket } = event;
    if (event.kind === 'created') {
      await this.add(at, (figures) => {
        figures.opened += 1;
        if (ticket.conversationId) figures.escalatedConversations += 1;
      });
    } else if (event.kind === 'replied' && event.firstResponse && ticket.sla.respondedAt) {
      const respondedAt = ticket.sla.respondedAt;
      await this.add(at, (figures) => {
        figures.firstResponses += 1;
        figures.firstResponseMsTotal += Math.max(0, Date.parse(respondedAt) - Date.parse(ticket.sla.startedAt));
        if (ticket.sla.dueAt && respondedAt <= ticket.sla.dueAt) figures.firstResponsesInSla += 1;
      });
    } else if (event.kind === 'closed') {
      const closedAt = ticket.closedAt ?? at.toISOString();
      await this.add(at, (figures) => {
        figures.closed += 1;
        figures.resolutionMsTotal += Math.max(0, Date.parse(closedAt) - Date.parse(ticket.createdAt));
        if (ticket.sla.dueAt && closedAt <= ticket.sla.dueAt) figures.resolutionsInSla += 1;
      });
    }
  }

  /** Counts a conversation once per China day. */
  async recordTurn(conversationId: string, at: Date): Promise<void> {
    const day = chinaDate(at);
    const key = `${day}|${conversationId}`;
    if (this.seenHere.has(key)) return;
    let first = false;
    await this.seen.update(key, (current) => {
      if (current) return current;
      first = true;
      return { key, day };
    });
    if (this.seenHere.size >= SEEN_MEMORY) this.seenHere.clear();
    this.seenHere.add(key);
    if (first) await this.add(at, (figures) => void (figures.conversations += 1));
  }

  /** Drops the per-conversation markers of days before `today` (they only matter while their day lasts); returns how many. */
  async pruneMarkers(now: Date): Promise<number> {
    const today = chinaDate(now);
    let removed = 0;
    for (;;) {
      const { items } = await this.seen.page({ orderBefore: today, limit: PRUNE_PAGE });
      for (const marker of items) {
        await this.seen.delete(marker.key);
        removed += 1;
      }
      if (items.length < PRUNE_PAGE) return removed;
    }
  }

  /** The days from `from` to `to` (China dates, inclusive), missing days as zeros. */
  async range(from: string, to: string): Promise<DailyFigures[]> {
    const page = await this.days.page({ orderFrom: from, orderBefore: `${to}~`, limit: 500 });
    const byDay = new Map<string, DailyFigures>();
    for (const item of page.items) {
      const parsed = figuresSchema.safeParse(item);
      if (parsed.success) byDay.set(parsed.data.day, parsed.data);
    }
    return daysBetween(from, to).map((day) => byDay.get(day) ?? emptyFigures(day));
  }

  private async add(at: Date, change: (figures: DailyFigures) => void): Promise<void> {
    const day = chinaDate(at);
    await this.days.update(day, (current) => {
      const parsed = figuresSchema.safeParse(current);
      const figures = parsed.success ? parsed.data : emptyFigures(day);
      change(figures);
      return figures;
    });
  }
}

/** Every China date from `from` to `to`, inclusive (at most 366). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const cursor = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  while (cursor <= end && days.length < 366) {
    days.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

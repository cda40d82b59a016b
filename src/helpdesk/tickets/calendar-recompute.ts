import type { Logger } from 'pino';
import type { AccountCore, ReviewSummary } from '../../account-core/types.js';
import { MAX_REVIEW_PAGE } from '../../account-core/operations.js';
import type { CalendarFileProblem } from '../../calendar/operator-calendar.js';
import type { WorkingDayCalendar } from '../../calendar/working-days.js';
import type { DocumentStore } from '../../storage/types.js';
import type { AuditTrail } from './audit.js';
import type { TicketService } from './ticket-service.js';

/** Open tickets read per page while recomputing, so memory does not grow with the queue. */
const PAGE_SIZE = 100;

/** What a recompute changed. */
export interface CalendarRecompute {
  /** Whether the operator files changed the calendar (always true for the start-up pass). */
  changed: boolean;
  problems: CalendarFileProblem[];
  operatorYears: number[];
  ticketsMoved: number;
  reviewsMoved: number;
}

export interface CalendarRecomputeDeps {
  calendar: WorkingDayCalendar;
  tickets: TicketService;
  /** The core whose pending reviews derive their due dates from the same calendar. */
  core?: Pick<AccountCore, 'listReviews'>;
  audit: AuditTrail;
  logger: Logger;
  /** The calendar version the stored due dates were last placed on (shared by every instance). */
  placedOn?: DocumentStore<{ version: string }>;
}

/**
 * Keeps due dates in step with the holiday calendar. At start (`afterStart`) every open ticket is
 * placed on the current calendar, which also dates tickets stored without a deadline; on a reload
 * the operator files are read again and, when they changed anything, open tickets and pending
 * reviews are recomputed. Every moved date and every pass is in the audit trail.
 */
export class CalendarRecomputer {
  constructor(private readonly deps: CalendarRecomputeDeps) {}

  async afterStart(actor = 'system'): Promise<CalendarRecompute> {
    const version = this.deps.calendar.version;
    if ((await this.deps.placedOn?.get('calendar'))?.version === version) {
      return { changed: false, problems: [], operatorYears: [], ticketsMoved: 0, reviewsMoved: 0 };
    }
    const ticketsMoved = await this.recomputeTickets(actor);
    await this.deps.placedOn?.put('calendar', { version });
    const result: CalendarRecompute = { changed: true, problems: [], operatorYears: [], ticketsMoved, reviewsMoved: 0 };
    if (ticketsMoved > 0) await this.auditPass(actor, 'start', result);
    return result;
  }

  /**
   * Reads the operator files again and recomputes when they changed. `reload` (an operator asked:
   * console, command) is always audited; `check` (the periodic look at the files) only when it
   * changed something.
   */
  async reload(actor: string, trigger: 'reload' | 'check' = 'reload'): Promise<CalendarRecompute> {
    const before = await this.pendingReviews();
    const load = this.deps.calendar.reload();
    if (trigger === 'reload' || load.changed) {
      for (const problem of load.problems) this.deps.logger.error(problem, 'calendar file left out: fix it and reload');
    }
    const result: CalendarRecompute = { ...load, ticketsMoved: 0, reviewsMoved: 0 };
    if (load.changed) {
      result.ticketsMoved = await this.recomputeTickets(actor);
      result.reviewsMoved = await this.auditMovedReviews(actor, before);
      await this.deps.placedOn?.put('calendar', { version: this.deps.calendar.version });
    }
    if (trigger === 'reload' || load.changed) await this.auditPass(actor, trigger, result);
    return result;
  }

  private async recomputeTickets(actor: string): Promise<number> {
    let moved = 0;
    // A moved ticket may show up again further on; placing it again changes nothing.
    let cursor: string | undefined;
    do {
      const page = await this.deps.tickets.page({ status: 'open', limit: PAGE_SIZE, cursor });
      cursor = page.cursor ?? undefined;
      for (const row of page.rows) {
        const change = await this.deps.tickets.placeOnCalendar(row.id);
        if (!change) continue;
        moved += 1;
        await this.deps.audit.record(actor, 'ticket-due-recomputed', row.id, {
          from: change.from,
          to: change.to,
          provisional: change.provisional,
        });
      }
    } while (cursor);
    return moved;
  }

  private async pendingReviews(): Promise<Map<string, ReviewSummary>> {
    if (!this.deps.core) return new Map();
    // Every pending review's deadline may move, so all are read, a page at a time.
    const pending = new Map<string, ReviewSummary>();
    let cursor: string | undefined;
    do {
      const listed = await this.deps.core.listReviews({ status: 'pending', cursor, limit: MAX_REVIEW_PAGE });
      if (!listed.ok) break;
      for (const review of listed.value.reviews) pending.set(review.id, review);
      cursor = listed.value.cursor ?? undefined;
    } while (cursor);
    return pending;
  }

  /** A pending review's deadline is derived from the calendar on every read; this records which moved. */
  private async auditMovedReviews(actor: string, before: Map<string, ReviewSummary>): Promise<number> {
    let moved = 0;
    for (const [id, review] of await this.pendingReviews()) {
      const previous = before.get(id)?.dueAt ?? null;
      if (previous === review.dueAt) continue;
      moved += 1;
      await this.deps.audit.record(actor, 'review-due-recomputed', id, { from: previous, to: review.dueAt });
    }
    return moved;
  }

  private async auditPass(actor: string, trigger: 'start' | 'reload' | 'check', result: CalendarRecompute): Promise<void> {
    this.deps.logger.info({ trigger, ...result }, 'due dates recomputed on the holiday calendar');
    await this.deps.audit.record(actor, 'calendar-recompute', undefined, {
      trigger,
      changed: result.changed,
      operatorYears: result.operatorYears.join(',') || null,
      filesLeftOut: result.problems.length,
      ticketsMoved: result.ticketsMoved,
      reviewsMoved: result.reviewsMoved,
    });
  }
}

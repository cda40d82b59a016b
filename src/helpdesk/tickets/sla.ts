import type { Logger } from 'pino';
import { CalendarNotCoveredError, type WorkingDayCalendar } from '../../calendar/working-days.js';
import type { TicketSla } from './ticket-types.js';

/** Working days agents have to answer a ticket. */
export const SLA_WORKING_DAYS = 3;

/**
 * Where a ticket stands against its deadline:
 * `running` (more than a working day left), `warning` (under one), `breached` (past due, no reply),
 * `met` / `met-late` (answered before / after the deadline), `not-covered` (no deadline: the
 * holiday data does not reach that far, flagged for people to handle by hand).
 */
export type SlaState = 'running' | 'warning' | 'breached' | 'met' | 'met-late' | 'not-covered';

export interface SlaStatus {
  state: SlaState;
  /** Working days left until the deadline (negative when overdue); `null` when unknown or stopped. */
  workingDaysLeft: number | null;
  /** Calendar milliseconds left (negative when overdue); `null` without a deadline. */
  msLeft: number | null;
}

/**
 * The three-working-day promise on China's calendar (statutory holidays and make-up workdays).
 * A date beyond the calendar data is never guessed from Monday to Friday: the ticket is
 * flagged and a warning logged.
 */
export class SlaPolicy {
  constructor(
    private readonly calendar: WorkingDayCalendar,
    private readonly logger?: Logger,
    readonly workingDays = SLA_WORKING_DAYS,
  ) {}

  /** Starts the clock for something received at `received`. */
  start(received: Date, ticketId?: string): TicketSla {
    const startedAt = received.toISOString();
    try {
      return { startedAt, dueAt: this.calendar.addWorkingDays(received, this.workingDays).toISOString() };
    } catch (error) {
      if (!(error instanceof CalendarNotCoveredError)) throw error;
      this.logger?.warn(
        { ticketId, year: error.year, lastCoveredYear: error.coverage.lastYear },
        'SLA deadline cannot be computed: holiday calendar data does not cover this year; update chinese-days. Ticket flagged.',
      );
      return { startedAt, dueAt: null, notCovered: { year: error.year, lastCoveredYear: error.coverage.lastYear } };
    }
  }

  status(sla: TicketSla, now: Date): SlaStatus {
    if (!sla.dueAt) return { state: 'not-covered', workingDaysLeft: null, msLeft: null };
    const due = new Date(sla.dueAt);
    const msLeft = due.getTime() - now.getTime();
    if (sla.respondedAt) {
      return { state: Date.parse(sla.respondedAt) <= due.getTime() ? 'met' : 'met-late', workingDaysLeft: null, msLeft };
    }
    if (msLeft <= 0) return { state: 'breached', workingDaysLeft: this.safeBetween(now, due), msLeft };
    const left = this.safeBetween(now, due);
    if (left === null) return { state: 'not-covered', workingDaysLeft: null, msLeft };
    return { state: left < 1 ? 'warning' : 'running', workingDaysLeft: left, msLeft };
  }

  private safeBetween(from: Date, to: Date): number | null {
    try {
      return this.calendar.workingDaysBetween(from, to);
    } catch (error) {
      if (error instanceof CalendarNotCoveredError) return null;
      throw error;
    }
  }
}

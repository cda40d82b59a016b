import type { Logger } from 'pino';
import { chinaDate } from '../../calendar/china-time.js';
import { CalendarNotCoveredError, type WorkingDayCalendar } from '../../calendar/working-days.js';
import type { TicketSla } from './ticket-types.js';

/** Working days agents have to answer a ticket. */
export const SLA_WORKING_DAYS = 3;

/**
 * Where a ticket stands against its deadline:
 * `running` (more than a working day left), `warning` (under one), `breached` (past due, no reply),
 * `met` / `met-late` (answered before / after the deadline), `not-covered` (a ticket stored before
 * the calendar could place every year; the next calendar recompute gives it a date).
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
 * The calendar never runs out: a deadline in a year nobody has published yet is placed by the
 * statutory rules and marked `provisional`, so the user gets a date that may still move.
 */
export class SlaPolicy {
  constructor(
    private readonly calendar: WorkingDayCalendar,
    private readonly logger?: Logger,
    readonly workingDays = SLA_WORKING_DAYS,
  ) {}

  /** Starts the clock for something received at `received`. */
  start(received: Date, ticketId?: string): TicketSla {
    return this.place({ startedAt: received.toISOString(), dueAt: null }, ticketId);
  }

  /**
   * The same clock placed on the current calendar (after the calendar changed). Keeps when it
   * started and the first reply; only the deadline and its flags move.
   */
  recompute(sla: TicketSla, ticketId?: string): TicketSla {
    return this.place(sla, ticketId);
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

  /**
   * The deadlines of a whole list read against one moment: one short walk of the calendar per
   * request, then every row is a lookup (no calendar walk per row).
   */
  clockAt(now: Date): SlaClock {
    return new SlaClock(this.calendar, now);
  }

  private place(sla: TicketSla, ticketId: string | undefined): TicketSla {
    const { notCovered: _old, provisional: _was, ...kept } = sla;
    try {
      const { due, provisional } = this.calendar.deadline(new Date(sla.startedAt), this.workingDays);
      if (provisional) this.logger?.info({ ticketId, dueAt: due.toISOString() }, 'SLA deadline placed on the provisional holiday calendar');
      return { ...kept, dueAt: due.toISOString(), ...(provisional ? { provisional: true } : {}) };
    } catch (error) {
      // Only a date before the package's first year gets here: a clock that is badly wrong.
      if (!(error instanceof CalendarNotCoveredError)) throw error;
      this.logger?.warn({ ticketId, year: error.year }, 'SLA deadline cannot be computed for a year before the holiday data');
      return { ...kept, dueAt: null, notCovered: { year: error.year, lastCoveredYear: error.coverage.lastYear } };
    }
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

const DAY_MS = 24 * 60 * 60 * 1000;
/** Days of calendar read ahead of `now`; a three-working-day deadline is never further away. */
const LOOKAHEAD_DAYS = 60;

/**
 * SLA states at one moment, with the same arithmetic as `workingDaysBetween` (steps of a day
 * from `now`, each counted when it starts on a working day), precomputed once.
 */
export class SlaClock {
  /** Working days counted before each step; `null` past the calendar's reach. */
  private readonly before: (number | null)[] = [];
  private readonly working: boolean[] = [];
  /** Deadlines before this instant have under one working day left (`warning`), unless already past. */
  readonly warnBefore: Date | null;

  constructor(
    calendar: WorkingDayCalendar,
    readonly now: Date,
  ) {
    let counted: number | null = 0;
    let warnBefore: Date | null = null;
    for (let step = 0; step < LOOKAHEAD_DAYS; step++) {
      const start = now.getTime() + step * DAY_MS;
      let working = false;
      try {
        working = calendar.isWorkday(chinaDateOf(start));
      } catch (error) {
        if (!(error instanceof CalendarNotCoveredError)) throw error;
        counted = null;
      }
      this.before.push(counted);
      this.working.push(working);
      if (working && warnBefore === null && counted !== null) warnBefore = new Date(start + DAY_MS);
      if (counted !== null && working) counted += 1;
    }
    this.warnBefore = warnBefore;
  }

  status(sla: TicketSla): SlaStatus {
    if (!sla.dueAt) return { state: 'not-covered', workingDaysLeft: null, msLeft: null };
    const due = Date.parse(sla.dueAt);
    const msLeft = due - this.now.getTime();
    if (sla.respondedAt) return { state: Date.parse(sla.respondedAt) <= due ? 'met' : 'met-late', workingDaysLeft: null, msLeft };
    if (msLeft <= 0) return { state: 'breached', workingDaysLeft: null, msLeft };
    const left = this.workingDaysLeft(msLeft);
    if (left === null) return { state: 'not-covered', workingDaysLeft: null, msLeft };
    return { state: left < 1 ? 'warning' : 'running', workingDaysLeft: left, msLeft };
  }

  private workingDaysLeft(msLeft: number): number | null {
    const step = Math.floor(msLeft / DAY_MS);
    const counted = this.before[step];
    if (counted === undefined || counted === null) return null;
    return counted + (this.working[step] ? (msLeft - step * DAY_MS) / DAY_MS : 0);
  }
}

function chinaDateOf(ms: number): string {
  return chinaDate(new Date(ms));
}

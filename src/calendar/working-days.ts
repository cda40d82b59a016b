import chineseDays from 'chinese-days';
import { chinaDate } from './china-time.js';

const { isWorkday } = chineseDays as unknown as { isWorkday(date: string): boolean };

/** The span of years the holiday data covers; outside it, working days cannot be computed. */
export interface CalendarCoverage {
  firstYear: number;
  lastYear: number;
}

/** Thrown when a date falls outside the years the holiday data covers. */
export class CalendarNotCoveredError extends Error {
  constructor(
    readonly year: number,
    readonly coverage: CalendarCoverage,
  ) {
    super(`Holiday data covers ${coverage.firstYear}-${coverage.lastYear}; ${year} is not covered`);
    this.name = 'CalendarNotCoveredError';
  }
}

export { chinaDate };

/**
 * Working days on China's official calendar, with statutory holidays and make-up workdays
 * (调休补班) from the `chinese-days` data.
 */
export class WorkingDayCalendar {
  constructor(readonly coverage: CalendarCoverage = detectCoverage()) {}

  isWorkday(date: string): boolean {
    this.assertCovered(Number(date.slice(0, 4)));
    return isWorkday(date);
  }

  /**
   * The deadline `days` working days after `received`: the same time of day on the n-th
   * working day after the day it arrived (counted from the next day), China time.
   */
  addWorkingDays(received: Date, days: number): Date {
    let cursor = new Date(received.getTime());
    let counted = 0;
    while (counted < days) {
      cursor = new Date(cursor.getTime() + 24 * 60 * 60 * 1000);
      if (this.isWorkday(chinaDate(cursor))) counted += 1;
    }
    return cursor;
  }

  /** Working days left until `due` (fractional, negative when overdue), counted in China time. */
  workingDaysBetween(from: Date, to: Date): number {
    if (to.getTime() < from.getTime()) return -this.workingDaysBetween(to, from);
    const dayMs = 24 * 60 * 60 * 1000;
    let total = 0;
    let cursor = from.getTime();
    while (cursor < to.getTime()) {
      const step = Math.min(dayMs, to.getTime() - cursor);
      if (this.isWorkday(chinaDate(new Date(cursor)))) total += step / dayMs;
      cursor += step;
    }
    return total;
  }

  private assertCovered(year: number): void {
    if (year < this.coverage.firstYear || year > this.coverage.lastYear) {
      throw new CalendarNotCoveredError(year, this.coverage);
    }
  }
}

let detectedCoverage: CalendarCoverage | undefined;

/**
 * Years for which the package lists holidays: a year without any listed holiday is not covered.
 * A fixed property of the installed data, so it is worked out once per process.
 */
function detectCoverage(): CalendarCoverage {
  detectedCoverage ??= scanCoverage();
  return detectedCoverage;
}

function scanCoverage(): CalendarCoverage {
  const lib = chineseDays as unknown as { getHolidaysInRange?: (start: string, end: string, includeWeekends?: boolean) => string[] };
  const years: number[] = [];
  for (let year = 2004; year <= 2100; year += 1) {
    const holidays = lib.getHolidaysInRange?.(`${year}-01-01`, `${year}-12-31`, false) ?? [];
    if (holidays.length > 0) years.push(year);
  }
  if (years.length === 0) throw new Error('chinese-days provides no holiday data');
  return { firstYear: Math.min(...years), lastYear: Math.max(...years) };
}

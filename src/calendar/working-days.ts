import { createHash } from 'node:crypto';
import chineseDays from 'chinese-days';
import { chinaDate } from './china-time.js';
import { loadOperatorCalendars, type CalendarFileProblem } from './operator-calendar.js';
import { provisionalYear, type YearHolidays } from './statutory-rules.js';

const library = chineseDays as unknown as {
  isWorkday(date: string): boolean;
  getHolidaysInRange(start: string, end: string, includeWeekends?: boolean): string[];
};

/** The span of years the chinese-days package lists holidays for. */
export interface CalendarCoverage {
  firstYear: number;
  lastYear: number;
}

/** Where a year's working days come from: the package, an operator's file, or the statutory rules. */
export type CalendarSource = 'library' | 'operator' | 'provisional';

/** Thrown only for dates before the package's first year (no rules reach that far back). */
export class CalendarNotCoveredError extends Error {
  constructor(
    readonly year: number,
    readonly coverage: CalendarCoverage,
  ) {
    super(`Holiday data starts in ${coverage.firstYear}; ${year} is not covered`);
    this.name = 'CalendarNotCoveredError';
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Bump when the statutory rules in statutory-rules.ts change, so stored due dates are recomputed. */
const PROVISIONAL_RULES_VERSION = 'rules-2025';

export interface WorkingDayCalendarOptions {
  /** Folder of operator files `<year>.yaml` (normally `knowledge/calendar`). */
  operatorDir?: string;
  /** Override of the package's coverage (tests). */
  coverage?: CalendarCoverage;
}

/** What a (re)load of the operator files found. */
export interface CalendarLoad {
  /** Whether working days may differ from before the load. */
  changed: boolean;
  /** Operator files left out, with the reason. */
  problems: CalendarFileProblem[];
  /** Years an operator file now covers. */
  operatorYears: number[];
}

/**
 * Working days on China's official calendar, with statutory holidays and make-up workdays
 * (调休补班), that never runs out: chinese-days first; an operator's `<year>.yaml` overrides it for
 * that year; a year covered by neither follows the statutory rules, flagged provisional.
 */
export class WorkingDayCalendar {
  readonly coverage: CalendarCoverage;
  private readonly operatorDir: string | undefined;
  /** Operator-listed dates: `true` a workday, `false` a holiday. */
  private operatorDays = new Map<string, boolean>();
  private operatorYears = new Set<number>();
  private readonly provisional = new Map<number, Map<string, boolean>>();
  private fingerprint = '';

  constructor(options: WorkingDayCalendarOptions = {}) {
    this.coverage = options.coverage ?? detectCoverage();
    this.operatorDir = options.operatorDir;
    this.reload();
  }

  /** Reads the operator files again. Invalid files are reported and left out, never half applied. */
  reload(): CalendarLoad {
    const { years, problems } = loadOperatorCalendars(this.operatorDir);
    const days = new Map<string, boolean>();
    for (const year of [...years.values()].sort((a, b) => a.year - b.year)) indexYear(year, days);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([[...years.keys()].sort(), [...days.entries()].sort()]))
      .digest('hex');
    const changed = fingerprint !== this.fingerprint;
    this.operatorDays = days;
    this.operatorYears = new Set(years.keys());
    this.fingerprint = fingerprint;
    return { changed, problems, operatorYears: [...years.keys()].sort() };
  }

  /**
   * Changes whenever the working days may have changed: the operator files' content and the
   * provisional rules' version. Kept by the help desk to skip a start-up recompute that would move nothing.
   */
  get version(): string {
    return `${PROVISIONAL_RULES_VERSION}:${this.coverage.firstYear}-${this.coverage.lastYear}:${this.fingerprint}`;
  }

  /** Where the working days of `year` come from. */
  sourceOf(year: number): CalendarSource {
    if (this.operatorYears.has(year)) return 'operator';
    if (year <= this.coverage.lastYear) return 'library';
    return 'provisional';
  }

  /** Whether `date` (YYYY-MM-DD) or anything a deadline depends on comes from the provisional rules. */
  isProvisional(date: string): boolean {
    return this.sourceOf(Number(date.slice(0, 4))) === 'provisional';
  }

  isWorkday(date: string): boolean {
    const year = Number(date.slice(0, 4));
    if (year < this.coverage.firstYear) throw new CalendarNotCoveredError(year, this.coverage);
    // A year's notice may reach back into the previous December, so operator dates are checked first.
    const listed = this.operatorDays.get(date);
    if (listed !== undefined) return listed;
    switch (this.sourceOf(year)) {
      case 'operator':
        return !isWeekend(date);
      case 'library':
        return library.isWorkday(date);
      case 'provisional': {
        const exception = this.provisionalDays(year).get(date);
        return exception ?? !isWeekend(date);
      }
    }
  }

  /**
   * The deadline `days` working days after `received`: the same time of day on the n-th
   * working day after the day it arrived (counted from the next day), China time.
   */
  addWorkingDays(received: Date, days: number): Date {
    return this.deadline(received, days).due;
  }

  /** The deadline and whether any day counted towards it comes from the provisional rules. */
  deadline(received: Date, days: number): { due: Date; provisional: boolean } {
    let cursor = new Date(received.getTime());
    let counted = 0;
    let provisional = false;
    while (counted < days) {
      cursor = new Date(cursor.getTime() + DAY_MS);
      const date = chinaDate(cursor);
      if (this.isProvisional(date)) provisional = true;
      if (this.isWorkday(date)) counted += 1;
    }
    return { due: cursor, provisional };
  }

  /** Working days left until `due` (fractional, negative when overdue), counted in China time. */
  workingDaysBetween(from: Date, to: Date): number {
    if (to.getTime() < from.getTime()) return -this.workingDaysBetween(to, from);
    let total = 0;
    let cursor = from.getTime();
    while (cursor < to.getTime()) {
      const step = Math.min(DAY_MS, to.getTime() - cursor);
      if (this.isWorkday(chinaDate(new Date(cursor)))) total += step / DAY_MS;
      cursor += step;
    }
    return total;
  }

  /** The holidays of a year as this calendar sees them (console and the calendar command show them). */
  holidaysOf(year: number): { source: CalendarSource; holidays: string[]; workdays: string[] } {
    const source = this.sourceOf(year);
    const holidays: string[] = [];
    const workdays: string[] = [];
    for (let date = `${year}-01-01`; date.startsWith(`${year}-`); date = nextDate(date)) {
      const work = this.isWorkday(date);
      if (!work && !isWeekend(date)) holidays.push(date);
      if (work && isWeekend(date)) workdays.push(date);
    }
    return { source, holidays, workdays };
  }

  private provisionalDays(year: number): Map<string, boolean> {
    let days = this.provisional.get(year);
    if (!days) {
      days = new Map();
      indexYear(provisionalYear(year), days);
      this.provisional.set(year, days);
    }
    return days;
  }
}

function indexYear(year: YearHolidays, days: Map<string, boolean>): void {
  for (const holiday of year.holidays) for (const date of holiday.dates) days.set(date, false);
  for (const date of year.workdays) days.set(date, true);
}

function isWeekend(date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday === 0 || weekday === 6;
}

function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
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
  const years: number[] = [];
  for (let year = 2004; year <= 2100; year += 1) {
    if (library.getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false).length > 0) years.push(year);
  }
  if (years.length === 0) throw new Error('chinese-days provides no holiday data');
  return { firstYear: Math.min(...years), lastYear: Math.max(...years) };
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { addDays, type YearHolidays } from './statutory-rules.js';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'dates are written YYYY-MM-DD')
  .refine((value) => {
    const parsed = Date.parse(`${value}T00:00:00Z`);
    return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === value;
  }, 'not a calendar date');

const holidaySchema = z
  .object({
    name: z.string().min(1),
    /** First day off. */
    from: isoDate,
    /** Last day off (inclusive); the same day when absent. */
    to: isoDate.optional(),
  })
  .strict()
  .refine((holiday) => !holiday.to || holiday.to >= holiday.from, 'to is before from')
  .refine((holiday) => !holiday.to || spanDays(holiday.from, holiday.to) <= 15, 'a holiday longer than 15 days is surely a typo');

/**
 * `knowledge/calendar/<year>.yaml`: the State Council's notice for one year, typed in by an
 * operator. It replaces the library's data and the provisional rules for that year.
 */
export const operatorYearSchema = z
  .object({
    year: z.number().int().min(2000).max(2200),
    holidays: z.array(holidaySchema).min(1),
    /** Make-up workdays (调休补班): weekend dates worked. A notice may reach back into late December. */
    workdays: z.array(isoDate).default([]),
  })
  .strict();

export type OperatorYearFile = z.infer<typeof operatorYearSchema>;

/** A calendar file that could not be used, and why; the year falls back to the library or the rules. */
export interface CalendarFileProblem {
  file: string;
  message: string;
}

export interface OperatorCalendars {
  years: Map<number, YearHolidays>;
  problems: CalendarFileProblem[];
}

/** Reads every `<year>.yaml` in `dir` (a missing folder is no error: there are simply no files). */
export function loadOperatorCalendars(dir: string | undefined): OperatorCalendars {
  const years = new Map<number, YearHolidays>();
  const problems: CalendarFileProblem[] = [];
  if (!dir || !existsSync(dir)) return { years, problems };
  for (const name of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    const file = path.join(dir, name);
    const parsed = parseYearFile(file, name);
    if (!parsed.ok) problems.push({ file, message: parsed.message });
    else years.set(parsed.value.year, parsed.value);
  }
  return { years, problems };
}

function parseYearFile(file: string, name: string): { ok: true; value: YearHolidays } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { ok: false, message: `not readable YAML: ${(error as Error).message}` };
  }
  const result = operatorYearSchema.safeParse(raw);
  if (!result.success) {
    return { ok: false, message: result.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`).join('; ') };
  }
  const { year, holidays, workdays } = result.data;
  if (name.replace(/\.ya?ml$/, '') !== String(year)) return { ok: false, message: `the file name must be ${year}.yaml` };
  const holidayDates = holidays.flatMap((holiday) => datesOf(holiday.from, holiday.to ?? holiday.from));
  const outside = [...holidayDates, ...workdays].filter((date) => !date.startsWith(`${year}-`) && !date.startsWith(`${year - 1}-12-`));
  if (outside.length > 0) return { ok: false, message: `dates outside ${year}: ${outside.join(', ')}` };
  const both = workdays.filter((date) => holidayDates.includes(date));
  if (both.length > 0) return { ok: false, message: `both a holiday and a workday: ${both.join(', ')}` };
  return {
    ok: true,
    value: {
      year,
      holidays: holidays.map((holiday) => ({ name: holiday.name, dates: datesOf(holiday.from, holiday.to ?? holiday.from) })),
      workdays,
    },
  };
}

function datesOf(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

function spanDays(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
}

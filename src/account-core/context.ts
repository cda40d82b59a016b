import { chinaDate } from '../calendar/china-time.js';
import { compactIdNumber } from '../domain/id-number.js';
import type { Render } from '../render/renderer.js';
import type { Outbox } from './outbox.js';
import type { AccountRecord, CoreStores, LimitRecord } from './records.js';
import type { PasswordHasher, RandomBytes } from './secrets.js';
import type { AccountView, CoreError, CoreErrorCode, CoreResult } from './types.js';

/** The working-day arithmetic the core needs (satisfied by `WorkingDayCalendar`). */
export interface DueDateCalendar {
  addWorkingDays(received: Date, days: number): Date;
}

/** What every part of the embedded core shares. */
export interface CoreContext {
  stores: CoreStores;
  render: Render;
  now(): Date;
  calendar: DueDateCalendar;
  outbox: Outbox;
  hasher: PasswordHasher;
  publicUrl: string;
  random: RandomBytes;
}

export type Failure = { ok: false; error: CoreError };
export type Details = NonNullable<CoreError['details']>;

export function ok<T>(value: T): CoreResult<T> {
  return { ok: true, value };
}

/** A domain failure whose message is `templates/core/errors/<code>.njk`, rendered with `details`. */
export function failWith(render: Render, code: CoreErrorCode, details?: Details): Failure {
  const message = render(`core/errors/${code}`, details ?? {});
  return { ok: false, error: details ? { code, message, details } : { code, message } };
}

/** Usernames compare as the user typed them, minus case for e-mail and ID-number spacing. */
export function normalizeUsername(raw: string): string {
  const trimmed = raw.normalize('NFKC').trim();
  if (trimmed.includes('@')) return trimmed.toLowerCase();
  const compact = compactIdNumber(trimmed);
  return /^\d{15}$|^\d{17}[\dX]$/.test(compact) ? compact : trimmed;
}

/** Names compare after width folding and without spaces. */
export function normalizeName(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, '');
}

export function isLive(account: AccountRecord | undefined): account is AccountRecord {
  return account !== undefined && account.state !== 'cancelled';
}

export function chinaDay(instant: Date): string {
  return chinaDate(instant);
}

export function toAccountView(account: AccountRecord): AccountView {
  return {
    username: account.username,
    name: account.name,
    idType: account.idType,
    idNumber: account.idNumber,
    phone: account.phone,
    email: account.email,
    emailActivated: account.emailActivated,
    realNameBound: account.realNameBound,
    state: account.state,
    createdAt: account.createdAt,
    ...(account.cancelledReason === undefined ? {} : { cancelledReason: account.cancelledReason }),
    ...(account.source === undefined ? {} : { source: account.source }),
  };
}

/** Failures inside a rolling window, as of `now`. */
export function failuresWithin(record: LimitRecord | undefined, now: Date, windowMs: number): string[] {
  const since = now.getTime() - windowMs;
  return (record?.failures ?? []).filter((at) => Date.parse(at) > since);
}

/** Milliseconds until the oldest failure leaves the window. */
export function msUntilWindowFrees(failures: string[], now: Date, windowMs: number): number {
  const oldest = Math.min(...failures.map((at) => Date.parse(at)));
  return Math.max(0, oldest + windowMs - now.getTime());
}

import { chinaDate } from '../calendar/china-time.js';
import { compactIdNumber } from '../domain/id-number.js';
import type { Render } from '../render/renderer.js';
import { maskEmail, maskIdNumber, maskPhone, maskUsername } from '../privacy/mask.js';
import type { RateLimits } from '../security/rate-limits.js';
import { isAccountRef, type AccountRefs } from './account-refs.js';
import type { Outbox } from './outbox.js';
import type { AccountRecord, CoreStores, LimitRecord } from './records.js';
import type { PasswordHasher, RandomBytes } from './secrets.js';
import type { AccountView, CoreError, CoreErrorCode, CoreOperations, CoreResult } from './types.js';
import { limitKey } from '../security/rate-limits.js';

/**
 * On whose behalf an operation runs: the core as a service (composition root, agent console,
 * a caller holding the service token without naming a user), or one end user, authenticated by
 * the engine (conversation id) or by the trusted caller's service token plus header.
 */
export type Caller = { kind: 'service' } | { kind: 'end-user'; id: string; address?: string };

/** The rate-limit key of a caller: end users by id; the service shares one key. */
export function callerKey(caller: Caller): string {
  return caller.kind === 'end-user' ? `user:${caller.id}` : 'service';
}

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
  rateLimits: RateLimits;
  refs: AccountRefs;
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

/** The masked view of an account; `accountRef` names it again for this caller only. */
export function toAccountView(account: AccountRecord, accountRef: string): AccountView {
  return {
    accountRef,
    maskedUsername: maskUsername(account.username),
    name: account.name,
    idType: account.idType,
    maskedIdNumber: maskIdNumber(account.idNumber),
    maskedPhone: account.phone === null ? null : maskPhone(account.phone),
    maskedEmail: account.email === null ? null : maskEmail(account.email),
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

/** An operation as the embedded core implements it: checked input, and who asks. */
export type Implementation<Name extends keyof CoreOperations> = (
  input: Parameters<CoreOperations[Name]>[0],
  caller: Caller,
) => ReturnType<CoreOperations[Name]>;

export type Implementations<Names extends keyof CoreOperations> = { [Name in Names]: Implementation<Name> };

/** The end user a caller acts for, `null` for the service. */
export function endUserOf(caller: Caller): string | null {
  return caller.kind === 'end-user' ? caller.id : null;
}

/**
 * The account a caller names: by username as typed, or by an `accountRef` issued to this caller.
 * A probe by phone, e-mail or ID number (not a reference) spends one of the caller's lookups.
 */
export async function namedAccount(ctx: CoreContext, raw: string, caller: Caller): Promise<CoreResult<AccountRecord | undefined>> {
  if (isAccountRef(raw)) {
    const username = await ctx.refs.open(raw, endUserOf(caller), ctx.now());
    return ok(username === undefined ? undefined : await ctx.stores.accounts.get(username));
  }
  const spent = await spendLookup(ctx, caller);
  if (spent) return spent;
  return ok(await ctx.stores.accounts.get(normalizeUsername(raw)));
}

/** One lookup by ID number, phone, e-mail or username, charged to the end user who asks. */
export async function spendLookup(ctx: CoreContext, caller: Caller): Promise<Failure | undefined> {
  if (caller.kind !== 'end-user') return undefined;
  const verdict = await ctx.rateLimits.consumeEach([
    { limit: 'account-lookup:identity', key: callerKey(caller) },
    ...(caller.address ? [{ limit: 'account-lookup:ip' as const, key: limitKey.ip(caller.address) }] : []),
  ]);
  return verdict.allowed ? undefined : failWith(ctx.render, 'rate_limited', { retryAfterSeconds: Math.ceil(verdict.retryAfterMs / 1000) });
}

/** The reference this caller may use to name `account` again. */
export function refFor(ctx: CoreContext, account: AccountRecord, caller: Caller): Promise<string> {
  return ctx.refs.issue(account.username, endUserOf(caller), ctx.now());
}

/** The masked view, with a reference for this caller. */
export async function viewFor(ctx: CoreContext, account: AccountRecord, caller: Caller): Promise<AccountView> {
  return toAccountView(account, await refFor(ctx, account, caller));
}

import { maskEmail, maskPhone } from '../privacy/mask.js';
import { chinaDay, failWith, ok, type Caller, type CoreContext } from './context.js';
import { CORE_LIMITS } from './limits.js';
import type { AccountRecord, TokenRecord } from './records.js';
import { hashCode, newCode, newSalt, newToken, sameDigest, tokenKey } from './secrets.js';
import type { CodePurpose, CodeSent, CoreResult } from './types.js';
import { askerKeys, guessesLeft, guessingStopped, withWrongGuess, type WrongGuesses } from './wrong-guesses.js';

/**
 * Reserves one send to a phone or address: at most 5 per China calendar day, none within 60 s
 * of the previous one. Refused sends do not count.
 */
export async function reserveSend(ctx: CoreContext, via: 'sms' | 'email', target: string): Promise<CoreResult<{ remaining: number }>> {
  const now = ctx.now();
  const day = chinaDay(now);
  let outcome: CoreResult<{ remaining: number }> = failWith(ctx.render, 'unavailable');
  await ctx.stores.limits.update(`send-${via}:${target}`, (current) => {
    const count = current?.day === day ? (current.count ?? 0) : 0;
    if (count >= CORE_LIMITS.sendsPerDay) {
      outcome = failWith(ctx.render, 'daily_limit', { via, limit: CORE_LIMITS.sendsPerDay });
      return current;
    }
    const since = current?.lastAt ? now.getTime() - Date.parse(current.lastAt) : Infinity;
    if (since < CORE_LIMITS.resendIntervalMs) {
      outcome = failWith(ctx.render, 'send_too_soon', { retryAfterSeconds: Math.ceil((CORE_LIMITS.resendIntervalMs - since) / 1000) });
      return current;
    }
    outcome = ok({ remaining: CORE_LIMITS.sendsPerDay - count - 1 });
    return { day, count: count + 1, lastAt: now.toISOString() };
  });
  return outcome;
}

/** Sends a fresh 6-digit code for `purpose` to the account's phone or e-mail. */
export async function sendCode(ctx: CoreContext, account: AccountRecord, purpose: CodePurpose, via: 'sms' | 'email'): Promise<CoreResult<CodeSent>> {
  const target = via === 'sms' ? account.phone : account.email;
  if (!target) return failWith(ctx.render, 'method_unavailable', { method: via });
  const reserved = await reserveSend(ctx, via, target);
  if (!reserved.ok) return reserved;

  const now = ctx.now();
  const code = newCode(ctx.random);
  const salt = newSalt(ctx.random);
  const expiresAt = new Date(now.getTime() + CORE_LIMITS.codeValidityMs).toISOString();
  const stale = now.getTime() - CORE_LIMITS.codeValidityMs;
  await ctx.stores.codes.update(`${purpose}:${account.username}`, (current) => ({
    purpose,
    // Every unexpired code stays usable (the seeds: a code already received is valid for 24 h);
    // expired ones are kept a while longer so the user hears "expired", not "wrong".
    codes: [
      ...(current?.codes ?? []).filter((c) => Date.parse(c.expiresAt) > stale),
      { salt, hash: hashCode(code, salt), createdAt: now.toISOString(), expiresAt },
    ].slice(-12),
    spent: (current?.spent ?? []).filter((c) => Date.parse(c.expiresAt) > now.getTime()),
    wrongAttempts: 0,
    wrongByAsker: {},
  }));

  const vars = { code, purpose, name: account.name, validHours: CORE_LIMITS.codeValidityMs / 3_600_000 };
  try {
    if (via === 'sms') await ctx.outbox.send({ channel: 'sms', to: target, body: ctx.render(`core/sms/${purpose}`, vars) });
    else
      await ctx.outbox.send({
        channel: 'email',
        to: target,
        subject: ctx.render(`core/email/${purpose}-code-subject`, vars),
        body: ctx.render(`core/email/${purpose}-code`, vars),
      });
  } catch {
    return failWith(ctx.render, 'unavailable', { what: via });
  }
  return ok({ sentTo: via === 'sms' ? maskPhone(target) : maskEmail(target), expiresAt, remainingToday: reserved.value.remaining });
}

const CODE_GUESSES = { perAsker: CORE_LIMITS.codeWrongAttempts, total: CORE_LIMITS.codeWrongAttemptsTotal };

/**
 * Spends a code: any unexpired, unspent code of this purpose matches, and success spends them
 * all. After five wrong entries an asker must get a new code (their wrong entries never stop
 * anyone else); twenty wrong entries by everyone together void the outstanding codes.
 */
export async function consumeCode(ctx: CoreContext, purpose: CodePurpose, username: string, code: string, caller: Caller): Promise<CoreResult<true>> {
  const now = ctx.now().getTime();
  const entered = typeof code === 'string' ? code.normalize('NFKC').replace(/\s+/g, '') : '';
  const asker = askerKeys(caller);
  let outcome: CoreResult<true> = failWith(ctx.render, 'code_invalid', { reason: 'none-sent' });
  await ctx.stores.codes.update(`${purpose}:${username}`, (current) => {
    if (!current) return current;
    const wrong: WrongGuesses = { total: current.wrongAttempts, byAsker: current.wrongByAsker ?? {} };
    const stopped = guessingStopped(wrong, asker, CODE_GUESSES);
    if (stopped) {
      outcome = failWith(ctx.render, 'attempts_exceeded', { what: 'code', voided: stopped === 'all' });
      return current;
    }
    if (current.codes.length === 0 && current.spent.length === 0) return current;
    const matches = (c: { salt: string; hash: string }) => /^\d{6}$/.test(entered) && sameDigest(hashCode(entered, c.salt), c.hash);
    const hit = current.codes.find(matches);
    if (hit && Date.parse(hit.expiresAt) <= now) {
      outcome = failWith(ctx.render, 'code_expired', { validHours: CORE_LIMITS.codeValidityMs / 3_600_000 });
      return { ...current, codes: current.codes.filter((c) => c !== hit) };
    }
    if (hit) {
      outcome = ok(true);
      const spent = current.codes.filter((c) => Date.parse(c.expiresAt) > now).map(({ salt, hash, expiresAt }) => ({ salt, hash, expiresAt }));
      return { ...current, codes: [], spent: [...current.spent, ...spent], wrongAttempts: 0, wrongByAsker: {} };
    }
    if (current.spent.some(matches)) {
      outcome = failWith(ctx.render, 'code_invalid', { reason: 'used' });
      return current;
    }
    const after = withWrongGuess(wrong, asker);
    const counted = { ...current, wrongAttempts: after.total, wrongByAsker: after.byAsker };
    const nowStopped = guessingStopped(after, asker, CODE_GUESSES);
    if (nowStopped === 'all') {
      outcome = failWith(ctx.render, 'attempts_exceeded', { what: 'code', voided: true });
      return { ...counted, codes: [] };
    }
    if (nowStopped === 'asker') {
      outcome = failWith(ctx.render, 'attempts_exceeded', { what: 'code', voided: false });
      return counted;
    }
    outcome = failWith(ctx.render, 'code_invalid', { reason: 'wrong', attemptsLeft: guessesLeft(after, asker, CODE_GUESSES) });
    return counted;
  });
  return outcome;
}

/** Issues a single-use token; only its hash is stored. */
export async function issueToken(
  ctx: CoreContext,
  kind: TokenRecord['kind'],
  username: string,
  validityMs: number,
): Promise<{ token: string; expiresAt: string }> {
  const now = ctx.now();
  const token = newToken(ctx.random);
  const expiresAt = new Date(now.getTime() + validityMs).toISOString();
  await ctx.stores.tokens.put(tokenKey(token), { kind, username, issuedAt: now.toISOString(), expiresAt });
  return { token, expiresAt };
}

/** Why a token cannot be used; `undefined` when it can. */
export function tokenProblem(record: TokenRecord | undefined, kind: TokenRecord['kind'], now: Date): 'unknown' | 'used' | 'expired' | undefined {
  if (!record || record.kind !== kind) return 'unknown';
  if (record.usedAt) return 'used';
  if (Date.parse(record.expiresAt) <= now.getTime()) return 'expired';
  return undefined;
}

/** Token lookups accept only the shape we hand out, so junk never reaches the store. */
export function tokenLooksValid(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{20,100}$/.test(token);
}

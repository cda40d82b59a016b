import { checkPassword } from '../domain/password.js';
import { maskEmail, maskPhone, maskUsername } from '../privacy/mask.js';
import { limitKey } from '../security/rate-limits.js';
import { consumeCode, issueToken, reserveSend, sendCode, tokenLooksValid, tokenProblem } from './codes.js';
import { callerKey, chinaDay, failWith, namedAccount, ok, type Caller, type CoreContext, type Implementations } from './context.js';
import { CORE_LIMITS } from './limits.js';
import type { AccountRecord, LimitRecord } from './records.js';
import { normalizeAnswer, tokenKey } from './secrets.js';
import type { CoreResult, RecoveryMethod, ResetGrant } from './types.js';
import { askerKeys, guessesLeft, guessingStopped, noWrongGuesses, withWrongGuess, type WrongGuesses } from './wrong-guesses.js';

const ANSWER_GUESSES = { perAsker: CORE_LIMITS.answerFailuresPerDay, total: CORE_LIMITS.answerFailuresPerDayTotal };

type Recovery = Implementations<
  'getRecoveryMethods' | 'sendSmsCode' | 'verifySmsCode' | 'sendResetEmail' | 'verifySecurityAnswers' | 'resetPassword'
>;

/** What the reset page needs beyond the public interface. */
export interface ResetPages {
  /** Checks a reset token without spending it (the page's GET). */
  inspectResetToken(input: { token: string }): Promise<CoreResult<{ username: string; expiresAt: string }>>;
  /** Marks the e-mail behind an activation link as activated. */
  activateEmail(input: { token: string }): Promise<CoreResult<{ username: string; alreadyActivated: boolean }>>;
}

/** An account the caller names (username or reference) that may recover: it exists and is not cancelled. */
export async function recoverableAccount(ctx: CoreContext, rawUsername: string, caller: Caller): Promise<CoreResult<AccountRecord>> {
  const named = await namedAccount(ctx, rawUsername, caller);
  if (!named.ok) return named;
  const account = named.value;
  if (!account) return failWith(ctx.render, 'not_registered', { subject: 'username' });
  if (account.state === 'cancelled') return failWith(ctx.render, 'account_cancelled', { reason: account.cancelledReason ?? null });
  return ok(account);
}

/** 找回密码: the methods, SMS codes, reset e-mail, security questions, and the reset itself. */
export function createRecovery(ctx: CoreContext): Recovery & ResetPages {
  const { stores, render } = ctx;
  const fail = (code: Parameters<typeof failWith>[1], details?: Parameters<typeof failWith>[2]) => failWith(render, code, details);

  async function grant(account: AccountRecord): Promise<CoreResult<ResetGrant>> {
    const { token, expiresAt } = await issueToken(ctx, 'reset', account.username, CORE_LIMITS.resetGrantValidityMs);
    return ok({ resetToken: token, expiresAt });
  }

  /** A token that may still be spent on this account, or why not. */
  async function usableToken(token: string, kind: 'reset' | 'activate'): Promise<CoreResult<AccountRecord>> {
    if (!tokenLooksValid(token)) return fail('token_invalid', { reason: 'unknown' });
    const record = await stores.tokens.get(tokenKey(token));
    const problem = tokenProblem(record, kind, ctx.now());
    if (problem || !record) return fail('token_invalid', { reason: problem ?? 'unknown', kind });
    const account = await stores.accounts.get(record.username);
    if (!account) return fail('token_invalid', { reason: 'unknown', kind });
    if (account.state === 'cancelled') return fail('account_cancelled', { reason: account.cancelledReason ?? null });
    if (kind === 'reset' && account.passwordChangedAt && account.passwordChangedAt > record.issuedAt) {
      return fail('token_invalid', { reason: 'used', kind });
    }
    return ok(account);
  }

  return {
    async getRecoveryMethods(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const account = found.value;
      const methods: RecoveryMethod[] = [];
      if (account.phone) methods.push({ kind: 'sms', target: maskPhone(account.phone) });
      if (account.email && account.emailActivated) methods.push({ kind: 'email', target: maskEmail(account.email) });
      if (account.securityQuestions.length > 0) methods.push({ kind: 'questions', questions: account.securityQuestions.map((q) => q.question) });
      return ok({ methods });
    },

    async sendSmsCode(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      return sendCode(ctx, found.value, input.purpose, 'sms');
    },

    async verifySmsCode(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const spent = await consumeCode(ctx, 'reset-password', found.value.username, input.code, caller);
      return spent.ok ? grant(found.value) : spent;
    },

    async sendResetEmail(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const account = found.value;
      if (!account.email || !account.emailActivated) return fail('method_unavailable', { method: 'email' });
      const reserved = await reserveSend(ctx, 'email', account.email);
      if (!reserved.ok) return reserved;
      const { token, expiresAt } = await issueToken(ctx, 'reset', account.username, CORE_LIMITS.resetLinkValidityMs);
      const vars = { link: `${ctx.publicUrl}/core/reset/${token}`, name: account.name, validHours: CORE_LIMITS.resetLinkValidityMs / 3_600_000 };
      try {
        await ctx.outbox.send({
          channel: 'email',
          to: account.email,
          subject: render('core/email/reset-link-subject', vars),
          body: render('core/email/reset-link', vars),
        });
      } catch {
        return fail('unavailable', { what: 'email' });
      }
      return ok({ sentTo: maskEmail(account.email), expiresAt, remainingToday: reserved.value.remaining });
    },

    async verifySecurityAnswers(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const account = found.value;
      if (account.securityQuestions.length === 0) return fail('method_unavailable', { method: 'questions' });
      const answers = input.answers;
      if (answers.length !== account.securityQuestions.length) {
        return fail('invalid_input', { field: 'answers', expected: account.securityQuestions.length });
      }
      // Wrong answers are counted per asker and in all (wrong-guesses.ts), per China day.
      const key = `answers:${account.username}`;
      const day = chinaDay(ctx.now());
      const asker = askerKeys(caller);
      const today = (record: LimitRecord | undefined): WrongGuesses =>
        record?.day === day ? { total: record.count ?? 0, byAsker: record.byAsker ?? {} } : noWrongGuesses();
      if (guessingStopped(today(await stores.limits.get(key)), asker, ANSWER_GUESSES)) return fail('attempts_exceeded', { what: 'answers' });
      const checks = await Promise.all(account.securityQuestions.map((q, i) => ctx.hasher.verify(q.answerHash, normalizeAnswer(answers[i] ?? ''))));
      if (checks.every(Boolean)) return grant(account);
      let after = noWrongGuesses();
      await stores.limits.update(key, (current) => {
        after = withWrongGuess(today(current), asker);
        return { day, count: after.total, byAsker: after.byAsker };
      });
      return fail('answers_wrong', { attemptsLeft: guessesLeft(after, asker, ANSWER_GUESSES) });
    },

    async resetPassword(input, caller) {
      // The public reset page limits per IP itself; acting for an end user, that user's budget counts.
      const changes = caller.kind === 'end-user' ? await ctx.rateLimits.consume('password-change:identity', callerKey(caller)) : undefined;
      if (changes && !changes.allowed) return fail('rate_limited', { retryAfterSeconds: Math.ceil(changes.retryAfterMs / 1000) });
      const problem = checkPassword(input.newPassword);
      if (problem) return fail('weak_password', { problem });
      const usable = await usableToken(input.token, 'reset');
      if (!usable.ok) return usable;
      const passwordHash = await ctx.hasher.hash(input.newPassword);
      const now = ctx.now();
      // Spend the token before changing the password: a crash in between wastes a token, never reopens one.
      let claimed = false;
      await stores.tokens.update(tokenKey(input.token), (record) => {
        if (tokenProblem(record, 'reset', now) || !record) return record;
        claimed = true;
        return { ...record, usedAt: now.toISOString() };
      });
      if (!claimed) return fail('token_invalid', { reason: 'used', kind: 'reset' });
      let outcome: CoreResult<{ maskedUsername: string }> = fail('token_invalid', { reason: 'unknown', kind: 'reset' });
      await stores.accounts.update(usable.value.username, (account) => {
        if (!account) return account;
        if (account.state === 'cancelled') {
          outcome = fail('account_cancelled', { reason: account.cancelledReason ?? null });
          return account;
        }
        outcome = ok({ maskedUsername: maskUsername(account.username) });
        return { ...account, passwordHash, passwordChangedAt: now.toISOString() };
      });
      // A fresh password clears the lockout it may have been chosen to escape.
      if (outcome.ok) await ctx.rateLimits.delay('core-login:account').recordSuccess(limitKey.account(usable.value.username));
      return outcome;
    },

    async inspectResetToken(input) {
      const usable = await usableToken(input.token, 'reset');
      if (!usable.ok) return usable;
      const record = await stores.tokens.get(tokenKey(input.token));
      return ok({ username: usable.value.username, expiresAt: record?.expiresAt ?? '' });
    },

    async activateEmail(input) {
      if (!tokenLooksValid(input.token)) return fail('token_invalid', { reason: 'unknown', kind: 'activate' });
      const now = ctx.now();
      const key = tokenKey(input.token);
      const record = await stores.tokens.get(key);
      const problem = tokenProblem(record, 'activate', now);
      if (!record || problem === 'unknown') return fail('token_invalid', { reason: 'unknown', kind: 'activate' });
      const account = await stores.accounts.get(record.username);
      if (!account) return fail('token_invalid', { reason: 'unknown', kind: 'activate' });
      if (account.state === 'cancelled') return fail('account_cancelled', { reason: account.cancelledReason ?? null });
      if (account.emailActivated) return ok({ username: account.username, alreadyActivated: true });
      if (problem) return fail('token_invalid', { reason: problem, kind: 'activate' });
      await stores.accounts.update(account.username, (current) => (current ? { ...current, emailActivated: true } : current));
      await stores.tokens.update(key, (current) => (current ? { ...current, usedAt: now.toISOString() } : current));
      return ok({ username: account.username, alreadyActivated: false });
    },
  };
}

import { issueToken, tokenLooksValid, tokenProblem } from './codes.js';
import { failWith, ok, type Caller, type CoreContext, type Implementations } from './context.js';
import { CORE_LIMITS } from './limits.js';
import { tokenKey } from './secrets.js';
import type { AccountView, CoreResult, RegistrationInput } from './types.js';

/** What the registration page needs beyond the public interface. */
export interface RegistrationPages {
  /** Checks a registration-page token without spending it (the page's GET). */
  inspectRegistrationToken(input: { token: string }): Promise<CoreResult<{ expiresAt: string }>>;
  /** Registers with a page token; the token is spent only when the registration succeeds. */
  registerWithToken(input: { token: string; registration: RegistrationInput }): Promise<CoreResult<AccountView>>;
}

/**
 * One-time links to `/core/register/:token`. The page is public, so each visit needs a token a
 * flow handed out: nobody can script registrations (我要重新注册 included) through it.
 */
export function createRegistrationLinks(
  ctx: CoreContext,
  register: (input: RegistrationInput, caller: Caller) => Promise<CoreResult<AccountView>>,
): Implementations<'createRegistrationLink'> & RegistrationPages {
  const { stores } = ctx;
  const usable = async (token: string): Promise<CoreResult<{ expiresAt: string }>> => {
    if (!tokenLooksValid(token)) return failWith(ctx.render, 'token_invalid', { reason: 'unknown', kind: 'register' });
    const record = await stores.tokens.get(tokenKey(token));
    const problem = tokenProblem(record, 'register', ctx.now());
    if (problem || !record) return failWith(ctx.render, 'token_invalid', { reason: problem ?? 'unknown', kind: 'register' });
    return ok({ expiresAt: record.expiresAt });
  };

  return {
    async createRegistrationLink() {
      const { token, expiresAt } = await issueToken(ctx, 'register', '', CORE_LIMITS.registrationLinkValidityMs);
      return ok({ url: `${ctx.publicUrl}/core/register/${token}`, expiresAt });
    },

    async inspectRegistrationToken({ token }) {
      const checked = await usable(token);
      return checked;
    },

    async registerWithToken({ token, registration }) {
      const checked = await usable(token);
      if (!checked.ok) return checked;
      // Claim the token first, so two submissions cannot both register; a refusal gives it back.
      const key = tokenKey(token);
      const now = ctx.now();
      let claimed = false;
      await stores.tokens.update(key, (record) => {
        if (!record || tokenProblem(record, 'register', now)) return record;
        claimed = true;
        return { ...record, usedAt: now.toISOString() };
      });
      if (!claimed) return failWith(ctx.render, 'token_invalid', { reason: 'used', kind: 'register' });
      const result = await register(registration, { kind: 'service' });
      if (!result.ok) {
        await stores.tokens.update(key, (record) => {
          if (!record) return record;
          const { usedAt: _released, ...rest } = record;
          return rest;
        });
      }
      return result;
    },
  };
}

import { limitKey } from '../security/rate-limits.js';
import { consumeCode } from './codes.js';
import { failWith, type Caller, type CoreContext, type Failure } from './context.js';
import type { AccountRecord } from './records.js';
import type { OwnerProof } from './types.js';

/**
 * Checks that the owner of `account` asks for a change: its password, or an `account-change`
 * code sent to its own phone. Wrong passwords slow further guesses at this account with a short,
 * growing delay (shared with login), never a lock.
 */
export async function checkOwnerProof(ctx: CoreContext, account: AccountRecord, proof: OwnerProof, caller: Caller): Promise<Failure | undefined> {
  if ('smsCode' in proof) {
    const spent = await consumeCode(ctx, 'account-change', account.username, proof.smsCode, caller);
    return spent.ok ? undefined : spent;
  }
  const delay = ctx.rateLimits.delay('core-login:account');
  const key = limitKey.account(account.username);
  const waitMs = await delay.waitMs(key);
  if (waitMs > 0) return failWith(ctx.render, 'rate_limited', { retryAfterSeconds: Math.ceil(waitMs / 1000) });
  if (await ctx.hasher.verify(account.passwordHash, proof.password)) return undefined;
  await delay.recordFailure(key);
  return failWith(ctx.render, 'proof_invalid', { kind: 'password' });
}

import { maskUsername } from '../privacy/mask.js';
import { consumeCode, sendCode } from './codes.js';
import { failWith, isLive, ok, refFor, type Caller, type CoreContext, type Implementations } from './context.js';
import { recoverableAccount } from './recovery.js';
import type { AccountRecord } from './records.js';
import type { BoundAccount, CoreResult, NoAccount } from './types.js';

type ChannelBinding = Implementations<'startBinding' | 'confirmBinding' | 'getBinding' | 'unbind'>;

const NO_ACCOUNT: NoAccount = { accountRef: null, maskedUsername: null };

/**
 * Binds a channel user (WeChat openid, web chat id) to an account after a code proves possession.
 * Acting for an end user, the channel user is that end user and nobody else: a caller can
 * neither read, complete nor remove another chat user's binding.
 */
export function createChannelBinding(ctx: CoreContext): ChannelBinding {
  const { stores, render } = ctx;
  const fail = (code: Parameters<typeof failWith>[1], details?: Parameters<typeof failWith>[2]) => failWith(render, code, details);

  function channelUserOf(named: string | undefined, caller: Caller): CoreResult<string> {
    if (caller.kind === 'end-user') {
      if (named !== undefined && named.trim() !== caller.id) return fail('forbidden');
      return ok(caller.id);
    }
    if (named === undefined) return fail('invalid_input', { field: 'channelUserId' });
    return ok(named.trim());
  }

  async function bound(account: AccountRecord, caller: Caller): Promise<BoundAccount> {
    return { accountRef: await refFor(ctx, account, caller), maskedUsername: maskUsername(account.username) };
  }

  return {
    async startBinding(input, caller) {
      const channelUser = channelUserOf(input.channelUserId, caller);
      if (!channelUser.ok) return channelUser;
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const sent = await sendCode(ctx, found.value, 'bind', input.via);
      if (!sent.ok) return sent;
      await stores.bindingRequests.put(channelUser.value, { username: found.value.username, via: input.via, requestedAt: ctx.now().toISOString() });
      return sent;
    },

    async confirmBinding(input, caller) {
      const channelUser = channelUserOf(input.channelUserId, caller);
      if (!channelUser.ok) return channelUser;
      const request = await stores.bindingRequests.get(channelUser.value);
      if (!request) return fail('not_bound', { step: 'confirm' });
      const account = await stores.accounts.get(request.username);
      if (!account) return fail('not_registered', { subject: 'username' });
      if (account.state === 'cancelled') return fail('account_cancelled', { reason: account.cancelledReason ?? null });
      const spent = await consumeCode(ctx, 'bind', request.username, input.code, caller);
      if (!spent.ok) return spent;
      await stores.bindings.put(channelUser.value, { username: request.username, boundAt: ctx.now().toISOString() });
      await stores.bindingRequests.delete(channelUser.value);
      return ok(await bound(account, caller));
    },

    async getBinding(input, caller) {
      const channelUser = channelUserOf(input.channelUserId, caller);
      if (!channelUser.ok) return channelUser;
      const binding = await stores.bindings.get(channelUser.value);
      const account = binding ? await stores.accounts.get(binding.username) : undefined;
      // A cancelled account's bindings stop counting; nothing needs rewriting when it is cancelled.
      return ok(isLive(account) ? await bound(account, caller) : NO_ACCOUNT);
    },

    async unbind(input, caller) {
      const channelUser = channelUserOf(input.channelUserId, caller);
      if (!channelUser.ok) return channelUser;
      let previous: string | undefined;
      await stores.bindings.update(channelUser.value, (binding) => {
        previous = binding?.username;
        return undefined;
      });
      await stores.bindingRequests.delete(channelUser.value);
      const account = previous === undefined ? undefined : await stores.accounts.get(previous);
      return ok(account ? await bound(account, caller) : NO_ACCOUNT);
    },
  };
}

import { consumeCode, sendCode } from './codes.js';
import { failWith, isLive, ok, type CoreContext } from './context.js';
import { recoverableAccount } from './recovery.js';
import type { AccountCore, CoreResult } from './types.js';

type ChannelBinding = Pick<AccountCore, 'startBinding' | 'confirmBinding' | 'getBinding' | 'unbind'>;

/** Binds a channel user (WeChat openid, web chat id) to an account after a code proves possession. */
export function createChannelBinding(ctx: CoreContext): ChannelBinding {
  const { stores, render } = ctx;
  const fail = (code: Parameters<typeof failWith>[1], details?: Parameters<typeof failWith>[2]) => failWith(render, code, details);
  const channelId = (raw: unknown): string | undefined => {
    const id = typeof raw === 'string' ? raw.trim() : '';
    return id === '' || id.length > 200 ? undefined : id;
  };

  return {
    async startBinding(input) {
      const channelUserId = channelId(input.channelUserId);
      if (!channelUserId) return fail('invalid_input', { field: 'channelUserId' });
      if (input.via !== 'sms' && input.via !== 'email') return fail('invalid_input', { field: 'via' });
      const found = await recoverableAccount(ctx, input.username);
      if (!found.ok) return found;
      const sent = await sendCode(ctx, found.account, 'bind', input.via);
      if (!sent.ok) return sent;
      await stores.bindingRequests.put(channelUserId, { username: found.account.username, via: input.via, requestedAt: ctx.now().toISOString() });
      return sent;
    },

    async confirmBinding(input) {
      const channelUserId = channelId(input.channelUserId);
      if (!channelUserId) return fail('invalid_input', { field: 'channelUserId' });
      const request = await stores.bindingRequests.get(channelUserId);
      if (!request) return fail('not_bound', { step: 'confirm' });
      const found = await recoverableAccount(ctx, request.username);
      if (!found.ok) return found;
      const spent = await consumeCode(ctx, 'bind', request.username, input.code);
      if (!spent.ok) return spent;
      await stores.bindings.put(channelUserId, { username: request.username, boundAt: ctx.now().toISOString() });
      await stores.bindingRequests.delete(channelUserId);
      return ok({ username: request.username });
    },

    async getBinding(input) {
      const channelUserId = channelId(input.channelUserId);
      if (!channelUserId) return fail('invalid_input', { field: 'channelUserId' });
      const binding = await stores.bindings.get(channelUserId);
      // A cancelled account's bindings stop counting; nothing needs rewriting when it is cancelled.
      const live = binding && isLive(await stores.accounts.get(binding.username));
      return ok({ username: live ? binding.username : null });
    },

    async unbind(input): Promise<CoreResult<{ username: string | null }>> {
      const channelUserId = channelId(input.channelUserId);
      if (!channelUserId) return fail('invalid_input', { field: 'channelUserId' });
      let previous: string | null = null;
      await stores.bindings.update(channelUserId, (binding) => {
        previous = binding?.username ?? null;
        return undefined;
      });
      await stores.bindingRequests.delete(channelUserId);
      return ok({ username: previous });
    },
  };
}

import { z } from 'zod';
import type { FoundAccount } from '../../account-core/types.js';
import { maskUsername } from '../../privacy/mask.js';

/**
 * An account a flow talks about: `ref` is what the core takes as `username` (the username the
 * user typed, or the `accountRef` the core gave instead of a username it would not tell), and
 * `masked` is all the user is ever shown of it.
 */
export const accountSchema = z.object({ ref: z.string().min(1), masked: z.string().min(1) });
export type AccountHandle = z.infer<typeof accountSchema>;

/** An account named by the username the user typed. */
export function typedAccount(username: string): AccountHandle {
  return { ref: username, masked: maskUsername(username) };
}

/** An account the core found or bound, known by its reference. */
export function coreAccount(found: FoundAccount): AccountHandle {
  return { ref: found.accountRef, masked: found.maskedUsername };
}

const carriesAccount = z.object({ account: accountSchema });

/** The account a sub-flow's result or a flow's seed carries, parsed (`null` when there is none). */
export function accountIn(data: Record<string, unknown> | null | undefined): AccountHandle | null {
  const parsed = carriesAccount.safeParse(data ?? {});
  return parsed.success ? parsed.data.account : null;
}

import type { Render } from '../render/renderer.js';
import type { Storage } from '../storage/types.js';
import { createChannelBinding } from './channel-binding.js';
import { failWith, type CoreContext, type DueDateCalendar } from './context.js';
import { createDuplicateId } from './duplicate-id.js';
import { createIdentity } from './identity.js';
import type { Outbox } from './outbox.js';
import { openCoreStores } from './records.js';
import { createRecovery, type ResetPages } from './recovery.js';
import { createArgon2Hasher, defaultRandomBytes, type PasswordHasher, type RandomBytes } from './secrets.js';
import { importAccountSeed, readAccountSeedFile, type AccountSeed } from './seed.js';
import type { AccountCore } from './types.js';

export interface EmbeddedAccountCoreDeps {
  storage: Storage;
  /** Text renderer over `templates/`; messages come from `templates/core/`. */
  render: Render;
  calendar: DueDateCalendar;
  outbox: Outbox;
  /** Absolute base URL for links in e-mails (`/core/reset/:token`, `/core/activate/:token`). */
  publicUrl: string;
  clock?: () => Date;
  /** argon2id with the library's default costs unless given. */
  passwordHasher?: PasswordHasher;
  random?: RandomBytes;
  /** Told about unexpected failures, which callers see as `unavailable`. */
  onError?: (error: unknown, operation: string) => void;
}

/** The embedded core: the public interface plus what its own pages and seeding need. */
export interface EmbeddedAccountCore extends AccountCore, ResetPages {
  /** Loads a validated seed when the store has never been seeded. */
  importSeed(seed: AccountSeed): Promise<{ imported: boolean; accounts: number }>;
}

/** The account core on our own storage. Every state change is durable before it reports success. */
export function createEmbeddedAccountCore(deps: EmbeddedAccountCoreDeps): EmbeddedAccountCore {
  const clock = deps.clock ?? (() => new Date());
  const ctx: CoreContext = {
    stores: openCoreStores(deps.storage),
    render: deps.render,
    now: clock,
    calendar: deps.calendar,
    outbox: deps.outbox,
    hasher: deps.passwordHasher ?? createArgon2Hasher(),
    publicUrl: deps.publicUrl.replace(/\/+$/, ''),
    random: deps.random ?? defaultRandomBytes,
  };
  const operations = {
    ...createIdentity(ctx),
    ...createRecovery(ctx),
    ...createDuplicateId(ctx),
    ...createChannelBinding(ctx),
    async listOutbox(input: { limit?: number; recipient?: string }) {
      const limit = input.limit === undefined ? 50 : Math.max(1, Math.min(500, Math.floor(input.limit)));
      return { ok: true as const, value: { messages: await deps.outbox.list({ limit, recipient: input.recipient }) } };
    },
  };
  const guarded = Object.fromEntries(
    Object.entries(operations).map(([name, operation]) => [
      name,
      async (input: unknown) => {
        try {
          return await (operation as (input: unknown) => Promise<unknown>)(input ?? {});
        } catch (error) {
          deps.onError?.(error, name);
          return failWith(ctx.render, 'unavailable');
        }
      },
    ]),
  ) as unknown as Omit<EmbeddedAccountCore, 'importSeed'>;
  return { ...guarded, importSeed: (seed) => importAccountSeed(ctx, seed) };
}

/** Seeds the embedded core from a CONTRACT.md seed file when its store has never been seeded. */
export async function seedAccountCore(core: EmbeddedAccountCore, seedFile: string, today?: Date): Promise<{ imported: boolean; accounts: number }> {
  return core.importSeed(await readAccountSeedFile(seedFile, today));
}

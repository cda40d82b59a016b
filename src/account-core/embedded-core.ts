import type { Render } from '../render/renderer.js';
import { createRateLimits, type RateLimits } from '../security/rate-limits.js';
import type { Storage } from '../storage/types.js';
import { createAccountRefs } from './account-refs.js';
import { createChannelBinding } from './channel-binding.js';
import { failWith, ok, type Caller, type CoreContext, type DueDateCalendar, type Implementations } from './context.js';
import { createDuplicateId } from './duplicate-id.js';
import { createIdentity } from './identity.js';
import { coreLimitsView } from './limits.js';
import { CORE_OPERATIONS, operationsFrom, type OperationName } from './operations.js';
import type { Outbox } from './outbox.js';
import { openCoreStores } from './records.js';
import { createRecovery, type ResetPages } from './recovery.js';
import { createRegistrationLinks, type RegistrationPages } from './registration-links.js';
import { createArgon2Hasher, defaultRandomBytes, type PasswordHasher, type RandomBytes } from './secrets.js';
import { importAccountSeed, readAccountSeedFile, type AccountSeed } from './seed.js';
import { SERVICE_ONLY_OPERATIONS, type AccountCore, type CoreResult } from './types.js';

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
  /** Lookup, login and password-change budgets; in-memory limiters unless given (Redis when shared). */
  rateLimits?: RateLimits;
  /** Told about unexpected failures, which callers see as `unavailable`. */
  onError?: (error: unknown, operation: string) => void;
}

/**
 * The embedded core in service scope, plus what its own public pages and seeding need. The
 * pages' methods are not part of `AccountCore`: only this process's page router reaches them.
 */
export interface EmbeddedAccountCore extends AccountCore, ResetPages, RegistrationPages {
  /** Loads a validated seed when the store has never been seeded. */
  importSeed(seed: AccountSeed): Promise<{ imported: boolean; accounts: number }>;
}

const serviceOnly: ReadonlySet<string> = new Set(SERVICE_ONLY_OPERATIONS);

/** The account core on our own storage. Every state change is durable before it reports success. */
export function createEmbeddedAccountCore(deps: EmbeddedAccountCoreDeps): EmbeddedAccountCore {
  const clock = deps.clock ?? (() => new Date());
  const stores = openCoreStores(deps.storage);
  const random = deps.random ?? defaultRandomBytes;
  const ctx: CoreContext = {
    stores,
    render: deps.render,
    now: clock,
    calendar: deps.calendar,
    outbox: deps.outbox,
    hasher: deps.passwordHasher ?? createArgon2Hasher(),
    publicUrl: deps.publicUrl.replace(/\/+$/, ''),
    random,
    rateLimits: deps.rateLimits ?? createRateLimits(),
    refs: createAccountRefs(stores.secrets, random),
  };
  const identity = createIdentity(ctx);
  const { inspectResetToken, activateEmail, ...recovery } = createRecovery(ctx);
  const { inspectRegistrationToken, registerWithToken, ...registrationLinks } = createRegistrationLinks(ctx, identity.register);
  const implementations = {
    limits: async () => ok(coreLimitsView()),
    ...identity,
    ...registrationLinks,
    ...recovery,
    ...createDuplicateId(ctx),
    ...createChannelBinding(ctx),
    async listOutbox(input) {
      return ok({ messages: await deps.outbox.list({ limit: input.limit ?? 50, recipient: input.recipient }) });
    },
  } satisfies Implementations<OperationName>;
  // Looked up by name below, where the input has just passed that name's own schema.
  const dispatch: Record<OperationName, (input: never, caller: Caller) => Promise<CoreResult<unknown>>> = implementations;

  /** Unexpected failures become `unavailable`, and the operator hears of them. */
  async function guarded<T>(name: string, run: () => Promise<CoreResult<T>>): Promise<CoreResult<T>> {
    try {
      return await run();
    } catch (error) {
      deps.onError?.(error, name);
      return failWith(ctx.render, 'unavailable');
    }
  }

  /** Every operation's way in: the caller's scope, then the table's input schema, then the implementation. */
  function call(name: OperationName, rawInput: unknown, caller: Caller): Promise<CoreResult<unknown>> {
    return guarded(name, async () => {
      if (caller.kind === 'end-user' && serviceOnly.has(name)) return failWith(ctx.render, 'forbidden');
      const parsed = CORE_OPERATIONS[name].input.safeParse(rawInput ?? {});
      if (!parsed.success) return failWith(ctx.render, 'invalid_input', { field: parsed.error.issues[0]?.path.join('.') ?? '' });
      return dispatch[name](parsed.data as never, caller);
    });
  }

  function scoped(caller: Caller): AccountCore {
    return {
      ...operationsFrom((name, input) => call(name, input, caller)),
      forEndUser: (endUserId, origin) => scoped(endUserScope(endUserId, origin?.address)),
    };
  }

  return {
    ...scoped({ kind: 'service' }),
    inspectResetToken: (input) => guarded('inspectResetToken', () => inspectResetToken(input)),
    activateEmail: (input) => guarded('activateEmail', () => activateEmail(input)),
    inspectRegistrationToken: (input) => guarded('inspectRegistrationToken', () => inspectRegistrationToken(input)),
    registerWithToken: (input) => guarded('registerWithToken', () => registerWithToken(input)),
    importSeed: (seed) => importAccountSeed(ctx, seed),
  };
}

/** An end user is named by a non-blank id; a blank one can never act for anybody. */
function endUserScope(endUserId: string, address?: string): Caller {
  const id = endUserId.trim();
  if (id === '' || id.length > 200) throw new Error('An end user id must be 1–200 characters');
  return address ? { kind: 'end-user', id, address } : { kind: 'end-user', id };
}

/** Seeds the embedded core from a seed file (format in docs/api.md) when its store has never been seeded. */
export async function seedAccountCore(core: EmbeddedAccountCore, seedFile: string, today?: Date): Promise<{ imported: boolean; accounts: number }> {
  return core.importSeed(await readAccountSeedFile(seedFile, today));
}

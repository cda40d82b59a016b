import { hash, verify } from '@node-rs/argon2';
import { isStrongAgentPassword } from '../../domain/agent-password.js';
import { MAX_PAGE, type IndexedCollection, type Storage } from '../../storage/types.js';
import type { Result } from '../../domain/result.js';

/** Admins manage agents; agents work tickets and reviews. */
export type AgentRole = 'admin' | 'agent';

/** A console account. The password is kept only as an argon2id hash. */
export interface AgentAccount {
  username: string;
  role: AgentRole;
  passwordHash: string;
  disabled: boolean;
  createdAt: string;
  createdBy: string;
  lastLoginAt?: string;
  /** Raised whenever the password changes or the account is disabled: sessions of an older epoch end. */
  sessionEpoch?: number;
}

/** What the console shows of an agent account. */
export interface AgentView {
  username: string;
  role: AgentRole;
  disabled: boolean;
  createdAt: string;
  createdBy: string;
  lastLoginAt: string | null;
  /** Sessions created under another epoch are no longer valid. */
  sessionEpoch: number;
}

export interface AgentHasher {
  hash(plain: string): Promise<string>;
  verify(stored: string, plain: string): Promise<boolean>;
}

/** argon2id with the library's recommended costs; tests pass lower costs, still argon2id. */
export function argon2Hasher(options: { memoryCost?: number; timeCost?: number } = {}): AgentHasher {
  return {
    hash: (plain) => hash(plain, options),
    async verify(stored, plain) {
      try {
        return await verify(stored, plain);
      } catch {
        return false;
      }
    },
  };
}

export type LoginResult = Result<AgentView, 'wrong-credentials'>;

export type AgentChangeResult = Result<AgentView, 'exists' | 'not-found' | 'invalid-username' | 'weak-password' | 'last-admin'>;

/** The key console accounts are listed by: the role of an active account. */
type AgentKey = 'activeRole';

const USERNAME = /^[A-Za-z0-9._@-]{2,64}$/;

/** Passwords agents choose (the admin from ADMIN_PASSWORD included): see domain/agent-password.ts. */
export const isStrongPassword = isStrongAgentPassword;

/**
 * Console accounts: creation by admins, password checks, role and status changes. Repeated
 * failures are slowed by the console's LoginThrottle per address and account, never by a lock on
 * the account that a stranger could keep renewing.
 */
export class AgentDirectory {
  private readonly store: IndexedCollection<AgentAccount, AgentKey>;
  private dummyHash: Promise<string> | undefined;

  constructor(
    storage: Storage,
    private readonly hasher: AgentHasher,
    private readonly clock: () => Date,
  ) {
    this.store = storage.collection<AgentAccount, AgentKey>('helpdesk-agents', {
      keys: ['activeRole'],
      index: (account) => ({ activeRole: account.disabled ? null : account.role }),
      order: (account) => account.username,
    });
  }

  /** Creates the first admin from ADMIN_USER/ADMIN_PASSWORD when there is no agent at all. */
  async ensureFirstAdmin(username: string, password: string): Promise<boolean> {
    if ((await this.store.page({ limit: 1 })).items.length > 0) return false;
    const created = await this.insert(username, password, 'admin', 'bootstrap');
    return created.ok;
  }

  async create(input: { username: string; password: string; role: AgentRole }, actor: string): Promise<AgentChangeResult> {
    return this.insert(input.username, input.password, input.role, actor);
  }

  async login(username: string, password: string): Promise<LoginResult> {
    const now = this.clock();
    const key = username.trim().toLowerCase();
    const account = await this.store.get(key);
    if (!account || account.disabled) {
      // Same work as a real check, so response time does not tell which names exist.
      await this.hasher.verify(await this.dummy(), password);
      return { ok: false, error: 'wrong-credentials' };
    }
    if (!(await this.hasher.verify(account.passwordHash, password))) return { ok: false, error: 'wrong-credentials' };
    const updated = await this.store.update(key, (current) => (current ? { ...current, lastLoginAt: now.toISOString() } : current));
    return updated ? { ok: true, value: view(updated) } : { ok: false, error: 'wrong-credentials' };
  }

  async get(username: string): Promise<AgentView | undefined> {
    const account = await this.store.get(username.trim().toLowerCase());
    return account ? view(account) : undefined;
  }

  /** Agents by name, a page at a time. */
  async list(query: { limit: number; cursor?: string } = { limit: MAX_PAGE }): Promise<{ agents: AgentView[]; cursor: string | null }> {
    const page = await this.store.page(query);
    return { agents: page.items.map(view), cursor: page.cursor };
  }

  /** Changes role, status or password. The last active admin cannot be removed. */
  async update(username: string, change: { role?: AgentRole; disabled?: boolean; password?: string }): Promise<AgentChangeResult> {
    if (change.password !== undefined && !isStrongPassword(change.password)) return { ok: false, error: 'weak-password' };
    const key = username.trim().toLowerCase();
    const current = await this.store.get(key);
    if (!current) return { ok: false, error: 'not-found' };
    const losesAdmin = current.role === 'admin' && !current.disabled && (change.role === 'agent' || change.disabled === true);
    if (losesAdmin) {
      const activeAdmins = await this.store.count({ where: { activeRole: 'admin' } }, 2);
      if (activeAdmins <= 1) return { ok: false, error: 'last-admin' };
    }
    const passwordHash = change.password === undefined ? undefined : await this.hasher.hash(change.password);
    const updated = await this.store.update(key, (account) => {
      if (!account) return account;
      if (change.role) account.role = change.role;
      if (change.disabled !== undefined) account.disabled = change.disabled;
      // A new password or a disabled account ends every session opened before.
      if (passwordHash || change.disabled === true) account.sessionEpoch = (account.sessionEpoch ?? 0) + 1;
      if (passwordHash) account.passwordHash = passwordHash;
      return account;
    });
    return updated ? { ok: true, value: view(updated) } : { ok: false, error: 'not-found' };
  }

  /** Checks an agent's current password (for changing it). */
  async checkPassword(username: string, password: string): Promise<boolean> {
    const account = await this.store.get(username.trim().toLowerCase());
    return Boolean(account && (await this.hasher.verify(account.passwordHash, password)));
  }

  private async insert(username: string, password: string, role: AgentRole, actor: string): Promise<AgentChangeResult> {
    const name = username.trim();
    if (!USERNAME.test(name)) return { ok: false, error: 'invalid-username' };
    if (!isStrongPassword(password)) return { ok: false, error: 'weak-password' };
    const passwordHash = await this.hasher.hash(password);
    const now = this.clock();
    let exists = false;
    const created = await this.store.update(name.toLowerCase(), (current) => {
      if (current) {
        exists = true;
        return current;
      }
      return { username: name.toLowerCase(), role, passwordHash, disabled: false, createdAt: now.toISOString(), createdBy: actor };
    });
    if (exists || !created) return { ok: false, error: 'exists' };
    return { ok: true, value: view(created) };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hasher.hash('not-a-real-password-0');
    return this.dummyHash;
  }
}

function view(account: AgentAccount): AgentView {
  return {
    username: account.username,
    role: account.role,
    disabled: account.disabled,
    createdAt: account.createdAt,
    createdBy: account.createdBy,
    lastLoginAt: account.lastLoginAt ?? null,
    sessionEpoch: account.sessionEpoch ?? 0,
  };
}

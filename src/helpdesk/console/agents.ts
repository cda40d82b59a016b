import { hash, verify } from '@node-rs/argon2';
import type { DocumentStore, Storage } from '../../storage/types.js';

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
  failedLogins: number;
  lockedUntil?: string;
  lastLoginAt?: string;
}

/** What the console shows of an agent account. */
export interface AgentView {
  username: string;
  role: AgentRole;
  disabled: boolean;
  createdAt: string;
  createdBy: string;
  lastLoginAt: string | null;
  locked: boolean;
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

export interface LockoutPolicy {
  /** Failed logins in a row that lock an account. */
  maxFailures: number;
  lockMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockMs: 15 * 60 * 1000 };

export type LoginResult =
  { ok: true; agent: AgentView } | { ok: false; reason: 'wrong-credentials' } | { ok: false; reason: 'locked'; lockedUntil: string };

export type AgentChangeResult =
  { ok: true; agent: AgentView } | { ok: false; error: 'exists' | 'not-found' | 'invalid-username' | 'weak-password' | 'last-admin' };

const USERNAME = /^[A-Za-z0-9._@-]{2,64}$/;

/** Passwords agents choose: 10 to 128 characters with a letter and a digit. */
export function isStrongPassword(password: string): boolean {
  return password.length >= 10 && password.length <= 128 && /[A-Za-z]/.test(password) && /\d/.test(password);
}

/**
 * Console accounts: creation by admins, login with lockout after repeated failures (also for
 * names that do not exist, so the lock does not reveal which ones do), role and status changes.
 */
export class AgentDirectory {
  private readonly store: DocumentStore<AgentAccount>;
  /** Failures for names that are not accounts, kept in memory only. */
  private readonly unknownFailures = new Map<string, { count: number; until?: number }>();
  private dummyHash: Promise<string> | undefined;

  constructor(
    storage: Storage,
    private readonly hasher: AgentHasher,
    private readonly clock: () => Date,
    private readonly lockout: LockoutPolicy = DEFAULT_LOCKOUT,
  ) {
    this.store = storage.documents<AgentAccount>('helpdesk-agents');
  }

  /** Creates the first admin from ADMIN_USER/ADMIN_PASSWORD when there is no agent at all. */
  async ensureFirstAdmin(username: string, password: string): Promise<boolean> {
    if ((await this.store.list()).length > 0) return false;
    const created = await this.insert(username, password, 'admin', 'bootstrap', { skipStrength: true });
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
      return this.failUnknown(key, now);
    }
    if (account.lockedUntil && Date.parse(account.lockedUntil) > now.getTime()) {
      return { ok: false, reason: 'locked', lockedUntil: account.lockedUntil };
    }
    const valid = await this.hasher.verify(account.passwordHash, password);
    const updated = await this.store.update(key, (current) => {
      if (!current) return current;
      if (valid) {
        current.failedLogins = 0;
        delete current.lockedUntil;
        current.lastLoginAt = now.toISOString();
      } else {
        current.failedLogins += 1;
        if (current.failedLogins >= this.lockout.maxFailures) {
          current.lockedUntil = new Date(now.getTime() + this.lockout.lockMs).toISOString();
          current.failedLogins = 0;
        }
      }
      return current;
    });
    if (valid && updated) return { ok: true, agent: view(updated, now) };
    if (updated?.lockedUntil) return { ok: false, reason: 'locked', lockedUntil: updated.lockedUntil };
    return { ok: false, reason: 'wrong-credentials' };
  }

  async get(username: string): Promise<AgentView | undefined> {
    const account = await this.store.get(username.trim().toLowerCase());
    return account ? view(account, this.clock()) : undefined;
  }

  async list(): Promise<AgentView[]> {
    const now = this.clock();
    return (await this.store.list()).map((account) => view(account, now)).sort((a, b) => a.username.localeCompare(b.username));
  }

  /** Changes role, status or password; unlocks on a password reset. The last active admin cannot be removed. */
  async update(username: string, change: { role?: AgentRole; disabled?: boolean; password?: string }): Promise<AgentChangeResult> {
    if (change.password !== undefined && !isStrongPassword(change.password)) return { ok: false, error: 'weak-password' };
    const key = username.trim().toLowerCase();
    const current = await this.store.get(key);
    if (!current) return { ok: false, error: 'not-found' };
    const losesAdmin = current.role === 'admin' && !current.disabled && (change.role === 'agent' || change.disabled === true);
    if (losesAdmin) {
      const admins = (await this.store.list()).filter((account) => account.role === 'admin' && !account.disabled);
      if (admins.length <= 1) return { ok: false, error: 'last-admin' };
    }
    const passwordHash = change.password === undefined ? undefined : await this.hasher.hash(change.password);
    const updated = await this.store.update(key, (account) => {
      if (!account) return account;
      if (change.role) account.role = change.role;
      if (change.disabled !== undefined) account.disabled = change.disabled;
      if (passwordHash) {
        account.passwordHash = passwordHash;
        account.failedLogins = 0;
        delete account.lockedUntil;
      }
      return account;
    });
    return updated ? { ok: true, agent: view(updated, this.clock()) } : { ok: false, error: 'not-found' };
  }

  /** Checks an agent's current password (for changing it). */
  async checkPassword(username: string, password: string): Promise<boolean> {
    const account = await this.store.get(username.trim().toLowerCase());
    return Boolean(account && (await this.hasher.verify(account.passwordHash, password)));
  }

  private async insert(
    username: string,
    password: string,
    role: AgentRole,
    actor: string,
    options: { skipStrength?: boolean } = {},
  ): Promise<AgentChangeResult> {
    const name = username.trim();
    if (!USERNAME.test(name)) return { ok: false, error: 'invalid-username' };
    if (!options.skipStrength && !isStrongPassword(password)) return { ok: false, error: 'weak-password' };
    const passwordHash = await this.hasher.hash(password);
    const now = this.clock();
    let exists = false;
    const created = await this.store.update(name.toLowerCase(), (current) => {
      if (current) {
        exists = true;
        return current;
      }
      return { username: name.toLowerCase(), role, passwordHash, disabled: false, createdAt: now.toISOString(), createdBy: actor, failedLogins: 0 };
    });
    if (exists || !created) return { ok: false, error: 'exists' };
    return { ok: true, agent: view(created, now) };
  }

  private failUnknown(key: string, now: Date): LoginResult {
    const entry = this.unknownFailures.get(key) ?? { count: 0 };
    if (entry.until && entry.until > now.getTime()) return { ok: false, reason: 'locked', lockedUntil: new Date(entry.until).toISOString() };
    entry.count += 1;
    if (entry.count >= this.lockout.maxFailures) {
      entry.until = now.getTime() + this.lockout.lockMs;
      entry.count = 0;
    }
    if (this.unknownFailures.size > 10_000) this.unknownFailures.clear();
    this.unknownFailures.set(key, entry);
    if (entry.until && entry.until > now.getTime()) return { ok: false, reason: 'locked', lockedUntil: new Date(entry.until).toISOString() };
    return { ok: false, reason: 'wrong-credentials' };
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hasher.hash('not-a-real-password-0');
    return this.dummyHash;
  }
}

function view(account: AgentAccount, now: Date): AgentView {
  return {
    username: account.username,
    role: account.role,
    disabled: account.disabled,
    createdAt: account.createdAt,
    createdBy: account.createdBy,
    lastLoginAt: account.lastLoginAt ?? null,
    locked: Boolean(account.lockedUntil && Date.parse(account.lockedUntil) > now.getTime()),
  };
}

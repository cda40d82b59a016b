import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DocumentStore, Storage } from '../../storage/types.js';

/** A logged-in console session. Stored under a keyed hash of its token, never the token itself. */
export interface AgentSession {
  username: string;
  /** Synchroniser token for state-changing browser requests. */
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
  /** The agent's session epoch at login; a password change or disabling raises it. */
  epoch: number;
}

/** How long a console session lasts: one working day's shift and some. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Console sessions. The cookie holds a random 256-bit token; the store is keyed by its
 * HMAC under `SESSION_SECRET`, so a copy of the data directory cannot be replayed as cookies.
 * Without a configured secret a random one is used and sessions end with the process.
 */
export class SessionStore {
  private readonly store: DocumentStore<AgentSession>;
  private readonly secret: Buffer;

  constructor(
    storage: Storage,
    private readonly clock: () => Date,
    secret?: string,
    private readonly ttlMs = SESSION_TTL_MS,
  ) {
    this.store = storage.documents<AgentSession>('helpdesk-sessions');
    this.secret = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  async create(agent: { username: string; sessionEpoch: number }): Promise<{ token: string; session: AgentSession }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    const session: AgentSession = {
      username: agent.username,
      epoch: agent.sessionEpoch,
      csrfToken: randomBytes(24).toString('base64url'),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttlMs).toISOString(),
    };
    await this.store.put(this.key(token), session);
    return { token, session };
  }

  async resolve(token: string | undefined): Promise<AgentSession | undefined> {
    if (!token || token.length > 200) return undefined;
    const session = await this.store.get(this.key(token));
    if (!session) return undefined;
    if (Date.parse(session.expiresAt) <= this.clock().getTime()) {
      await this.store.delete(this.key(token));
      return undefined;
    }
    return session;
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token) await this.store.delete(this.key(token));
  }

  private key(token: string): string {
    return createHmac('sha256', this.secret).update(token).digest('hex');
  }
}

/** Constant-time comparison of two tokens. */
export function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What a request's (timestamp, nonce) pair was seen with before. */
export type NonceVerdict = 'first' | 'same-body' | 'other-body';

/**
 * Remembers the signed (timestamp, nonce) pairs of plaintext requests for as long as the timestamp
 * window lasts. In plaintext mode WeChat's signature covers only token, timestamp and nonce, not
 * the body: without this, a captured query string could carry any body within the window. A pair
 * seen again with the very same body is a network retry and is let through (the delivery ledger
 * answers it once); with another body it is a forgery.
 */
export interface SeenNonces {
  remember(timestamp: string, nonce: string, body: string, ttlMs: number): Promise<NonceVerdict>;
}

function fingerprint(body: string): string {
  return createHash('sha256').update(body).digest('base64url');
}

/** One process: a map swept of expired pairs as it is used, so it holds at most one window's worth. */
export class InProcessSeenNonces implements SeenNonces {
  private readonly seen = new Map<string, { body: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async remember(timestamp: string, nonce: string, body: string, ttlMs: number): Promise<NonceVerdict> {
    const now = this.now();
    for (const [key, entry] of this.seen) {
      // Entries are inserted in time order with the same TTL, so the first live one ends the sweep.
      if (entry.expiresAt > now) break;
      this.seen.delete(key);
    }
    const key = `${timestamp}:${nonce}`;
    const known = this.seen.get(key);
    const print = fingerprint(body);
    if (known) return known.body === print ? 'same-body' : 'other-body';
    this.seen.set(key, { body: print, expiresAt: now + ttlMs });
    return 'first';
  }
}

/** Every instance on one Redis: `SET NX PX` keeps the first body's fingerprint for the window. */
export class RedisSeenNonces implements SeenNonces {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
  ) {}

  async remember(timestamp: string, nonce: string, body: string, ttlMs: number): Promise<NonceVerdict> {
    const key = `${this.namespace}${timestamp}:${nonce}`;
    const print = fingerprint(body);
    const stored = await this.redis.set(key, print, 'PX', Math.max(1, ttlMs), 'NX');
    if (stored === 'OK') return 'first';
    return (await this.redis.get(key)) === print ? 'same-body' : 'other-body';
  }
}

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Semaphore } from 'redis-semaphore';

/** One key a long-lived connection counts against (a visitor, an address) and how many it may hold. */
export interface StreamSlot {
  key: string;
  cap: number;
}

/**
 * Caps on long-lived connections (the web chat's event streams). `open` takes a slot under every
 * key, or none of them, and answers the function that gives them back, or `undefined` when any
 * key is at its cap.
 */
export interface StreamSlots {
  open(slots: StreamSlot[]): Promise<(() => void) | undefined>;
}

/** Counts in this process: enough for one instance. */
export class InProcessStreamSlots implements StreamSlots {
  private readonly counts = new Map<string, number>();

  async open(slots: StreamSlot[]): Promise<(() => void) | undefined> {
    if (slots.some((slot) => this.count(slot.key) >= slot.cap)) return undefined;
    for (const slot of slots) this.counts.set(slot.key, this.count(slot.key) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const slot of slots) {
        const left = this.count(slot.key) - 1;
        if (left <= 0) this.counts.delete(slot.key);
        else this.counts.set(slot.key, left);
      }
    };
  }

  private count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

export interface RedisStreamSlotsOptions {
  /** A slot not renewed for this long is free again: what a crashed instance's streams hold at most. */
  leaseMs?: number;
  logger?: Logger;
}

/**
 * Counts across every instance on one Redis, with redis-semaphore: each slot is a lease in a
 * sorted set per key, renewed while the stream is open and dropped when it closes, so a visitor
 * cannot hold three streams on each of N instances. A crashed instance's slots run out after
 * `leaseMs`. The client's key prefix (REDIS_KEY_PREFIX) applies to the semaphores' keys.
 */
export class RedisStreamSlots implements StreamSlots {
  private readonly leaseMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisStreamSlotsOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 120_000;
  }

  async open(slots: StreamSlot[]): Promise<(() => void) | undefined> {
    const taken: Semaphore[] = [];
    const giveBack = () => {
      for (const semaphore of taken) {
        semaphore.release().catch((error: unknown) => this.options.logger?.warn({ err: error }, 'stream slot not released; its lease runs out'));
      }
    };
    for (const slot of slots) {
      const semaphore = new Semaphore(this.redis, `streams:${slot.key}`, slot.cap, {
        lockTimeout: this.leaseMs,
        refreshInterval: Math.floor(this.leaseMs / 3),
        acquireAttemptsLimit: 1,
        // A lost lease (Redis failover) only loosens the cap for this stream; the stream goes on.
        onLockLost: (error) => this.options.logger?.warn({ err: error }, 'stream slot lease lost'),
      });
      if (!(await semaphore.tryAcquire())) {
        giveBack();
        return undefined;
      }
      taken.push(semaphore);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      giveBack();
    };
  }
}

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Mutex, TimeoutError } from 'redis-semaphore';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import type { KeyedLock } from './keyed-lock.js';

/** The lock could not be taken in time: another instance holds it (or Redis is unreachable). */
export class LockTimeoutError extends Error {
  constructor(readonly key: string) {
    super(`lock ${key} not acquired in time`);
    this.name = 'LockTimeoutError';
  }
}

export interface RedisLeaseLockOptions {
  /** How long a lease lives without renewal; a crashed holder blocks others at most this long. */
  leaseMs?: number;
  /** How long `run` waits for the lock before giving up with LockTimeoutError. */
  acquireTimeoutMs?: number;
  /** How often a waiter asks Redis again. */
  retryMs?: number;
  logger?: Logger;
}

/**
 * A lease lock on one Redis, with redis-semaphore's Mutex: `SET NX PX` to take it, a
 * compare-and-delete to release it, and a compare-and-extend every third of the lease while the
 * work runs, so long work keeps its lock and a crashed instance's lock expires on its own. Its keys
 * are `mutex:<key>` on the client given, whose key prefix (REDIS_KEY_PREFIX) goes in front.
 *
 * Waiters of one process queue in a local mutex first, so at most one of them polls Redis per key
 * and they are served in arrival order. (One Redis, not Redlock over several: a Redis failover that
 * loses a lease can let two turns of one conversation interleave once, the later state write
 * winning; what the database writes in its own transactions, such as tickets and their numbers,
 * does not depend on this lock.)
 */
export class RedisLeaseLock implements KeyedLock {
  private readonly local = new KeyedMutex();
  private readonly leaseMs: number;
  private readonly acquireTimeoutMs: number;
  private readonly retryMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisLeaseLockOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 20_000;
    this.retryMs = options.retryMs ?? 10;
  }

  run<R>(key: string, work: () => Promise<R>): Promise<R> {
    return this.local.run(key, async () => {
      const logger = this.options.logger;
      const mutex = new Mutex(this.redis, key, {
        lockTimeout: this.leaseMs,
        acquireTimeout: this.acquireTimeoutMs,
        retryInterval: this.retryMs,
        refreshInterval: Math.max(50, Math.floor(this.leaseMs / 3)),
        onLockLost: (error) => logger?.warn({ err: error, key }, 'lock lease lost while its work was still running'),
      });
      try {
        await mutex.acquire();
      } catch (error) {
        throw error instanceof TimeoutError ? new LockTimeoutError(key) : error;
      }
      try {
        return await work();
      } finally {
        // On failure the lease expires by itself; the next holder waits at most leaseMs.
        await mutex.release().catch((error: unknown) => logger?.warn({ err: error, key }, 'lock could not be released'));
      }
    });
  }
}

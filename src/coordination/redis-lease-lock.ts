import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import type { KeyedLock } from './keyed-lock.js';

/** Deletes the lock only when it still holds our token: never release a lease someone else took over. */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Extends the lease only while it is still ours. */
const EXTEND_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** The lock could not be taken in time: another instance holds it (or Redis is unreachable). */
export class LockTimeoutError extends Error {
  constructor(readonly key: string) {
    super(`lock ${key} not acquired in time`);
    this.name = 'LockTimeoutError';
  }
}

export interface RedisLeaseLockOptions {
  /** Prefix of every lock key in Redis. */
  namespace?: string;
  /** How long a lease lives without renewal; a crashed holder blocks others at most this long. */
  leaseMs?: number;
  /** How long `run` waits for the lock before giving up with LockTimeoutError. */
  acquireTimeoutMs?: number;
  logger?: Logger;
}

/**
 * A lease lock on one Redis: `SET key token NX PX lease` to take it, a Lua compare-and-delete to
 * release it, and a Lua compare-and-extend every third of the lease while the work runs, so long
 * work keeps its lock and a crashed instance's lock expires on its own.
 *
 * Waiters of one process queue in a local mutex first, so at most one of them polls Redis per key
 * and they are served in arrival order; across instances, waiters retry with a short jittered backoff.
 * (One Redis, not Redlock over several: a Redis failover that loses a lease can let two turns of one
 * conversation interleave once, the later state write winning; what the database writes in its own
 * transactions, such as tickets and their numbers, does not depend on this lock.)
 */
export class RedisLeaseLock implements KeyedLock {
  private readonly local = new KeyedMutex();
  private readonly namespace: string;
  private readonly leaseMs: number;
  private readonly acquireTimeoutMs: number;
  private readonly logger: Logger | undefined;

  constructor(
    private readonly redis: Redis,
    options: RedisLeaseLockOptions = {},
  ) {
    this.namespace = options.namespace ?? 'lock:';
    this.leaseMs = options.leaseMs ?? 15_000;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 20_000;
    this.logger = options.logger;
  }

  run<R>(key: string, work: () => Promise<R>): Promise<R> {
    return this.local.run(key, async () => {
      const redisKey = `${this.namespace}${key}`;
      const token = await this.acquire(redisKey);
      const renewal = setInterval(() => void this.extend(redisKey, token), Math.max(50, Math.floor(this.leaseMs / 3)));
      renewal.unref();
      try {
        return await work();
      } finally {
        clearInterval(renewal);
        await this.release(redisKey, token);
      }
    });
  }

  private async acquire(redisKey: string): Promise<string> {
    const token = randomUUID();
    const deadline = Date.now() + this.acquireTimeoutMs;
    let backoffMs = 2;
    for (;;) {
      if ((await this.redis.set(redisKey, token, 'PX', this.leaseMs, 'NX')) === 'OK') return token;
      if (Date.now() >= deadline) throw new LockTimeoutError(redisKey);
      await pause(backoffMs + Math.random() * backoffMs);
      backoffMs = Math.min(backoffMs * 2, 50);
    }
  }

  private async extend(redisKey: string, token: string): Promise<void> {
    try {
      const extended = await this.redis.eval(EXTEND_SCRIPT, 1, redisKey, token, String(this.leaseMs));
      if (extended !== 1) this.logger?.warn({ key: redisKey }, 'lock lease lost while its work was still running');
    } catch (error) {
      this.logger?.warn({ err: error, key: redisKey }, 'lock lease could not be extended');
    }
  }

  private async release(redisKey: string, token: string): Promise<void> {
    try {
      await this.redis.eval(RELEASE_SCRIPT, 1, redisKey, token);
    } catch (error) {
      // The lease expires by itself; the next holder waits at most leaseMs.
      this.logger?.warn({ err: error, key: redisKey }, 'lock could not be released');
    }
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

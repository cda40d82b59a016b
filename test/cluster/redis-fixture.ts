import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { test } from 'vitest';

/** Set by .ci/run (or by hand: `TEST_REDIS_URL=redis://127.0.0.1:6379`); without it these tests are skipped. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;
/** Set by .ci/run; the cluster tests need both. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/**
 * Two Redis connections standing for two instances, and a key prefix no other test uses. Every
 * key under the prefix is deleted and both connections are closed when the test finishes.
 */
export const redisTest = test.extend<{ prefix: string; instanceA: Redis; instanceB: Redis }>({
  // eslint-disable-next-line no-empty-pattern -- vitest fixtures take their dependencies by destructuring
  prefix: async ({}, use) => {
    const prefix = `test:${randomUUID()}:`;
    await use(prefix);
    const cleaner = new Redis(TEST_REDIS_URL!);
    const keys = await cleaner.keys(`${prefix}*`);
    if (keys.length > 0) await cleaner.del(...keys);
    await cleaner.quit();
  },
  // eslint-disable-next-line no-empty-pattern -- as above
  instanceA: async ({}, use) => {
    const redis = new Redis(TEST_REDIS_URL!);
    await use(redis);
    await redis.quit();
  },
  // eslint-disable-next-line no-empty-pattern -- as above
  instanceB: async ({}, use) => {
    const redis = new Redis(TEST_REDIS_URL!);
    await use(redis);
    await redis.quit();
  },
});

import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createRateLimits, growingDelaySeconds, limitKey, DEFAULT_GROWING_DELAYS } from '../../src/security/rate-limits.js';
import { redisTest, TEST_REDIS_URL } from '../cluster/redis-fixture.js';

describe('named rate limits', () => {
  // The limiters read Date.now(); fake timers move the clock without sleeping.
  beforeAll(() => void vi.useFakeTimers({ now: new Date('2026-03-02T02:00:00Z') }));
  afterAll(() => void vi.useRealTimers());

  test('a key spends its budget, is refused with a retry time, and is served again after the window', async () => {
    const limits = createRateLimits({ policies: { 'chat-message:identity': { points: 3, durationSeconds: 60 } } });
    const key = limitKey.user('web-abc');
    for (let i = 0; i < 3; i += 1) expect((await limits.consume('chat-message:identity', key)).allowed).toBe(true);
    const refused = await limits.consume('chat-message:identity', key);
    expect(refused).toMatchObject({ allowed: false, limit: 'chat-message:identity' });
    expect(refused.allowed === false && refused.retryAfterMs).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(61_000);
    expect((await limits.consume('chat-message:identity', key)).allowed).toBe(true);
  });

  test('per-IP and per-identity budgets are charged together and the first refusal answers', async () => {
    const limits = createRateLimits({
      policies: { 'chat-message:ip': { points: 2, durationSeconds: 60 }, 'chat-message:identity': { points: 10, durationSeconds: 60 } },
    });
    const charge = (user: string) => [
      { limit: 'chat-message:ip' as const, key: limitKey.ip('203.0.113.9') },
      { limit: 'chat-message:identity' as const, key: limitKey.user(user) },
    ];
    expect((await limits.consumeEach(charge('a'))).allowed).toBe(true);
    expect((await limits.consumeEach(charge('b'))).allowed).toBe(true);
    // A third identity from the same address is refused by the IP budget.
    expect(await limits.consumeEach(charge('c'))).toMatchObject({ allowed: false, limit: 'chat-message:ip' });
  });

  test('one asker exhausting its failure budget leaves another asker untouched', async () => {
    const limits = createRateLimits();
    const stranger = limitKey.user('stranger');
    for (let i = 0; i < 5; i += 1) await limits.consume('account-lookup-failure:identity', stranger);
    expect((await limits.peek('account-lookup-failure:identity', stranger)).allowed).toBe(false);
    expect((await limits.peek('account-lookup-failure:identity', limitKey.user('owner'))).allowed).toBe(true);
    await limits.reset('account-lookup-failure:identity', stranger);
    expect((await limits.peek('account-lookup-failure:identity', stranger)).allowed).toBe(true);
  });

  test('keys of different kinds never collide', () => {
    expect(limitKey.ip('1.2.3.4')).not.toBe(limitKey.user('1.2.3.4'));
    expect(limitKey.account(' Admin ')).toBe('account:admin');
  });
});

describe('growing delays instead of a renewable lock', () => {
  beforeAll(() => void vi.useFakeTimers({ now: new Date('2026-03-02T02:00:00Z') }));
  afterAll(() => void vi.useRealTimers());

  test('the first failures are free, then the wait doubles up to its cap', () => {
    const policy = { freeFailures: 2, firstDelaySeconds: 1, maxDelaySeconds: 8, forgetAfterSeconds: 3600 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => growingDelaySeconds(policy, n))).toEqual([0, 0, 1, 2, 4, 8, 8]);
  });

  test('an account under attack is never kept out longer than the cap, and a success clears the count', async () => {
    const limits = createRateLimits();
    const delay = limits.delay('agent-login:account');
    const key = limitKey.account('admin');
    const cap = DEFAULT_GROWING_DELAYS['agent-login:account'].maxDelaySeconds * 1000;
    for (let i = 0; i < 40; i += 1) {
      await delay.recordFailure(key);
      expect(await delay.waitMs(key)).toBeLessThanOrEqual(cap);
    }
    expect(await delay.waitMs(key)).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(cap + 1000);
    expect(await delay.waitMs(key)).toBe(0);
    await delay.recordSuccess(key);
    expect(await delay.recordFailure(key)).toBe(0);
  });
});

describe.skipIf(!TEST_REDIS_URL)('named rate limits on Redis (TEST_REDIS_URL)', () => {
  redisTest('two instances share one budget and one growing delay', async ({ prefix, instanceA, instanceB }) => {
    const policies = { 'chat-message:identity': { points: 2, durationSeconds: 60 } };
    const first = createRateLimits({ redis: instanceA, keyPrefix: `${prefix}rl`, policies });
    const second = createRateLimits({ redis: instanceB, keyPrefix: `${prefix}rl`, policies });
    const key = limitKey.user('web-shared');
    expect((await first.consume('chat-message:identity', key)).allowed).toBe(true);
    expect((await second.consume('chat-message:identity', key)).allowed).toBe(true);
    expect(await first.consume('chat-message:identity', key)).toMatchObject({ allowed: false, limit: 'chat-message:identity' });
    await second.reset('chat-message:identity', key);
    expect((await first.peek('chat-message:identity', key)).allowed).toBe(true);

    const account = limitKey.account('admin');
    for (let i = 0; i < 7; i += 1) await first.delay('agent-login:account').recordFailure(account);
    expect(await second.delay('agent-login:account').waitMs(account)).toBeGreaterThan(0);
  });
});

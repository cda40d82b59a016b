import type { Redis } from 'ioredis';
import pino from 'pino';
import { describe, expect, onTestFinished } from 'vitest';
import { createWechatApi, type CachedAccessToken } from '../../src/channels/wechat-oa/api-client.js';
import { RedisMessageBus } from '../../src/coordination/message-bus.js';
import { RedisAnswerRelay } from '../../src/coordination/redis-answer-relay.js';
import { RedisDeliveryLedger } from '../../src/coordination/redis-delivery-ledger.js';
import { RedisJsonCache } from '../../src/coordination/redis-json-cache.js';
import { LockTimeoutError, RedisLeaseLock } from '../../src/coordination/redis-lease-lock.js';
import { RedisStreamSlots } from '../../src/coordination/stream-slots.js';
import { createRateLimits, limitKey } from '../../src/security/rate-limits.js';
import { MockWechatApi } from '../channels/wechat-oa/mock-wechat-api.js';
import { z } from 'zod';
import { TEST_REDIS_URL, redisTest } from './redis-fixture.js';

const silent = pino({ level: 'silent' });

describe.skipIf(!TEST_REDIS_URL)('Redis coordination between two instances', () => {
  redisTest('a conversation lock lets one instance at a time change the shared state', async ({ prefix, instanceA, instanceB }) => {
    const lockA = new RedisLeaseLock(prefixedClient(instanceA, prefix));
    const lockB = new RedisLeaseLock(prefixedClient(instanceB, prefix));
    let inside = 0;
    let mostInside = 0;
    // Read-modify-write with a round trip in the middle: without the lock, increments get lost.
    const turn = (lock: RedisLeaseLock, redis: Redis) =>
      lock.run('conversation:web:u1', async () => {
        inside += 1;
        mostInside = Math.max(mostInside, inside);
        const count = Number((await redis.get(`${prefix}turns`)) ?? 0);
        await redis.ping();
        await redis.set(`${prefix}turns`, String(count + 1));
        inside -= 1;
      });
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? turn(lockA, instanceA) : turn(lockB, instanceB))));
    expect(await instanceA.get(`${prefix}turns`)).toBe('20');
    expect(mostInside).toBe(1);
    expect(await instanceA.keys(`${prefix}mutex:*`)).toEqual([]);
  });

  redisTest('a lock left by a crashed instance is taken once its lease runs out', async ({ prefix, instanceA, instanceB }) => {
    await instanceA.set(`${prefix}mutex:conversation:web:u2`, 'token-of-a-dead-instance', 'PX', 60_000);
    const lock = new RedisLeaseLock(prefixedClient(instanceB, prefix));
    let ran = false;
    const running = lock.run('conversation:web:u2', async () => void (ran = true));
    await instanceB.ping();
    expect(ran).toBe(false);
    await instanceA.pexpire(`${prefix}mutex:conversation:web:u2`, 1); // the lease runs out
    await running;
    expect(ran).toBe(true);
  });

  redisTest('a holder whose lease was taken over does not release the new holder’s lock', async ({ prefix, instanceA }) => {
    const lock = new RedisLeaseLock(prefixedClient(instanceA, prefix));
    await lock.run('job', async () => {
      await instanceA.set(`${prefix}mutex:job`, 'new-holder');
    });
    expect(await instanceA.get(`${prefix}mutex:job`)).toBe('new-holder');
  });

  redisTest('waiting for a lock held too long ends in LockTimeoutError, not a hang', async ({ prefix, instanceA }) => {
    await instanceA.set(`${prefix}mutex:busy`, 'someone-else', 'PX', 60_000);
    const lock = new RedisLeaseLock(prefixedClient(instanceA, prefix), { acquireTimeoutMs: 30 });
    await expect(lock.run('busy', async () => 'never')).rejects.toBeInstanceOf(LockTimeoutError);
  });

  redisTest('a WeChat MsgId is claimed by exactly one instance', async ({ prefix, instanceA, instanceB }) => {
    const ledgerA = new RedisDeliveryLedger(instanceA, `${prefix}delivery:`);
    const ledgerB = new RedisDeliveryLedger(instanceB, `${prefix}delivery:`);
    const claims = await Promise.all([ledgerA.claim('msg-1001'), ledgerB.claim('msg-1001'), ledgerA.claim('msg-1001')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await ledgerB.answered('msg-1001')).toBe(false);
    await ledgerA.markAnswered('msg-1001');
    expect(await ledgerB.answered('msg-1001')).toBe(true);
    expect(await instanceA.pttl(`${prefix}delivery:msg-1001`)).toBeGreaterThan(9 * 60_000);
  });

  redisTest('a retry waiting on instance B receives the answer instance A worked out, once', async ({ prefix, instanceA, instanceB }) => {
    const { relayA, relayB, ledger } = await twoRelays(prefix, instanceA, instanceB);
    await ledger.claim('msg-2002');
    const waiting = relayB.join('msg-2002', 4000);
    await untilRegistered(instanceA, `${prefix}waiters:msg-2002`);
    expect(await relayA.handOver('msg-2002', '找回用户名的方法如下')).toBe(true);
    expect(await waiting).toBe('找回用户名的方法如下');
    expect(await relayA.handOver('msg-2002', 'again')).toBe(false);
  });

  redisTest(
    'with no retry waiting anywhere, the answer is not handed over (it goes by the customer-service API)',
    async ({ prefix, instanceA, instanceB }) => {
      const { relayA } = await twoRelays(prefix, instanceA, instanceB);
      expect(await relayA.handOver('msg-3003', 'text')).toBe(false);
    },
  );

  redisTest('a retry reaching an instance after the answer went out does not wait', async ({ prefix, instanceA, instanceB }) => {
    const { relayB, ledger } = await twoRelays(prefix, instanceA, instanceB);
    await ledger.claim('msg-4004');
    await ledger.markAnswered('msg-4004');
    expect(await relayB.join('msg-4004', 60_000)).toBeUndefined();
  });

  redisTest(
    'an agent message published on instance A reaches a subscriber on instance B only while subscribed',
    async ({ prefix, instanceA, instanceB }) => {
      const subscriberB = instanceB.duplicate();
      const busA = new RedisMessageBus(instanceA, instanceA, silent, `${prefix}bus:`);
      const busB = new RedisMessageBus(instanceB, subscriberB, silent, `${prefix}bus:`);
      const heard: unknown[] = [];
      const unsubscribe = await busB.subscribe('web-chat:visitor-1', (message) => heard.push(message));
      await busA.publish('web-chat:visitor-1', { from: 'agent', text: '您好，已为您处理' });
      await busA.publish('web-chat:visitor-2', { from: 'agent', text: '别人的消息' });
      await until(() => heard.length === 1);
      unsubscribe();
      await subscriberB.ping();
      await busA.publish('web-chat:visitor-1', { from: 'agent', text: 'after unsubscribe' });
      await instanceB.ping();
      expect(heard).toEqual([{ from: 'agent', text: '您好，已为您处理' }]);
      await subscriberB.quit();
    },
  );

  redisTest(
    'event-stream slots count over both instances, come back on close, and outlive a crashed holder only by its lease',
    async ({ prefix, instanceA, instanceB }) => {
      const slotsOn = (redis: Redis) => {
        const prefixed = redis.duplicate({ keyPrefix: prefix });
        onTestFinished(() => void prefixed.quit());
        return new RedisStreamSlots(prefixed, { logger: silent });
      };
      const [slotsA, slotsB] = [slotsOn(instanceA), slotsOn(instanceB)];
      const visitor = [{ key: 'user:v1', cap: 2 }];
      const first = await slotsA.open(visitor);
      const second = await slotsB.open(visitor);
      expect(first && second).toBeTruthy();
      expect(await slotsA.open(visitor)).toBeUndefined();
      expect(await slotsB.open([{ key: 'user:v2', cap: 2 }])).toBeDefined();

      second!();
      await expect.poll(async () => (await slotsA.open(visitor)) !== undefined).toBe(true);
      expect(await instanceA.keys(`${prefix}semaphore:streams:*`)).toContain(`${prefix}semaphore:streams:user:v1`);

      // An instance that died never gives its slots back: they are free once their lease has run out.
      const key = `${prefix}semaphore:streams:user:v1`;
      for (const member of await instanceA.zrange(key, '0', '-1')) await instanceA.zadd(key, String(Date.now() - 10 * 60_000), member);
      first!(); // a late release of an expired slot is harmless
      expect(await slotsB.open(visitor)).toBeDefined();
      expect(await slotsB.open(visitor)).toBeDefined();
      expect(await slotsB.open(visitor)).toBeUndefined();
    },
  );

  redisTest('a visitor’s chat budget is spent across both instances, not once per instance', async ({ prefix, instanceA, instanceB }) => {
    const policies = { 'chat-message:identity': { points: 3, durationSeconds: 60 } };
    const limitsA = createRateLimits({ redis: instanceA, keyPrefix: `${prefix}rl`, policies });
    const limitsB = createRateLimits({ redis: instanceB, keyPrefix: `${prefix}rl`, policies });
    const visitor = limitKey.user('visitor-7');
    const verdicts = [
      await limitsA.consume('chat-message:identity', visitor),
      await limitsB.consume('chat-message:identity', visitor),
      await limitsA.consume('chat-message:identity', visitor),
      await limitsB.consume('chat-message:identity', visitor),
    ];
    expect(verdicts.map((verdict) => verdict.allowed)).toEqual([true, true, true, false]);
    expect((await limitsA.consume('chat-message:identity', limitKey.user('someone-else'))).allowed).toBe(true);
  });

  redisTest('two instances whose token expired ask WeChat for one new token between them', async ({ prefix, instanceA, instanceB }) => {
    const wechat = await MockWechatApi.start({ appid: 'wx-test', secret: 'secret' });
    const schema = z.object({ accessToken: z.string(), refreshAt: z.string() });
    const apiOf = (redis: Redis) =>
      createWechatApi({
        apiBase: wechat.url,
        appId: 'wx-test',
        appSecret: 'secret',
        tokens: new RedisJsonCache<CachedAccessToken>(redis, `${prefix}token:`, schema),
        refreshLock: new RedisLeaseLock(prefixedClient(redis, prefix)),
        clock: () => new Date(),
        logger: silent,
      });
    const [a, b] = [apiOf(instanceA), apiOf(instanceB)];
    await Promise.all([a.sendText('oUser1', '一'), b.sendText('oUser2', '二'), a.sendText('oUser3', '三'), b.sendText('oUser4', '四')]);
    expect(wechat.tokenRequests).toHaveLength(1);
    expect(wechat.delivered.map((call) => call.text).sort()).toEqual(['一', '三', '二', '四'].sort());
  });
});

/** A connection like the service's own for redis-semaphore: the test's prefix in front of every key. */
function prefixedClient(redis: Redis, prefix: string): Redis {
  const prefixed = redis.duplicate({ keyPrefix: prefix });
  onTestFinished(() => void prefixed.quit());
  return prefixed;
}

async function twoRelays(prefix: string, instanceA: Redis, instanceB: Redis) {
  const ledger = new RedisDeliveryLedger(instanceA, `${prefix}delivery:`);
  const make = (redis: Redis) => {
    const subscriber = redis.duplicate();
    const bus = new RedisMessageBus(redis, subscriber, silent, `${prefix}bus:`);
    const relay = new RedisAnswerRelay(redis, bus, new RedisDeliveryLedger(redis, `${prefix}delivery:`), `${prefix}waiters:`);
    onTestFinished(async () => {
      relay.stop();
      await subscriber.quit();
    });
    return relay;
  };
  const relayA = make(instanceA);
  const relayB = make(instanceB);
  await Promise.all([relayA.start(), relayB.start()]);
  return { relayA, relayB, ledger };
}

async function untilRegistered(redis: Redis, hash: string): Promise<void> {
  while ((await redis.hlen(hash)) === 0) await redis.ping();
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CachedAccessToken } from '../channels/wechat-oa/api-client.js';
import type { DeliveryClaims } from '../channels/wechat-oa/delivery-ledger.js';
import type { AnswerRelay } from '../channels/wechat-oa/inbound-dispatcher.js';
import type { DocumentStore } from '../storage/types.js';
import { InProcessLock, prefixedLock, type KeyedLock } from './keyed-lock.js';
import { InProcessMessageBus, RedisMessageBus, type MessageBus } from './message-bus.js';
import { RedisAnswerRelay } from './redis-answer-relay.js';
import { RedisDeliveryLedger } from './redis-delivery-ledger.js';
import { RedisJsonCache } from './redis-json-cache.js';
import { RedisLeaseLock } from './redis-lease-lock.js';
import { InProcessStreamSlots, RedisStreamSlots, type StreamSlots } from './stream-slots.js';

/**
 * What instances of the service must share beyond the database. Without Redis everything lives in
 * this process (one instance per data directory); with `REDIS_URL` every instance sees the same
 * locks, WeChat deliveries, access token, rate-limit counters and live pushes.
 */
export interface Coordination {
  kind: 'in-process' | 'redis';
  /** Serialises the turns of one conversation. */
  conversationLock: KeyedLock;
  /** Any other job that must run once at a time (the WeChat token refresh). */
  lock: KeyedLock;
  /** Live pushes (web inbox) and hand-overs between instances. */
  bus: MessageBus;
  /** Caps on open event streams per visitor and per address, over every instance. */
  streamSlots: StreamSlots;
  /** The shared client, for stores that take one (rate-limiter-flexible); absent in process. */
  redis?: Redis;
  /** WeChat delivery claims; absent in process (the document-store ledger serves). */
  wechatDeliveries?: DeliveryClaims;
  /** Joins WeChat retries that land on another instance; absent in process. */
  wechatRelay?: AnswerRelay;
  /** Where the WeChat access token is cached; absent in process (the document store serves). */
  wechatTokens?: Pick<DocumentStore<CachedAccessToken>, 'get' | 'put'>;
  close(): Promise<void>;
}

export interface CoordinationOptions {
  redisUrl?: string;
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  keyPrefix?: string;
  logger: Logger;
}

const cachedTokenSchema = z.object({ accessToken: z.string().min(1), refreshAt: z.string() });

/** Coordination for one process, or over the Redis at `redisUrl`. */
export async function createCoordination(options: CoordinationOptions): Promise<Coordination> {
  if (!options.redisUrl) {
    const lock = new InProcessLock();
    return {
      kind: 'in-process',
      conversationLock: new InProcessLock(),
      lock,
      bus: new InProcessMessageBus(),
      streamSlots: new InProcessStreamSlots(),
      close: async () => undefined,
    };
  }
  const prefix = options.keyPrefix ?? 'chsi:';
  const { logger } = options;
  const connect = (role: string, keyPrefix?: string) => {
    // Commands wait for a reconnect instead of failing at once: a Redis failover takes seconds.
    const client = new Redis(options.redisUrl!, { keyPrefix, lazyConnect: true, maxRetriesPerRequest: 3, connectionName: `chsi-${role}` });
    client.on('error', (error: Error) => logger.warn({ err: error, role }, 'redis connection error'));
    return client;
  };
  const redis = connect('commands');
  const subscriber = connect('subscriber');
  // redis-semaphore names its own keys (locks, stream slots); this client puts REDIS_KEY_PREFIX in front of them.
  const prefixed = connect('prefixed', prefix);
  await Promise.all([redis.connect(), subscriber.connect(), prefixed.connect()]);

  const lock = new RedisLeaseLock(prefixed, { logger });
  const bus = new RedisMessageBus(redis, subscriber, logger, `${prefix}bus:`);
  const ledger = new RedisDeliveryLedger(redis, `${prefix}wechat:delivery:`);
  const relay = new RedisAnswerRelay(redis, bus, ledger, `${prefix}wechat:waiters:`);
  await relay.start();
  return {
    kind: 'redis',
    conversationLock: prefixedLock(lock, 'conversation:'),
    lock,
    bus,
    streamSlots: new RedisStreamSlots(prefixed, { logger }),
    redis,
    wechatDeliveries: ledger,
    wechatRelay: relay,
    wechatTokens: new RedisJsonCache<CachedAccessToken>(redis, `${prefix}wechat:token:`, cachedTokenSchema, (token) =>
      // Keep the entry a little past its refresh time: a refresher that fails can still serve it.
      Math.max(60_000, new Date(token.refreshAt).getTime() - Date.now() + 10 * 60_000),
    ),
    async close() {
      relay.stop();
      await Promise.allSettled([subscriber.quit(), redis.quit(), prefixed.quit()]);
    },
  };
}

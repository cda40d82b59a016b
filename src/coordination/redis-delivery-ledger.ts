import type { Redis } from 'ioredis';
import { DELIVERY_TTL_MS, type DeliveryClaims } from '../channels/wechat-oa/delivery-ledger.js';

/**
 * WeChat's delivery keys (MsgId, or openid + event time) in Redis, shared by every instance:
 * `SET NX PX` claims a key for exactly one of them, and Redis expires it after the retry window,
 * so there is nothing to sweep.
 */
export class RedisDeliveryLedger implements DeliveryClaims {
  constructor(
    private readonly redis: Redis,
    private readonly namespace = 'wechat:delivery:',
    private readonly ttlMs = DELIVERY_TTL_MS,
  ) {}

  async claim(key: string): Promise<boolean> {
    return (await this.redis.set(this.keyOf(key), 'processing', 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  async markAnswered(key: string): Promise<void> {
    await this.redis.set(this.keyOf(key), 'answered', 'KEEPTTL', 'XX');
  }

  /** Whether the delivery was already answered (a late retry needs no waiting). */
  async answered(key: string): Promise<boolean> {
    return (await this.redis.get(this.keyOf(key))) === 'answered';
  }

  async sweep(): Promise<number> {
    return 0;
  }

  private keyOf(key: string): string {
    return `${this.namespace}${key}`;
  }
}

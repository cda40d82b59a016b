import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { AnswerRelay } from '../channels/wechat-oa/inbound-dispatcher.js';
import type { MessageBus } from './message-bus.js';
import type { RedisDeliveryLedger } from './redis-delivery-ledger.js';

/**
 * Picks the waiting retry with the latest deadline (the request WeChat still listens to), if it
 * has at least ARGV[1] left, and marks it chosen; at most one waiter per delivery is ever chosen.
 */
const CHOOSE_SCRIPT = `
if redis.call('hexists', KEYS[1], '#chosen') == 1 then return false end
local entries = redis.call('hgetall', KEYS[1])
local best, latest = false, tonumber(ARGV[1])
for i = 1, #entries, 2 do
  local deadline = tonumber(entries[i + 1])
  if deadline and deadline > latest then best = entries[i]; latest = deadline end
end
if best then redis.call('hset', KEYS[1], '#chosen', best) end
return best`;

/** A waiter whose time is up leaves, unless it was chosen a moment before (then its text is on the way). */
const LEAVE_SCRIPT = `
if redis.call('hget', KEYS[1], '#chosen') == ARGV[1] then return 'chosen' end
redis.call('hdel', KEYS[1], ARGV[1])
return 'left'`;

/** A chosen waiter must still have this long to answer, so the text reaches it before its request closes. */
const HANDOVER_MARGIN_MS = 300;
/** A chosen waiter gives up after this extra time if the text never comes (its sender crashed). */
const CHOSEN_GRACE_MS = 1000;

const relayedSchema = z.object({ waiterId: z.string(), text: z.string() });

/**
 * Joins WeChat retries across instances. When a retry lands on another instance than the one
 * answering the first delivery, that instance registers the waiting request in a Redis hash; the
 * answering instance, if its own request is gone, hands the first part of the answer to the chosen
 * waiter over pub/sub, so the user gets one passive reply and the engine ran once.
 */
export class RedisAnswerRelay implements AnswerRelay {
  private readonly instanceId = randomUUID();
  private nextWaiter = 0;
  private readonly pending = new Map<string, (text: string | undefined) => void>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly bus: MessageBus,
    private readonly ledger: RedisDeliveryLedger,
    private readonly namespace = 'wechat:waiters:',
  ) {}

  /** Starts hearing texts handed to this instance's waiters. */
  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(this.channelOf(this.instanceId), (message) => {
      const parsed = relayedSchema.safeParse(message);
      if (parsed.success) this.pending.get(parsed.data.waiterId)?.(parsed.data.text);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    for (const settle of this.pending.values()) settle(undefined);
  }

  async join(key: string, waitMs: number): Promise<string | undefined> {
    if (waitMs <= 0 || (await this.ledger.answered(key))) return undefined;
    const waiterId = `${this.instanceId}:${++this.nextWaiter}`;
    const hash = this.hashOf(key);
    return new Promise<string | undefined>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (text: string | undefined) => {
        if (!this.pending.delete(waiterId)) return;
        clearTimeout(timer);
        resolve(text);
      };
      this.pending.set(waiterId, settle);
      timer = setTimeout(() => {
        this.redis
          .eval(LEAVE_SCRIPT, 1, hash, waiterId)
          .then((outcome) => {
            if (outcome === 'left') settle(undefined);
            else timer = setTimeout(() => settle(undefined), CHOSEN_GRACE_MS);
          })
          .catch(() => settle(undefined));
      }, waitMs);
      this.redis
        .multi()
        .hset(hash, waiterId, String(Date.now() + waitMs))
        .pexpire(hash, 60_000)
        .exec()
        .catch(() => settle(undefined));
    });
  }

  async handOver(key: string, text: string): Promise<boolean> {
    const chosen = await this.redis.eval(CHOOSE_SCRIPT, 1, this.hashOf(key), String(Date.now() + HANDOVER_MARGIN_MS));
    if (typeof chosen !== 'string') return false;
    const instanceId = chosen.slice(0, chosen.lastIndexOf(':'));
    await this.bus.publish(this.channelOf(instanceId), { waiterId: chosen, text });
    return true;
  }

  private hashOf(key: string): string {
    return `${this.namespace}${key}`;
  }

  private channelOf(instanceId: string): string {
    return `wechat-relay:${instanceId}`;
  }
}

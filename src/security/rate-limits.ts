import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Named rate limits for the whole service, on `rate-limiter-flexible`.
 *
 * How to key a limit (the rule of issue 10): a limit is always keyed by **who asks** — the client
 * IP, the server-issued web identity, the end user a trusted gateway speaks for, the mail sender —
 * and never by the account or ID number being asked about. That way a stranger's failures slow the
 * stranger down and never lock the owner of the target out. Use {@link limitKey} to build keys so
 * the kinds never collide (`ip:…`, `user:…`, `account:…`).
 *
 * A trusted integration caller (a gateway speaking for many users) is keyed per end user
 * (`limitKey.user(endUserId)`), not as one IP.
 *
 * @example
 * const limits = createRateLimits();                       // memory store
 * const limits = createRateLimits({ redis: ioredisClient }); // shared across instances
 * const verdict = await limits.consumeEach([
 *   { limit: 'chat-message:ip', key: limitKey.ip(req.ip) },
 *   { limit: 'chat-message:identity', key: limitKey.user(webId) },
 * ]);
 * if (!verdict.allowed) res.set('Retry-After', String(Math.ceil(verdict.retryAfterMs / 1000)));
 */

/** How many points a key may spend per window, in seconds. */
export interface RateLimitPolicy {
  points: number;
  durationSeconds: number;
}

/**
 * Growing delays instead of a lock: the first `freeFailures` failures cost nothing, then each
 * further failure makes the key wait `firstDelaySeconds`, doubling up to `maxDelaySeconds`. The
 * count is forgotten `forgetAfterSeconds` after the first failure, or on a success.
 * Because the wait is capped and short, an attacker cannot keep the owner out for long, and a
 * success from the owner clears it.
 */
export interface GrowingDelayPolicy {
  freeFailures: number;
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  forgetAfterSeconds: number;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Default budgets, each keyed by the asker (see the module comment). Override any of them with
 * `createRateLimits({ policies })`.
 */
export const DEFAULT_RATE_LIMITS = {
  /** Chat messages (web, WeChat, integration API per end user). */
  'chat-message:ip': { points: 60, durationSeconds: MINUTE },
  'chat-message:identity': { points: 20, durationSeconds: MINUTE },
  /** Every account lookup a flow or caller makes by ID number, phone, e-mail or username. */
  'account-lookup:ip': { points: 30, durationSeconds: HOUR },
  'account-lookup:identity': { points: 15, durationSeconds: HOUR },
  /** Failed lookups (unknown ID, name mismatch) by one asker: 5 an hour, the asker's own budget only. */
  'account-lookup-failure:identity': { points: 5, durationSeconds: HOUR },
  /** Tickets opened from chat. */
  'ticket-create:ip': { points: 5, durationSeconds: 10 * MINUTE },
  'ticket-create:identity': { points: 3, durationSeconds: HOUR },
  /** Tickets opened by mail, per sender address and per connecting IP. */
  'ticket-mail:sender': { points: 5, durationSeconds: HOUR },
  'ticket-mail:ip': { points: 20, durationSeconds: HOUR },
  /** Wrong passwords one asker may try against account-core logins. */
  'core-login-failure:identity': { points: 10, durationSeconds: HOUR },
  /** Password changes and resets (account core and agents). */
  'password-change:ip': { points: 10, durationSeconds: HOUR },
  'password-change:identity': { points: 5, durationSeconds: DAY },
  /** Calls a trusted service makes on behalf of one end user (core API, chat API). */
  'service-call:end-user': { points: 120, durationSeconds: MINUTE },
  /** Images sent through the web chat, per visitor and per IP a day. */
  'upload:identity': { points: 20, durationSeconds: DAY },
  'upload:ip': { points: 100, durationSeconds: DAY },
  /** Bytes of images all web visitors may send in a day: the disk budget uploads may use. */
  'upload-bytes:global': { points: 1024 * 1024 * 1024, durationSeconds: DAY },
} as const satisfies Record<string, RateLimitPolicy>;

/** Default growing delays. */
export const DEFAULT_GROWING_DELAYS = {
  /** Wrong agent passwords from one IP. */
  'agent-login:ip': { freeFailures: 5, firstDelaySeconds: 1, maxDelaySeconds: 5 * MINUTE, forgetAfterSeconds: DAY },
  /**
   * Wrong passwords for one agent account from one address (key: account and address together):
   * a stranger's failures slow only the stranger; the owner signing in from elsewhere is not slowed.
   */
  'agent-login:account': { freeFailures: 5, firstDelaySeconds: 1, maxDelaySeconds: 30, forgetAfterSeconds: HOUR },
  /** Wrong passwords (login or owner proof) for one account-core account, from anyone. */
  'core-login:account': { freeFailures: 5, firstDelaySeconds: 1, maxDelaySeconds: 30, forgetAfterSeconds: HOUR },
} as const satisfies Record<string, GrowingDelayPolicy>;

export type RateLimitName = keyof typeof DEFAULT_RATE_LIMITS;
export type GrowingDelayName = keyof typeof DEFAULT_GROWING_DELAYS;

/** The answer to "may this key spend now?". `retryAfterMs` suits a `Retry-After` header. */
export type RateLimitVerdict = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number; limit: string };

/** One limiter and the key to charge, for {@link RateLimits.consumeEach}. */
export interface RateLimitCharge {
  limit: RateLimitName;
  key: string;
  points?: number;
}

/** A growing delay for one kind of failure; see {@link GrowingDelayPolicy}. */
export interface GrowingDelay {
  /** Milliseconds the key must still wait before its next attempt; 0 when it may try now. */
  waitMs(key: string): Promise<number>;
  /** Counts a failure and returns the wait it now imposes (0 while failures are free). */
  recordFailure(key: string): Promise<number>;
  /** A success forgets the key's failures. */
  recordSuccess(key: string): Promise<void>;
}

/** The named limiters of one process (or of every process sharing one Redis). */
export interface RateLimits {
  /** Spends `points` (default 1) of `limit` for `key`; refused attempts still count within the window. */
  consume(limit: RateLimitName, key: string, points?: number): Promise<RateLimitVerdict>;
  /**
   * Charges several limits (e.g. per IP and per identity) and answers with the first refusal.
   * Every limit is charged even when an earlier one refuses, so a flood cannot slip through one
   * limiter while another is saturated.
   */
  consumeEach(charges: RateLimitCharge[]): Promise<RateLimitVerdict>;
  /** Whether `key` still has a point left, without spending one (for "failures only" limits). */
  peek(limit: RateLimitName, key: string): Promise<RateLimitVerdict>;
  /** Forgets what `key` spent on `limit` (e.g. after the asker proved who they are). */
  reset(limit: RateLimitName, key: string): Promise<void>;
  /** The growing delay of that name. */
  delay(name: GrowingDelayName): GrowingDelay;
}

/** Options of {@link createRateLimits}. */
export interface RateLimitsOptions {
  /** Shared Redis (ioredis). Without it every limiter keeps its counters in this process's memory. */
  redis?: Redis;
  /** Prefix of every key in the store, so several services can share one Redis. Default `rl`. */
  keyPrefix?: string;
  /** Budgets to use instead of {@link DEFAULT_RATE_LIMITS} (tests, operators). */
  policies?: Partial<Record<RateLimitName, RateLimitPolicy>>;
  /** Growing delays to use instead of {@link DEFAULT_GROWING_DELAYS}. */
  delays?: Partial<Record<GrowingDelayName, GrowingDelayPolicy>>;
}

/** Builds keys of distinct kinds, so an IP never collides with a user id of the same spelling. */
export const limitKey = {
  ip: (address: string | undefined) => `ip:${address ?? 'unknown'}`,
  /** A server-issued web identity, a WeChat openid, or the end user a trusted gateway names. */
  user: (id: string) => `user:${id}`,
  /** An agent or core account name, for limits that protect the account itself (agent login). */
  account: (username: string) => `account:${username.trim().toLowerCase()}`,
  /** A mail sender address. */
  sender: (address: string) => `sender:${address.trim().toLowerCase()}`,
} as const;

/**
 * Creates the named limiters. Memory store by default; pass an ioredis client to share counters
 * between instances. With Redis, an in-memory limiter with the same budget stands in while Redis
 * is unreachable, so an outage neither throws at callers nor switches the limits off.
 */
export function createRateLimits(options: RateLimitsOptions = {}): RateLimits {
  const prefix = options.keyPrefix ?? 'rl';
  const build = (name: string, points: number, durationSeconds: number): RateLimiterAbstract => {
    const keyPrefix = `${prefix}:${name}`;
    const memory = new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
    if (!options.redis) return memory;
    return new RateLimiterRedis({ storeClient: options.redis, keyPrefix, points, duration: durationSeconds, insuranceLimiter: memory });
  };

  const limiters = new Map<RateLimitName, RateLimiterAbstract>();
  const limiter = (name: RateLimitName): RateLimiterAbstract => {
    let found = limiters.get(name);
    if (!found) {
      const policy = options.policies?.[name] ?? DEFAULT_RATE_LIMITS[name];
      found = build(name, policy.points, policy.durationSeconds);
      limiters.set(name, found);
    }
    return found;
  };

  const consume = async (name: RateLimitName, key: string, points = 1): Promise<RateLimitVerdict> => {
    try {
      const result = await limiter(name).consume(key, points);
      return { allowed: true, remaining: result.remainingPoints };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterMs: rejection.msBeforeNext, limit: name };
      throw rejection;
    }
  };

  const delays = new Map<GrowingDelayName, GrowingDelay>();
  return {
    consume,
    async consumeEach(charges) {
      const verdicts = await Promise.all(charges.map((charge) => consume(charge.limit, charge.key, charge.points)));
      const refusal = verdicts.find((verdict) => !verdict.allowed);
      if (refusal) return refusal;
      const remaining = Math.min(...verdicts.map((verdict) => (verdict.allowed ? verdict.remaining : 0)));
      return { allowed: true, remaining };
    },
    async peek(name, key) {
      const policy = options.policies?.[name] ?? DEFAULT_RATE_LIMITS[name];
      const state = await limiter(name).get(key);
      // The memory store forgets a window by timer; a window already past counts as empty.
      const spent = state && state.msBeforeNext > 0 ? state.consumedPoints : 0;
      if (spent < policy.points) return { allowed: true, remaining: policy.points - spent };
      return { allowed: false, retryAfterMs: state?.msBeforeNext ?? 0, limit: name };
    },
    async reset(name, key) {
      await limiter(name).delete(key);
    },
    delay(name) {
      let found = delays.get(name);
      if (!found) {
        found = growingDelay(name, options.delays?.[name] ?? DEFAULT_GROWING_DELAYS[name], build);
        delays.set(name, found);
      }
      return found;
    },
  };
}

/** The wait after `failures` failures under `policy`, in whole seconds (Redis expiries are seconds). */
export function growingDelaySeconds(policy: GrowingDelayPolicy, failures: number): number {
  const paid = failures - policy.freeFailures;
  if (paid <= 0) return 0;
  return Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * 2 ** Math.min(paid - 1, 30));
}

function growingDelay(
  name: string,
  policy: GrowingDelayPolicy,
  build: (name: string, points: number, durationSeconds: number) => RateLimiterAbstract,
): GrowingDelay {
  // One limiter counts failures over the forgetting window; a one-point limiter holds the current wait.
  const failures = build(`${name}:failures`, Number.MAX_SAFE_INTEGER, policy.forgetAfterSeconds);
  const wait = build(`${name}:wait`, 1, policy.maxDelaySeconds);
  return {
    async waitMs(key) {
      const state = await wait.get(key);
      return state && state.consumedPoints > 1 ? Math.max(0, state.msBeforeNext) : 0;
    },
    async recordFailure(key) {
      const counted = await failures.penalty(key, 1);
      const seconds = growingDelaySeconds(policy, counted.consumedPoints);
      if (seconds > 0) await wait.block(key, seconds);
      return seconds * 1000;
    },
    async recordSuccess(key) {
      await Promise.all([failures.delete(key), wait.delete(key)]);
    },
  };
}

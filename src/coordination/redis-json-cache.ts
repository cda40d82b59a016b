import type { Redis } from 'ioredis';
import type { z } from 'zod';

/**
 * Small JSON values in Redis under a namespace (the WeChat access token), read back through a
 * zod schema: a value that no longer parses counts as absent, so a format change never crashes.
 */
export class RedisJsonCache<T> {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    private readonly schema: z.ZodType<T>,
    /** How long a value lives, from the value itself (e.g. its own expiry); `undefined` keeps it. */
    private readonly ttlMsOf: (value: T) => number | undefined = () => undefined,
  ) {}

  async get(id: string): Promise<T | undefined> {
    const raw = await this.redis.get(`${this.namespace}${id}`);
    if (raw === null) return undefined;
    try {
      const parsed = this.schema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async put(id: string, value: T): Promise<void> {
    const ttlMs = this.ttlMsOf(value);
    const key = `${this.namespace}${id}`;
    if (ttlMs === undefined) await this.redis.set(key, JSON.stringify(value));
    else await this.redis.set(key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)));
  }
}

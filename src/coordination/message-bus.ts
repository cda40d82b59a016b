import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Fan-out of small JSON messages by channel name. A web user's live stream subscribes to its own
 * channel; whoever makes a reply for that user publishes there, on whichever instance it runs.
 * Listeners receive `unknown`: each subscriber validates what it reads.
 */
export interface MessageBus {
  publish(channel: string, message: unknown): Promise<void>;
  /** Resolves, once messages published from now on will be heard, with the function that ends the subscription. */
  subscribe(channel: string, listener: (message: unknown) => void): Promise<() => void>;
}

/** One process: publishing reaches this process's subscribers only. */
export class InProcessMessageBus implements MessageBus {
  private readonly events = new EventEmitter();

  constructor() {
    this.events.setMaxListeners(0);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    this.events.emit(channel, message);
  }

  async subscribe(channel: string, listener: (message: unknown) => void): Promise<() => void> {
    this.events.on(channel, listener);
    return () => this.events.off(channel, listener);
  }
}

/**
 * Redis pub/sub: one subscriber connection per process, a Redis subscription per channel while
 * at least one local listener wants it. A message published here comes back through Redis like
 * everyone else's, so local and remote subscribers see the same order.
 */
export class RedisMessageBus implements MessageBus {
  private readonly listeners = new Map<string, Set<(message: unknown) => void>>();
  /** The SUBSCRIBE in flight or done per channel, so later listeners wait for the same confirmation. */
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly logger?: Logger,
    private readonly namespace = 'bus:',
  ) {
    subscriber.on('message', (channel: string, payload: string) => this.deliver(channel, payload));
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.publisher.publish(`${this.namespace}${channel}`, JSON.stringify(message));
  }

  async subscribe(channel: string, listener: (message: unknown) => void): Promise<() => void> {
    const name = `${this.namespace}${channel}`;
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
      this.subscribed.set(name, this.subscriber.subscribe(name));
    }
    set.add(listener);
    const unsubscribe = () => {
      const current = this.listeners.get(name);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(name);
      this.subscribed.delete(name);
      this.subscriber.unsubscribe(name).catch((error: unknown) => this.logger?.warn({ err: error, channel }, 'bus unsubscribe failed'));
    };
    try {
      await this.subscribed.get(name);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  private deliver(name: string, payload: string): void {
    const set = this.listeners.get(name);
    if (!set) return;
    let message: unknown;
    try {
      message = JSON.parse(payload);
    } catch {
      this.logger?.warn({ channel: name }, 'bus message is not JSON; ignored');
      return;
    }
    for (const listener of set) listener(message);
  }
}

import type { Logger } from 'pino';
import type { DeliveryClaims } from './delivery-ledger.js';
import { deliveryKey, type WechatInbound } from './inbound-message.js';
import { textOf, type OutboundPart } from './outbound-part.js';

/** What one webhook request answers: a passive text, or "success" (nothing, or sent another way). */
export type PassiveAnswer = { kind: 'text'; text: string } | { kind: 'success' };

/**
 * Joins retries that another instance is answering (src/coordination/redis-answer-relay.ts).
 * Retries on this instance join in memory and need none.
 */
export interface AnswerRelay {
  /** Waits up to `waitMs` for the answering instance to hand this request the passive reply's text. */
  join(key: string, waitMs: number): Promise<string | undefined>;
  /** Gives `text` to a retry waiting on another instance; `false` when none is listening. */
  handOver(key: string, text: string): Promise<boolean>;
}

export interface InboundDispatcherDeps {
  ledger: DeliveryClaims;
  relay?: AnswerRelay;
  /** Called when an answer missed its passive reply and goes out later (metrics). */
  onAsyncFallback?(): void;
  /** Works out the answer to a message; runs at most once per delivery key. */
  answer(message: WechatInbound): Promise<OutboundPart[]>;
  /** Sends parts that cannot go in the passive reply (customer-service API, or held). */
  sendLater(openid: string, parts: OutboundPart[]): Promise<void>;
  /** How long a request may wait for the answer before it says "success". */
  budgetMs: number;
  logger: Logger;
}

interface Waiter {
  settle(answer: PassiveAnswer): void;
}

interface Job {
  openid: string;
  waiters: Waiter[];
}

/**
 * Handles each pushed message exactly once, however many times WeChat delivers it. A retry that
 * arrives while the first delivery is still being answered joins it instead of running the engine
 * again. When the answer is ready, the newest waiting request (the one WeChat still listens to)
 * carries the first part as a passive reply and the rest follow through `sendLater`; if every
 * request has given up waiting, everything goes through `sendLater`.
 */
export class InboundDispatcher {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: InboundDispatcherDeps) {}

  /** Resolves with what this request should answer, within the budget. */
  dispatch(message: WechatInbound): Promise<PassiveAnswer> {
    const key = deliveryKey(message);
    let job = this.jobs.get(key);
    if (!job) {
      job = { openid: message.openid, waiters: [] };
      this.jobs.set(key, job);
      this.track(this.run(key, job, message));
    }
    const waiting = job;
    return new Promise<PassiveAnswer>((resolve) => {
      const waiter: Waiter = {
        settle: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
      };
      const timer = setTimeout(() => {
        waiting.waiters = waiting.waiters.filter((other) => other !== waiter);
        resolve({ kind: 'success' });
      }, this.deps.budgetMs);
      waiting.waiters.push(waiter);
    });
  }

  /** Waits for every answer in progress and every later send (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async run(key: string, job: Job, message: WechatInbound): Promise<void> {
    let parts: OutboundPart[] = [];
    try {
      if (await this.deps.ledger.claim(key)) {
        parts = await this.deps.answer(message);
        await this.deps.ledger.markAnswered(key);
      } else if (this.deps.relay && job.waiters.length > 0) {
        // Leave the request a moment to carry the text back before WeChat's own deadline.
        const relayed = await this.deps.relay.join(key, this.deps.budgetMs - 200);
        if (relayed !== undefined) parts = [relayed];
      } else {
        this.deps.logger.debug({ key }, 'wechat duplicate delivery ignored');
      }
    } catch (error) {
      this.deps.logger.error({ err: error }, 'wechat delivery failed');
    } finally {
      this.jobs.delete(key);
    }
    const listening = job.waiters.pop();
    for (const waiter of job.waiters) waiter.settle({ kind: 'success' });
    job.waiters = [];
    const [first, ...rest] = parts;
    if (listening && first !== undefined) {
      listening.settle({ kind: 'text', text: textOf(first) });
      // Let the passive reply leave first, so the parts arrive in order.
      if (rest.length > 0) this.track(delay(50).then(() => this.sendLater(job.openid, rest)));
    } else {
      listening?.settle({ kind: 'success' });
      if (parts.length > 0) this.track(this.handOverOrSendLater(key, job.openid, parts));
    }
  }

  /** No request of ours still listens: a retry on another instance may, else the customer-service API. */
  private async handOverOrSendLater(key: string, openid: string, parts: OutboundPart[]): Promise<void> {
    const [first, ...rest] = parts;
    try {
      if (this.deps.relay && (await this.deps.relay.handOver(key, textOf(first!)))) {
        if (rest.length > 0) await delay(50).then(() => this.sendLater(openid, rest));
        return;
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'wechat answer could not be handed to another instance');
    }
    this.deps.onAsyncFallback?.();
    await this.sendLater(openid, parts);
  }

  private async sendLater(openid: string, parts: OutboundPart[]): Promise<void> {
    try {
      await this.deps.sendLater(openid, parts);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'wechat reply could not be sent later');
    }
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

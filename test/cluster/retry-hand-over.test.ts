import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryClaims } from '../../src/channels/wechat-oa/delivery-ledger.js';
import { InboundDispatcher, type AnswerRelay } from '../../src/channels/wechat-oa/inbound-dispatcher.js';
import type { WechatInbound } from '../../src/channels/wechat-oa/inbound-message.js';
import { textOf } from '../../src/channels/wechat-oa/outbound-part.js';

/** The shared ledger as two instances see it: whoever claims first answers. */
class SharedClaims implements DeliveryClaims {
  readonly claimed = new Set<string>();
  async claim(key: string) {
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    return true;
  }
  async markAnswered() {}
  async sweep() {
    return 0;
  }
}

/** Stands for the Redis relay: records hand-overs, and gives a joining retry a scripted text. */
class ScriptedRelay implements AnswerRelay {
  readonly handedOver: string[] = [];
  constructor(
    private readonly textForJoiners: string | undefined,
    private readonly someoneWaiting: boolean,
  ) {}
  async join() {
    return this.textForJoiners;
  }
  async handOver(_key: string, text: string) {
    if (!this.someoneWaiting) return false;
    this.handedOver.push(text);
    return true;
  }
}

const message = (msgId: string): WechatInbound => ({
  kind: 'text',
  openid: 'oRetryUser',
  account: 'gh_chsi',
  createTime: 1_796_000_000,
  msgId,
  text: '忘记密码了怎么办',
});

function dispatcherWith(claims: SharedClaims, relay: ScriptedRelay, answer: () => Promise<string[]>) {
  const sentLater: string[][] = [];
  let fallbacks = 0;
  const dispatcher = new InboundDispatcher({
    ledger: claims,
    relay,
    answer,
    sendLater: async (_openid, parts) => void sentLater.push(parts.map(textOf)),
    budgetMs: 4500,
    logger: pino({ level: 'silent' }),
    onAsyncFallback: () => (fallbacks += 1),
  });
  return { dispatcher, sentLater, fallbacks: () => fallbacks };
}

describe('a WeChat retry that reaches another instance', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('carries the passive reply the answering instance hands it, without running the engine again', async () => {
    const claims = new SharedClaims();
    claims.claimed.add('msg-501'); // instance A claimed it first
    let engineRuns = 0;
    const { dispatcher, sentLater } = dispatcherWith(claims, new ScriptedRelay('请点击“找回密码”，按提示操作。', false), async () => {
      engineRuns += 1;
      return ['never'];
    });
    expect(await dispatcher.dispatch(message('501'))).toEqual({ kind: 'text', text: '请点击“找回密码”，按提示操作。' });
    expect(engineRuns).toBe(0);
    await dispatcher.drain();
    expect(sentLater).toEqual([]);
  });

  it('gets the answer from the instance that worked it out after its own request gave up; only the rest goes out later', async () => {
    const relay = new ScriptedRelay(undefined, true);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { dispatcher, sentLater, fallbacks } = dispatcherWith(new SharedClaims(), relay, async () => {
      await gate;
      return ['第一部分', '第二部分'];
    });
    const first = dispatcher.dispatch(message('502'));
    await vi.advanceTimersByTimeAsync(4500); // WeChat stops listening to this request
    expect(await first).toEqual({ kind: 'success' });
    release();
    await vi.advanceTimersByTimeAsync(100);
    await dispatcher.drain();
    expect(relay.handedOver).toEqual(['第一部分']);
    expect(sentLater).toEqual([['第二部分']]);
    expect(fallbacks()).toBe(0);
  });

  it('goes out through the customer-service API, counted as an async fallback, when no retry waits anywhere', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { dispatcher, sentLater, fallbacks } = dispatcherWith(new SharedClaims(), new ScriptedRelay(undefined, false), async () => {
      await gate;
      return ['答案'];
    });
    const first = dispatcher.dispatch(message('503'));
    await vi.advanceTimersByTimeAsync(4500);
    expect(await first).toEqual({ kind: 'success' });
    release();
    await vi.advanceTimersByTimeAsync(100);
    await dispatcher.drain();
    expect(sentLater).toEqual([['答案']]);
    expect(fallbacks()).toBe(1);
  });
});

import { onTestFinished, vi } from 'vitest';
import type { Assistant } from '../../../src/conversation/assistant.js';
import type { InboundMessage, Reply, TurnResult } from '../../../src/conversation/types.js';
import { wechatOfficialAccountModule, type WechatOfficialAccountOptions } from '../../../src/channels/wechat-oa/module.js';
import { guidedFlowsModule } from '../../../src/conversation/flows/module.js';
import type { FeatureModule } from '../../../src/feature-module.js';
import { createMemoryStorage } from '../../../src/storage/memory-storage.js';
import type { Storage } from '../../../src/storage/types.js';
import { startTestService, type TestService } from '../../helpers/test-service.js';
import { MockWechatApi } from './mock-wechat-api.js';
import { WechatServer, type PushResult } from './wechat-server.js';

export const TOKEN = 'chsiTestToken2026';
export const APP_ID = 'wx5f2c1e0d9a8b7c6d';
export const APP_SECRET = 'test-app-secret-not-real';
/** 43 characters, as the admin console generates. */
export const AES_KEY = 'kWxPxg2iMQ0bNjFyY3dFeXNuUmNsZ0h4d2lKcVp1ZVQ';

/**
 * Sees every message the engine receives, and can hold it back or replace its answer, so tests
 * can take the asynchronous path or produce long replies without depending on the knowledge base.
 */
export class EngineSpy {
  readonly calls: InboundMessage[] = [];
  fixedReplies: Reply[] | undefined;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private readonly arrivals: { count: number; resolve: () => void }[] = [];

  /** Messages arriving from now on wait inside the engine until `release()`: the test decides when the answer is ready. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  /** Lets every held message through, and stops holding new ones. */
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  /** Resolves once the engine has received `count` messages in all. */
  received(count: number): Promise<void> {
    if (this.calls.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ count, resolve }));
  }

  wrap(assistant: Assistant): Assistant {
    return {
      ...assistant,
      handle: async (message) => {
        this.calls.push(message);
        for (const arrival of this.arrivals.filter((waiting) => this.calls.length >= waiting.count)) {
          this.arrivals.splice(this.arrivals.indexOf(arrival), 1);
          arrival.resolve();
        }
        if (this.gate) await this.gate;
        if (this.fixedReplies) return { replies: this.fixedReplies, topic: null, flow: null, choices: [] } satisfies TurnResult;
        return assistant.handle(message);
      },
    };
  }
}

export interface WechatHarness {
  service: TestService;
  api: MockWechatApi;
  wechat: WechatServer;
  storage: Storage;
  engine: EngineSpy;
  /** The stored conversation of a WeChat user, if the engine ever ran for them. */
  session(openid: string): Promise<unknown>;
}

export interface HarnessOptions {
  safe?: boolean;
  mode?: 'plaintext' | 'compatible' | 'safe';
  replyBudgetMs?: number;
  module?: WechatOfficialAccountOptions;
  /** Modules mounted before the WeChat module (default: the guided flows, which the custom menu names). */
  before?: FeatureModule[];
  /** Extra environment (e.g. WECHAT_TEMPLATE_ID). */
  env?: Record<string, string>;
}

/** The whole service with the WeChat webhook configured against a loopback mock of WeChat's API. */
export async function startWechatHarness(options: HarnessOptions = {}): Promise<WechatHarness> {
  const api = await MockWechatApi.start({ appid: APP_ID, secret: APP_SECRET });
  const storage = createMemoryStorage();
  const engine = new EngineSpy();
  const module = wechatOfficialAccountModule(options.module);
  const spied: FeatureModule = { ...module, install: (app, context, assistant) => module.install?.(app, context, engine.wrap(assistant)) };
  const env: Record<string, string> = {
    WECHAT_TOKEN: TOKEN,
    WECHAT_APPID: APP_ID,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE: api.url,
    WECHAT_REPLY_BUDGET_MS: String(options.replyBudgetMs ?? 3000),
    ...options.env,
  };
  if (options.safe || (options.mode && options.mode !== 'plaintext')) env.WECHAT_AES_KEY = AES_KEY;
  if (options.mode) env.WECHAT_MESSAGE_MODE = options.mode;
  const service = await startTestService({ env, storage, modules: [...(options.before ?? [guidedFlowsModule()]), spied] });
  const wechat = new WechatServer(`${service.baseUrl}/wechat`, { token: TOKEN, appId: APP_ID, aesKey: AES_KEY }, service.clock);
  return {
    service,
    api,
    wechat,
    storage,
    engine,
    session: (openid) => storage.documents('sessions').get(`wechat:${openid}`),
  };
}

/** UTF-8 size, the unit of WeChat's text limits. */
export const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Stops the reply budget from running out during this test (fake `setTimeout` until it ends): a
 * test of the passive path then holds on a slow, loaded machine, where a cold first turn can take
 * longer than the budget. Call it after the harness has started.
 */
export function budgetNeverRunsOut(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  onTestFinished(() => void vi.useRealTimers());
}

/** The reply budget (WECHAT_REPLY_BUDGET_MS) tests give the harness when they take the slow path. */
export const BUDGET_MS = 3000;

/**
 * Pushes a message the engine holds back, lets the reply budget run out on fake timers, and
 * returns what the request answered. The engine keeps holding until the test calls `release()`.
 */
export async function pushPastBudget({ wechat, engine }: WechatHarness, xml: string): Promise<PushResult> {
  engine.hold();
  const arrived = engine.received(engine.calls.length + 1);
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  try {
    const pushed = wechat.push(xml);
    // Once the engine has the message, the request is waiting on its budget timer.
    await arrived;
    await vi.advanceTimersByTimeAsync(BUDGET_MS);
    return await pushed;
  } finally {
    vi.useRealTimers();
  }
}

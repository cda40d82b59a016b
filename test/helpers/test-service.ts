import path from 'node:path';
import pino from 'pino';
import { onTestFinished } from 'vitest';
import type { AccountCore } from '../../src/account-core/types.js';
import { loadConfig, projectRoot, type Config } from '../../src/config.js';
import type { TurnResult } from '../../src/conversation/types.js';
import { createService, type FeatureModule, type Service } from '../../src/service.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import type { RateLimits } from '../../src/security/rate-limits.js';
import type { Storage } from '../../src/storage/types.js';
import { TestClock } from './clock.js';
import { sharedMatcher } from './knowledge.js';
import { tempDir } from './temp-dir.js';

/** The integration chat API's bearer token in every test service (override with `env.CHAT_API_TOKEN`). */
export const TEST_CHAT_API_TOKEN = 'test-chat-api-token';

export interface TestServiceOptions {
  env?: Record<string, string>;
  clock?: TestClock;
  storage?: Storage;
  core?: AccountCore;
  modules?: FeatureModule[];
  /** Rate limits with the test's own budgets (default: the service's). */
  rateLimits?: RateLimits;
  /** Persist to SQLite in a temp dir instead of memory (restart tests). */
  dataDir?: string;
}

/**
 * The whole service as production builds it, on a free loopback port, with a movable clock.
 * Closed automatically after the test.
 */
export async function startTestService(options: TestServiceOptions = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? tempDir('chsi-svc-');
  const config: Config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SMTP_PORT: '0',
    ACCOUNT_CORE_SEED: path.join(projectRoot, 'src', 'account-core', 'demo-accounts.json'),
    CHAT_API_TOKEN: TEST_CHAT_API_TOKEN,
    ...options.env,
  });
  const clock = options.clock ?? new TestClock();
  const service = await createService({
    config,
    clock: clock.now,
    logger: pino({ level: 'silent' }),
    storage: options.storage ?? (options.dataDir ? undefined : createMemoryStorage()),
    core: options.core,
    modules: options.modules,
    rateLimits: options.rateLimits,
    knowledge: sharedMatcher(),
  });
  const port = await service.listen();
  const testService = new TestService(service, clock, `http://127.0.0.1:${port}`, config);
  onTestFinished(() => service.close());
  return testService;
}

export class TestService {
  constructor(
    readonly service: Service,
    readonly clock: TestClock,
    readonly baseUrl: string,
    readonly config: Config,
  ) {}

  /** Headers of a trusted integration caller: JSON and `Authorization: Bearer <CHAT_API_TOKEN>`. */
  get chatApiHeaders(): Record<string, string> {
    return { 'content-type': 'application/json', authorization: `Bearer ${this.config.chatApiToken ?? ''}` };
  }

  /** `POST /api/chat` as a trusted integration caller (the token of this service). */
  async postChat(body: unknown): Promise<{ status: number; body: Record<string, any> }> {
    const response = await fetch(`${this.baseUrl}/api/chat`, { method: 'POST', headers: this.chatApiHeaders, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  /** A user of one channel, talking to the assistant through its engine. */
  user(userId = 'test-user', channel: 'web' | 'wechat' | 'wechaty' | 'terminal' | 'email' = 'web'): ChatUser {
    return new ChatUser(this, userId, channel);
  }
}

/** A transcript helper: `await user.says('忘记用户名了')` returns what the assistant answered. */
export class ChatUser {
  readonly transcript: { user: string; assistant: string }[] = [];

  constructor(
    private readonly harness: TestService,
    readonly userId: string,
    readonly channel: 'web' | 'wechat' | 'wechaty' | 'terminal' | 'email',
  ) {}

  async says(text: string): Promise<Answer> {
    const result = await this.harness.service.assistant.handle({ channel: this.channel, userId: this.userId, text });
    return this.record(text, result);
  }

  async sendsImage(image: { name: string; type: string; data: Buffer }, text?: string): Promise<Answer> {
    const result = await this.harness.service.assistant.handle({ channel: this.channel, userId: this.userId, text, image });
    return this.record(`[image ${image.name}]`, result);
  }

  private record(said: string, result: TurnResult): Answer {
    const answer = new Answer(result);
    this.transcript.push({ user: said, assistant: answer.text });
    return answer;
  }
}

/** What the assistant answered in one turn. */
export class Answer {
  /** Every reply joined, as the user reads it; images show as `[image <url>]`. */
  readonly text: string;

  constructor(readonly result: TurnResult) {
    this.text = result.replies.map((reply) => (reply.type === 'text' ? reply.text : `[image ${reply.url}]`)).join('\n');
  }

  get topic(): string | null {
    return this.result.topic;
  }

  get flow(): string | null {
    return this.result.flow;
  }

  get choices(): string[] {
    return this.result.choices.map((choice) => choice.label);
  }
}

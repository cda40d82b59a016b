import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { expect, onTestFinished } from 'vitest';
import type { EmbeddedAccountCore } from '../../src/account-core/index.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Assistant } from '../../src/conversation/assistant.js';
import { guidedFlowsModule } from '../../src/conversation/flows/module.js';
import { conversationIdOf } from '../../src/conversation/engine.js';
import type { ChannelName, ChoiceView, ConversationState, InboundImage, InboundMessage } from '../../src/conversation/types.js';
import type { ServiceContext } from '../../src/feature-module.js';
import { helpdeskModule, type HelpdeskHandle } from '../../src/helpdesk/module.js';
import { createService } from '../../src/service.js';
import { createSqliteStorage } from '../../src/storage/open-storage.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import type { Storage } from '../../src/storage/types.js';
import { TestClock } from './clock.js';
import { createDemoCore } from './demo-core.js';
import { sharedMatcher } from './knowledge.js';
import { Answer } from './test-service.js';

export { Answer };

/**
 * The assistant's engine with no HTTP and no port: the shared knowledge base and matcher, a
 * memory store, the embedded demo account core, the guided flows and (with `helpdesk: true`)
 * the help desk's escalate flow and tickets. Tests read as transcripts:
 *
 *   const chat = await startChat();
 *   await chat.user('忘记密码了').expects(/用户名/);
 *   expect(chat.flow).toBe('recover-password');
 *
 * Everything is closed when the test ends (`onTestFinished`), so call it inside a test.
 */
export interface ChatOptions {
  /** The channel the user writes from (default `web`). */
  channel?: ChannelName;
  /** The user's id on that channel (default `test-user`). */
  userId?: string;
  /** A clock to share with other parts of the test (default: a new TestClock). */
  clock?: TestClock;
  /** An account core to reuse (e.g. across a restart); default: the demo core on the chat's store. */
  core?: EmbeddedAccountCore;
  /** Adds the help desk: the escalate flow, handoff and tickets (nothing listens: no console is served, no SMTP). */
  helpdesk?: boolean;
  /** Keep conversations in a SQLite file under this directory instead of memory (restart tests). */
  dataDir?: string;
  /** Where the engine logs (default: silent). */
  logger?: Logger;
  /** Extra configuration, as environment variables. */
  env?: Record<string, string>;
  /** The user's channel shows choices as buttons (like the web page): no numbered lines in the text. */
  buttons?: boolean;
}

/** The public URL the engine builds links with; reset links read `${PUBLIC_URL}/core/reset/<token>`. */
export const PUBLIC_URL = 'http://localhost:3000';

/** One user's side of the conversation; `as()` gives another user on the same engine. */
export interface Chat {
  /** The user sends a message; await it for the answer, or chain `.expects(...)`. */
  user(text: string): Turn;
  /** The user sends an image, optionally with a caption. */
  sendImage(image: InboundImage, text?: string): Turn;
  /**
   * The user clicks a choice: one of the last answer's by its label, or any offered earlier
   * (a button still on screen from an older menu).
   */
  click(choice: string | ChoiceView): Turn;
  /** The choices of the last answer with their ids, as a channel with buttons receives them. */
  readonly offered: ChoiceView[];
  /** Every text reply of the last turn joined, as the user reads it ('' before the first turn). */
  readonly lastReply: string;
  /** The whole last answer. */
  readonly last: Answer | undefined;
  /** The knowledge topic of the last answer. */
  readonly topic: string | null;
  /** The flow active after the last turn. */
  readonly flow: string | null;
  /** The labels of the options offered in the last answer. */
  readonly choices: string[];
  /** Every exchange so far, for failure messages. */
  readonly transcript: readonly { user: string; assistant: string }[];
  readonly channel: ChannelName;
  readonly userId: string;
  /** The state stored for this conversation right now. */
  session(): Promise<ConversationState | undefined>;
  /** Lets time pass on the shared clock. */
  advance(minutes: number): void;
  /** Another user (or the same user on another channel) talking to the same engine. */
  as(userId: string, channel?: ChannelName): Chat;
  /** The engine this chat talks to. */
  readonly engine: ChatEngine;
  /** Shorthands for what the engine holds. */
  readonly store: Storage;
  readonly core: EmbeddedAccountCore;
  readonly clock: TestClock;
}

/** A turn in progress: awaitable, or checked with `expects`. */
export interface Turn extends PromiseLike<Answer> {
  /** Asserts the reply contains the text (or matches the pattern) and resolves with the answer. */
  expects(reply: string | RegExp): Promise<Answer>;
}

/** Everything the engine is built from, for assertions on what it holds. */
export interface ChatEngine {
  assistant: Assistant;
  context: ServiceContext;
  store: Storage;
  core: EmbeddedAccountCore;
  clock: TestClock;
  config: Config;
  /** The help desk's running parts, with `helpdesk: true`. */
  helpdesk: HelpdeskHandle | undefined;
  /** Closes the store; done automatically at the end of the test. */
  close(): Promise<void>;
  /** Closes this engine and builds a new one on the same data directory, core and clock. */
  restart(): Promise<ChatEngine>;
  /** A user of this engine. */
  chat(userId?: string, channel?: ChannelName, options?: { buttons?: boolean }): Chat;
}

/** Builds the engine and returns the first user's chat. */
export async function startChat(options: ChatOptions = {}): Promise<Chat> {
  const engine = await startEngine(options);
  return engine.chat(options.userId, options.channel, { buttons: options.buttons });
}

/**
 * Builds the engine alone, for tests with several users or a restart. It is composed exactly as
 * production composes it (`createService`), minus listening: no port is opened, no bot or SMTP
 * listener starts, and every turn goes straight to the assistant.
 */
export async function startEngine(options: ChatOptions = {}): Promise<ChatEngine> {
  const clock = options.clock ?? new TestClock();
  const config = loadConfig({
    PORT: '3000',
    HOST: '127.0.0.1',
    PUBLIC_URL,
    DATA_DIR: options.dataDir ?? path.join(os.tmpdir(), 'chsi-transcript-memory-store'),
    LOG_LEVEL: 'silent',
    SMTP_PORT: '0',
    ...options.env,
  });
  const store = options.dataDir ? createSqliteStorage(options.dataDir, { clock: clock.now }) : createMemoryStorage();
  // In memory the demo core shares the chat's store, as the embedded core shares the service's storage in
  // production; with a data directory it keeps its own, so it outlives `restart()` like a separate core would.
  const core = options.core ?? (await createDemoCore(clock, options.dataDir ? createMemoryStorage() : store));
  const desk = options.helpdesk ? helpdeskModule() : undefined;
  const service = await createService({
    config,
    clock: clock.now,
    logger: options.logger ?? pino({ level: 'silent' }),
    storage: store,
    core,
    modules: [guidedFlowsModule(), ...(desk ? [desk] : [])],
    listeners: false,
    knowledge: sharedMatcher(),
  });

  let closed = false;
  const engine: ChatEngine = {
    assistant: service.assistant,
    context: service.context,
    store,
    core,
    clock,
    config,
    helpdesk: desk?.handle,
    async close() {
      if (closed) return;
      closed = true;
      await service.close();
    },
    async restart() {
      await engine.close();
      return startEngine({ ...options, clock, core });
    },
    chat: (userId = 'test-user', channel = 'web', chatOptions = {}) => new TranscriptChat(engine, userId, channel, chatOptions.buttons ?? false),
  };
  onTestFinished(() => engine.close());
  return engine;
}

class TranscriptChat implements Chat {
  private readonly exchanges: { user: string; assistant: string }[] = [];
  private lastAnswer: Answer | undefined;

  constructor(
    readonly engine: ChatEngine,
    readonly userId: string,
    readonly channel: ChannelName,
    private readonly buttons: boolean,
  ) {}

  user(text: string): Turn {
    return this.turn(text, { text });
  }

  sendImage(image: InboundImage, text?: string): Turn {
    return this.turn(`[image ${image.name}]${text ? ` ${text}` : ''}`, { text, image });
  }

  click(choice: string | ChoiceView): Turn {
    const picked = typeof choice === 'string' ? this.offered.find((offered) => offered.label === choice) : choice;
    if (!picked) throw new Error(`no choice labelled ${JSON.stringify(choice)} in the last answer: ${JSON.stringify(this.choices)}`);
    return this.turn(`[click ${picked.label}]`, { choiceId: picked.id });
  }

  get offered(): ChoiceView[] {
    return this.lastAnswer?.result.choices ?? [];
  }

  get lastReply(): string {
    return this.lastAnswer?.text ?? '';
  }

  get last(): Answer | undefined {
    return this.lastAnswer;
  }

  get topic(): string | null {
    return this.lastAnswer?.topic ?? null;
  }

  get flow(): string | null {
    return this.lastAnswer?.flow ?? null;
  }

  get choices(): string[] {
    return this.lastAnswer?.choices ?? [];
  }

  get transcript(): readonly { user: string; assistant: string }[] {
    return this.exchanges;
  }

  get store(): Storage {
    return this.engine.store;
  }

  get core(): EmbeddedAccountCore {
    return this.engine.core;
  }

  get clock(): TestClock {
    return this.engine.clock;
  }

  session(): Promise<ConversationState | undefined> {
    return this.engine.store.documents<ConversationState>('sessions').get(conversationIdOf(this));
  }

  advance(minutes: number): void {
    this.engine.clock.advanceMinutes(minutes);
  }

  as(userId: string, channel: ChannelName = this.channel): Chat {
    return this.engine.chat(userId, channel, { buttons: this.buttons });
  }

  private turn(said: string, message: Pick<InboundMessage, 'text' | 'image' | 'choiceId'>): Turn {
    const inbound: InboundMessage = { channel: this.channel, userId: this.userId, ...message, ...(this.buttons ? { choicesAsButtons: true } : {}) };
    const answered = this.engine.assistant.handle(inbound).then((result) => {
      const answer = new Answer(result);
      this.lastAnswer = answer;
      this.exchanges.push({ user: said, assistant: answer.text });
      return answer;
    });
    return {
      then: (onFulfilled, onRejected) => answered.then(onFulfilled, onRejected),
      expects: async (reply) => {
        const answer = await answered;
        const context = `after the user said ${JSON.stringify(said)}`;
        if (typeof reply === 'string') expect(answer.text, context).toContain(reply);
        else expect(answer.text, context).toMatch(reply);
        return answer;
      },
    };
  }
}

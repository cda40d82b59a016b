import type { AccountCore } from '../account-core/types.js';
import type { FlowName } from '../knowledge/schema.js';
import type { Render } from '../render/renderer.js';
import type { Entities } from '../text/entities.js';

export type { FlowName } from '../knowledge/schema.js';

/** Where a message came from; replies go back the same way. */
export type ChannelName = 'web' | 'wechat' | 'wechaty' | 'email' | 'terminal';

/** An image as received: bytes plus what the sender claimed about them. */
export interface InboundImage {
  name: string;
  /** Declared MIME type; never trusted, consumers check the bytes. */
  type: string;
  data: Buffer;
}

/** One message from a user, already translated from the channel's protocol. */
export interface InboundMessage {
  channel: ChannelName;
  /** The channel's id for the user (web chat id, WeChat openid, e-mail address, ...). */
  userId: string;
  text?: string;
  image?: InboundImage;
}

export type Reply = { type: 'text'; text: string } | { type: 'image'; url: string };

/** A numbered option shown to the user; replying with its number picks it. */
export interface Choice {
  number: number;
  label: string;
}

/** What one turn produced, as every channel receives it. */
export interface TurnResult {
  replies: Reply[];
  /** The knowledge entry that answered, `null` for fallback, small talk, or a flow step. */
  topic: string | null;
  /** The guided flow active after this turn. */
  flow: FlowName | null;
  /** Options currently offered (also written into the text as numbered lines). */
  choices: Choice[];
}

/** What the engine does when the user picks an offered option. */
export type ChoiceAction =
  | { kind: 'topic'; topicId: string }
  /** `seed`: what the user already said (e.g. the number they pasted), handed to the flow. */
  | { kind: 'flow'; flow: FlowName; seed?: FlowSeed }
  | { kind: 'human' }
  | { kind: 'continue' };

export interface OfferedChoice {
  label: string;
  action: ChoiceAction;
}

/** A redacted line of the conversation, kept for escalation tickets. */
export interface HistoryEntry {
  at: string;
  from: 'user' | 'assistant';
  text: string;
  topic?: string | null;
}

/** Serialisable state of one flow: its name, its step, and whatever the step collected. */
export interface FlowState {
  flow: FlowName;
  step: string;
  [field: string]: unknown;
}

/** Everything remembered about one conversation. Plain JSON, persisted after every turn. */
export interface ConversationState {
  version: 1;
  conversationId: string;
  channel: ChannelName;
  userId: string;
  updatedAt: string;
  /** Active flow stack: the last is running, earlier ones wait for it to finish. */
  flows: FlowState[];
  /** Numbered options offered outside a flow. */
  offered: OfferedChoice[];
  /** Inputs in a row that nothing could understand. */
  invalidStreak: number;
  history: HistoryEntry[];
  recentTopics: string[];
  /** Set while a human agent owns the conversation. */
  handoff?: { ticketId: string; since: string };
  /** A note to give on the next message (e.g. the flow expired while the user was away). */
  pendingNotice?: string;
}

/** What a flow step receives. */
export type FlowInput =
  | {
      kind: 'message';
      /** The message text as the user wrote it, trimmed (full-width characters kept). */
      text: string;
      /** Matching form: simplified, lower-case, no punctuation or spaces. */
      normalized: string;
      entities: Entities;
      image?: InboundImage;
    }
  /** A sub-flow this flow started has ended; `result` is null when it was cancelled. */
  | { kind: 'resume'; child: FlowName; result: Record<string, unknown> | null };

/** What a flow step decided. */
export type FlowOutcome<S extends FlowState = FlowState> =
  /** Waiting for the user's next message. */
  | { status: 'waiting'; state: S; replies: Reply[]; choices?: Choice[] }
  /** The input did not fit this step; the engine may answer it as a question instead. */
  | { status: 'invalid'; state: S; replies: Reply[]; choices?: Choice[] }
  /** Run another flow first, then come back here with its result. */
  | { status: 'delegate'; state: S; replies: Reply[]; child: FlowName; seed?: FlowSeed }
  /** Done; `result` goes to the parent flow, if any. */
  | { status: 'complete'; replies: Reply[]; result?: Record<string, unknown> }
  /**
   * Done, and the message is not for this flow (e.g. a new question after a closing offer):
   * the flow ends as complete and the engine handles the message as if no flow were active.
   */
  | { status: 'release'; replies: Reply[]; result?: Record<string, unknown> }
  /** The flow gave up or the user left it. */
  | { status: 'cancelled'; replies: Reply[] };

/** How a flow is started: what was already said in the triggering message. */
export interface FlowSeed {
  entities?: Entities;
  /** The triggering message (half-width), so a flow can pick up a name or description. */
  text?: string;
  /** The knowledge topic that led here, if any. */
  topic?: string;
  [field: string]: unknown;
}

/** Services a flow step may use. Everything is passed in; flows import no channel or store. */
export interface FlowContext {
  conversationId: string;
  channel: ChannelName;
  userId: string;
  now: Date;
  render: Render;
  core: AccountCore;
  helpdesk?: HelpdeskPort;
  /** Absolute base URL for links shown to users. */
  publicUrl: string;
  /** The conversation so far (redacted), for tickets. */
  history: HistoryEntry[];
  recentTopics: string[];
}

/**
 * A guided procedure as a small explicit state machine. Its state is plain data keyed on
 * `step`, so it survives a restart.
 */
export interface FlowDefinition<S extends FlowState = FlowState> {
  name: FlowName;
  start(ctx: FlowContext, seed: FlowSeed): Promise<FlowOutcome<S>>;
  handle(ctx: FlowContext, state: S, input: FlowInput): Promise<FlowOutcome<S>>;
  /** Asks for the current step again (after an interruption, or after going back). */
  prompt(ctx: FlowContext, state: S): Reply[];
  /** The state one step earlier, or `null` when already at the first step. */
  back(ctx: FlowContext, state: S): S | null;
  /** The numbered options of the current step, offered again whenever `prompt` is shown. */
  choices?(ctx: FlowContext, state: S): Choice[];
  /** True when the current step asks for a secret (a security answer): the message is kept out of the history. */
  secretInput?(ctx: FlowContext, state: S): boolean;
}

/** The engine's view of the human help desk (tickets). */
export interface HelpdeskPort {
  /** `dueProvisional`: the date counts days of a year whose holidays are not published yet, so it may move. */
  createTicket(input: NewTicket): Promise<{ ticketId: string; dueAt: string | null; dueProvisional?: boolean }>;
  /**
   * Adds a user's message to an open ticket; `open: false` when the ticket was closed meanwhile.
   * `imageRejected` says why an attached image was not kept (the text, if any, still was).
   */
  appendUserMessage(
    ticketId: string,
    message: { text?: string; image?: InboundImage },
  ): Promise<{ open: boolean; imageRejected?: 'type' | 'too-large' | 'empty' | 'limit' }>;
  isTicketOpen(ticketId: string): Promise<boolean>;
}

export interface NewTicket {
  channel: ChannelName;
  userId: string;
  conversationId: string;
  username: string;
  description: string;
  screenshots: InboundImage[];
  transcript: HistoryEntry[];
  topics: string[];
}

/** Where questions nobody could answer are recorded, for the knowledge-gap report. */
export interface UnansweredLog {
  record(entry: { at: string; channel: ChannelName; text: string; candidates: string[] }): Promise<void>;
}

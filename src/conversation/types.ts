import type { AccountCore } from '../account-core/types.js';
import type { Logger } from 'pino';
import type { Render } from '../render/renderer.js';
import type { Entities } from '../text/entities.js';
import type { Result } from '../domain/result.js';

/**
 * A guided flow's name. Flows register their own names (`context.flows`); knowledge entries that
 * name a flow are checked against the registered ones at start-up.
 */
export type FlowName = string;

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
  /**
   * The id of an offered choice the user clicked (a button, a WeChat `msgmenu` item). It names the
   * menu that offered it, so a click on an old menu is never taken for an option of a newer one.
   */
  choiceId?: string;
  /**
   * The channel shows `TurnResult.choices` as buttons: the engine then leaves the numbered lines
   * out of the text. Text-only channels leave it unset and get the options as numbered lines.
   */
  choicesAsButtons?: boolean;
  /**
   * Picked from the channel's own menu (the WeChat custom menu): what to do, decided by the
   * channel from a key it published. `text` then carries the button's name, for the record.
   */
  action?: ChoiceAction;
  /**
   * The network address the message came from, when the channel sees one (the web page). Used
   * only for limits on what one address may do; never stored with the conversation.
   */
  clientAddress?: string;
}

export type Reply = { type: 'text'; text: string } | { type: 'image'; url: string };

/** A numbered option shown to the user; replying with its number picks it. */
export interface Choice {
  number: number;
  label: string;
}

/** An option as channels receive it: `id` (menu id and option number) is what a click sends back. */
export interface ChoiceView extends Choice {
  id: string;
}

/** What one turn produced, as every channel receives it. */
export interface TurnResult {
  replies: Reply[];
  /** The knowledge entry that answered, `null` for fallback, small talk, or a flow step. */
  topic: string | null;
  /** The guided flow active after this turn. */
  flow: FlowName | null;
  /**
   * Options offered by this answer, each once: written into the text as numbered lines, unless the
   * message said `choicesAsButtons`.
   */
  choices: ChoiceView[];
}

/** What the engine does when the user picks an offered option. */
export type ChoiceAction =
  | { kind: 'topic'; topicId: string }
  /** `seed`: what the user already said (e.g. the number they pasted), handed to the flow. */
  | { kind: 'flow'; flow: FlowName; seed?: FlowSeed }
  /** `seed`: what the user said, handed to the human hand-off as context. */
  | { kind: 'human'; seed?: FlowSeed }
  /** Go on with the interrupted flow: ask its current question again. */
  | { kind: 'continue' }
  /** Leave the interrupted flow. */
  | { kind: 'leave' }
  /** An option of a flow step: its number is handed to the step that offered it. */
  | { kind: 'step'; number: number };

export interface OfferedChoice {
  label: string;
  action: ChoiceAction;
}

/** The menu that offered some options: choice ids are `${id}-${number}`. */
export interface MenuRef {
  id: string;
  /** The flow and step that offered it; absent when the engine offered it itself. */
  flow?: FlowName;
  step?: string;
}

export interface PastMenu extends MenuRef {
  options: OfferedChoice[];
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
  /** The options of the menu currently open (the engine's own offers, or a flow step's options). */
  offered: OfferedChoice[];
  /** Which menu `offered` belongs to; absent in conversations stored before menus had ids. */
  menu?: MenuRef;
  /** Menus offered earlier, newest first: a click on one of them is answered for what it was, or declined. */
  pastMenus?: PastMenu[];
  /** Inputs in a row that nothing could understand. */
  invalidStreak: number;
  history: HistoryEntry[];
  recentTopics: string[];
  /** Set while a human agent owns the conversation. */
  handoff?: { ticketId: string; since: string };
  /** The last ticket this conversation opened, kept after it closes so the user can ask about it. */
  lastTicketId?: string;
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
      /**
       * Whether the message is plainly about something else (out of scope, or a topic that starts
       * no flow of its own, such as the pasted error "注册时提示手机号码已被注册"). A keyword of an
       * option in such a message ("手机") does not pick that option. Worked out only when asked.
       */
      aboutOtherTopic?: () => boolean;
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
  /** The account core acting for this conversation's user (`forEndUser(conversationId)`). */
  core: AccountCore;
  helpdesk?: HelpdeskPort;
  /** Absolute base URL for links shown to users. */
  publicUrl: string;
  /** The conversation so far (redacted), for tickets. */
  history: HistoryEntry[];
  recentTopics: string[];
  /** Where flows report what the user must not see (e.g. a ticket that could not be created). */
  logger: Logger;
  /** The channel draws the options as buttons: prompts say "tap" rather than "reply with the number". */
  buttons: boolean;
  /** Where this message came from, when the channel knows (see `InboundMessage.clientAddress`). */
  clientAddress?: string;
}

/** What a bare message can carry that a flow can start from (a pasted ID number, phone or e-mail). */
export type StartEntity = 'idNumber' | 'phone' | 'email';

/**
 * A guided procedure as a small explicit state machine, built with `defineFlow` (flows/flow-kit.ts).
 * Its state is plain data keyed on `step`, parsed with the step's schema whenever it is read back,
 * so it survives a restart. The engine knows flows only by what they declare here.
 */
export interface FlowDefinition {
  name: FlowName;
  /** Entities a message made only of them can start this flow from (offered as a choice). */
  startsFrom: readonly StartEntity[];
  /** Offered when the user sends an image outside any flow. */
  acceptsImages: boolean;
  /** Hands the user to a human: completing with a `ticketId` result starts the handoff. */
  isHumanHandoff: boolean;
  /** True when a message outside any flow asks for this flow by name ("绑定账号"): it starts at once. */
  askedFor?(normalized: string): boolean;
  start(ctx: FlowContext, seed: FlowSeed): Promise<FlowOutcome>;
  handle(ctx: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome>;
  /** Asks for the current step again (after an interruption, or after going back). */
  prompt(ctx: FlowContext, state: FlowState): Reply[];
  /** The state one step earlier, or `null` when already at the first step. */
  back(ctx: FlowContext, state: FlowState): FlowState | null;
  /** The numbered options of the current step, offered again whenever `prompt` is shown. */
  choices?(ctx: FlowContext, state: FlowState): Choice[];
  /**
   * What the current step waits for, so that a new question asked mid-flow can be told from an
   * answer. Unset: any ID number, phone, e-mail or code in a message counts as the step's answer.
   */
  expects?(state: FlowState): StepExpectation | undefined;
  /** True when the current step asks for a secret (a security answer): the message is kept out of the history. */
  secretInput?(ctx: FlowContext, state: FlowState): boolean;
  /**
   * Until when (ISO instant) the current step stays resumable although the user was away longer
   * than the idle timeout, e.g. while a code sent to the user is still valid; `null` for the usual timeout.
   */
  resumableUntil?(state: FlowState): string | null;
}

/** What a flow step waits for. */
export interface StepExpectation {
  /** Entities that answer the step; a message carrying one goes to the step, whatever else it says. */
  entities: readonly ('idNumber' | 'phone' | 'email' | 'code')[];
  /** The step takes free text (a description, a name): every message goes to it. */
  freeText: boolean;
}

/** A ticket just opened: its number and when an agent will have answered. */
export interface CreatedTicket {
  ticketId: string;
  dueAt: string | null;
  dueProvisional?: boolean;
}

/** The engine's view of the human help desk (tickets). */
export interface HelpdeskPort {
  /** `dueProvisional`: the date counts days of a year whose holidays are not published yet, so it may move. */
  /**
   * Opens a ticket; refused with `rate-limited` when this user has opened too many lately (a
   * stranger flooding the queue is slowed, other users are not).
   */
  createTicket(input: NewTicket): Promise<Result<CreatedTicket, 'rate-limited', { retryAfterSeconds: number }>>;
  /**
   * Adds a user's message to an open ticket; `open: false` when the ticket was closed meanwhile.
   * `imageRejected` says why an attached image was not kept (the text, if any, still was).
   */
  appendUserMessage(
    ticketId: string,
    message: { text?: string; image?: InboundImage },
  ): Promise<{ open: boolean; imageRejected?: 'type' | 'too-large' | 'empty' | 'limit' }>;
  isTicketOpen(ticketId: string): Promise<boolean>;
  /** Where one ticket stands, for the user who opened it; `undefined` when there is no such ticket. */
  ticketStatus?(ticketId: string): Promise<TicketStatusView | undefined>;
  /** A photo review was submitted from this conversation: the agents' decision is sent back to it. */
  reviewSubmitted?(origin: { reviewId: string; channel: ChannelName; userId: string }): Promise<void>;
}

/** What a user may see of their own ticket. */
export interface TicketStatusView {
  ticketId: string;
  status: 'open' | 'closed';
  createdAt: string;
  /** When a first reply is due (three working days); `null` when it could not be computed. */
  dueAt: string | null;
  /** An agent has replied at least once. */
  answered: boolean;
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
  /** The sender's network address, for the per-address ticket limit only. */
  clientAddress?: string;
}

/** Where questions nobody could answer are recorded, for the knowledge-gap report. */
export interface UnansweredLog {
  record(entry: { at: string; channel: ChannelName; text: string; candidates: string[] }): Promise<void>;
}

import type { z } from 'zod';
import { normalizeForMatching } from '../../text/normalize.js';
import { pickedNumber } from '../commands.js';
import type {
  Choice,
  FlowContext,
  FlowDefinition,
  FlowInput,
  FlowName,
  FlowOutcome,
  FlowSeed,
  FlowState,
  Reply,
  StartEntity,
  StepExpectation,
} from '../types.js';
import type { FlowWords } from './flow-words.js';

/** What every guided flow is built from. */
export interface FlowDeps {
  words: FlowWords;
}

/** The user's message, as a flow step reads it. */
export type MessageInput = Extract<FlowInput, { kind: 'message' }>;

/** One numbered option of a step: a stable id and the label the user sees. */
export interface Option<Id extends string = string> {
  id: Id;
  label: string;
}

/** Lines shown before a prompt (an acknowledgement, a problem); `undefined` ones are skipped. */
export type Lead = (Reply | undefined)[];

// ---- the step table ----

/** The schema of each step's stored state (besides `flow` and `step`), keyed by step name. */
export type StateSchemas = Record<string, z.AnyZodObject>;

/** The stored state of step `K`. */
export type StepState<N extends string, Schemas extends StateSchemas, K extends keyof Schemas & string> = { flow: N; step: K } & z.infer<Schemas[K]>;

/** Any stored state of the flow. */
export type StateOf<N extends string, Schemas extends StateSchemas> = { [K in keyof Schemas & string]: StepState<N, Schemas, K> }[keyof Schemas &
  string];

/** What a step's code can ask of its own flow: show another step (with its prompt and options). */
export interface FlowTools<State> {
  /** Moves to `state` and asks its question: lead lines, the step's prompt, how to leave, its options. */
  show(state: State, lead?: Lead): FlowOutcome;
  /** Like `show`, but the message did not fit this step (the engine may answer it as a question). */
  retry(state: State, lead?: Lead): FlowOutcome;
  /** Moves to `state` with `lines` in place of the step's prompt (they already ask its question). */
  wait(state: State, lines: Lead): FlowOutcome;
  /** Stays at `state` saying only what was wrong with the message (`lines`), counted as a miss. */
  refuse(state: State, lines: Lead): FlowOutcome;
  /** The options the step of `state` offers. */
  options(state: State): Option[];
}

/**
 * One step of a flow: everything about it in one entry. The compiler requires each part, so a
 * step cannot be added without its prompt, options, handling and way back.
 */
export interface StepDefinition<Here, State> {
  /** The step's question (empty for a step that waits on a sub-flow). */
  prompt(ctx: FlowContext, state: Here): Reply[];
  /** The numbered options shown with the prompt. */
  options(ctx: FlowContext, state: Here): Option[];
  /** The user's message at this step. */
  handle(ctx: FlowContext, state: Here, input: MessageInput, flow: FlowTools<State>): FlowOutcome | Promise<FlowOutcome>;
  /** The state one step earlier, `null` at a first step. */
  back(ctx: FlowContext, state: Here): State | null;
  /** A sub-flow this step started has ended (`result` null: cancelled). Default: ask this step again. */
  resume?(ctx: FlowContext, state: Here, result: Record<string, unknown> | null, flow: FlowTools<State>): FlowOutcome | Promise<FlowOutcome>;
  /** The step asks for a secret (a security answer): the message stays out of the transcript. */
  secret?: boolean;
  /** The step stays resumable past the idle timeout until this instant (e.g. the code's expiry). */
  resumableUntil?(state: Here): string | null;
  /**
   * What answers this step, so the engine can tell a new question asked mid-flow from an answer.
   * Unset: the engine's default (any ID number, phone, e-mail or code is the step's answer).
   */
  expects?: StepExpectation;
}

/** A flow: its stored-state schemas, how it starts, its steps, and what it declares to the engine. */
export interface FlowSpec<N extends string, Schemas extends StateSchemas> {
  /** The stored state of each step (what it collected so far), parsed whenever a state is read back. */
  states: Schemas;
  /** The step table: one entry per step of `states`. */
  steps: { [K in keyof Schemas & string]: StepDefinition<StepState<N, Schemas, K>, StateOf<N, Schemas>> };
  start(ctx: FlowContext, seed: FlowSeed, flow: FlowTools<StateOf<N, Schemas>>): FlowOutcome | Promise<FlowOutcome>;
  /** Entities a bare message can start this flow from. */
  startsFrom?: readonly StartEntity[];
  /** Offered for an image sent outside any flow. */
  acceptsImages?: boolean;
  /** Completing with a `ticketId` hands the conversation to a human agent. */
  isHumanHandoff?: boolean;
  /** A message outside any flow that asks for this flow by name (normalised), e.g. from the flow's start phrases. */
  askedFor?(normalized: string): boolean;
}

/**
 * Builds a flow from its step table. Stored state is parsed with the step's schema before any
 * step sees it; a state that no longer parses (an old version, a damaged store) restarts the flow
 * with a polite note instead of failing the turn.
 */
export function defineFlow<const N extends FlowName, Schemas extends StateSchemas>(name: N, spec: FlowSpec<N, Schemas>): FlowDefinition {
  type State = StateOf<N, Schemas>;
  type AnyStep = StepDefinition<State, State>;

  const parse = (stored: FlowState): State | undefined => {
    if (stored.flow !== name || !Object.hasOwn(spec.states, stored.step)) return undefined;
    const parsed = spec.states[stored.step]!.safeParse(stored);
    if (!parsed.success) return undefined;
    return { ...(parsed.data as object), flow: name, step: stored.step } as State;
  };
  // Every state reaching this point was parsed with the schema of its own step, which is what the
  // step's functions expect; TypeScript cannot correlate the two through the step name.
  const stepOf = (state: State): AnyStep => spec.steps[state.step as keyof Schemas & string] as unknown as AnyStep;

  // Every question says how to leave; a human-handoff flow does not offer itself.
  const leaveHint = (ctx: FlowContext): Reply => line(ctx, 'common/leave-hint', { human: spec.isHumanHandoff !== true });

  const toolsFor = (ctx: FlowContext): FlowTools<State> => {
    const options = (state: State) => stepOf(state).options(ctx, state);
    const withHint = (lines: Reply[]) => paragraph(...lines, lines.length > 0 ? leaveHint(ctx) : undefined);
    const ask = (state: State, lead: Lead) => [...paragraph(...lead), ...withHint(stepOf(state).prompt(ctx, state))];
    return {
      options,
      show: (state, lead = []) => waiting(state, paragraph(...ask(state, lead)), options(state)),
      retry: (state, lead = []) => invalid(state, paragraph(...ask(state, lead)), options(state)),
      wait: (state, lines) => waiting(state, withHint(paragraph(...lines)), options(state)),
      refuse: (state, lines) => invalid(state, withHint(paragraph(...lines)), options(state)),
    };
  };

  /** Starts over after a state that could not be read back. */
  const restart = async (ctx: FlowContext, stored: FlowState): Promise<FlowOutcome> => {
    ctx.logger.warn({ flow: name, step: stored.step }, 'stored flow state did not parse; the flow starts over');
    const outcome = await spec.start(ctx, {}, toolsFor(ctx));
    return { ...outcome, replies: paragraph(line(ctx, 'common/restarted', { flow: name }), ...outcome.replies) };
  };

  return {
    name,
    startsFrom: spec.startsFrom ?? [],
    acceptsImages: spec.acceptsImages ?? false,
    isHumanHandoff: spec.isHumanHandoff ?? false,
    askedFor: (normalized) => spec.askedFor?.(normalized) ?? false,

    async start(ctx, seed) {
      return spec.start(ctx, seed, toolsFor(ctx));
    },

    async handle(ctx, stored, input) {
      const state = parse(stored);
      if (!state) return restart(ctx, stored);
      const step = stepOf(state);
      const tools = toolsFor(ctx);
      if (input.kind === 'resume') return step.resume ? step.resume(ctx, state, input.result, tools) : tools.show(state);
      return step.handle(ctx, state, input, tools);
    },

    prompt(ctx, stored) {
      const state = parse(stored);
      if (!state) return [line(ctx, 'common/restarted', { flow: name })];
      const prompt = stepOf(state).prompt(ctx, state);
      return prompt.length > 0 ? paragraph(...prompt, leaveHint(ctx)) : [];
    },

    back(ctx, stored) {
      const state = parse(stored);
      return state ? stepOf(state).back(ctx, state) : null;
    },

    choices(ctx, stored) {
      const state = parse(stored);
      return state ? toChoices(stepOf(state).options(ctx, state)) : [];
    },

    secretInput(_ctx, stored) {
      const state = parse(stored);
      return state ? stepOf(state).secret === true : false;
    },

    resumableUntil(stored) {
      const state = parse(stored);
      return state ? (stepOf(state).resumableUntil?.(state) ?? null) : null;
    },

    expects(stored) {
      const state = parse(stored);
      // A state that does not parse is restarted by `handle`, whatever the message says.
      return state ? stepOf(state).expects : EXPECTS_TEXT;
    },
  };
}

/** Steps answered by a username: the phone, e-mail or ID number used to register. */
export const EXPECTS_USERNAME: StepExpectation = { entities: ['phone', 'email', 'idNumber'], freeText: false };
/** Steps answered by a verification code. */
export const EXPECTS_CODE: StepExpectation = { entities: ['code'], freeText: false };
/** Steps answered by free text (a description, a security answer): every message is for them. */
export const EXPECTS_TEXT: StepExpectation = { entities: [], freeText: true };

// ---- replies ----

/** A message from `templates/chat/flows/<key>.njk`. */
export function line(ctx: FlowContext, key: string, vars: Record<string, unknown> = {}): Reply {
  return { type: 'text', text: ctx.render(`chat/flows/${key}`, { buttons: ctx.buttons, ...vars }) };
}

/** Several messages joined into one reply, skipping empty ones. */
export function paragraph(...replies: (Reply | undefined)[]): Reply[] {
  const texts = replies.flatMap((reply) => (reply?.type === 'text' && reply.text ? [reply.text] : []));
  return texts.length > 0 ? [{ type: 'text', text: texts.join('\n') }] : [];
}

export function toChoices(options: readonly Option[]): Choice[] {
  return options.map((option, index) => ({ number: index + 1, label: option.label }));
}

export function waiting(state: FlowState, replies: Reply[], options?: readonly Option[]): FlowOutcome {
  return options && options.length > 0 ? { status: 'waiting', state, replies, choices: toChoices(options) } : { status: 'waiting', state, replies };
}

export function invalid(state: FlowState, replies: Reply[], options?: readonly Option[]): FlowOutcome {
  return options && options.length > 0 ? { status: 'invalid', state, replies, choices: toChoices(options) } : { status: 'invalid', state, replies };
}

export function complete(replies: Reply[], result?: Record<string, unknown>): FlowOutcome {
  return result ? { status: 'complete', replies, result } : { status: 'complete', replies };
}

export function cancelled(replies: Reply[]): FlowOutcome {
  return { status: 'cancelled', replies };
}

/** Ends the flow and hands the current message back to the engine as a fresh question. */
export function release(result?: Record<string, unknown>): FlowOutcome {
  return result ? { status: 'release', replies: [], result } : { status: 'release', replies: [] };
}

export function delegate(state: FlowState, replies: Reply[], child: FlowName, seed: FlowSeed = {}): FlowOutcome {
  return { status: 'delegate', state, replies, child, seed };
}

// ---- reading the user's choice ----

/** A reply this short, not worded as a question, that holds an option's keyword is that choice, whatever else it resembles. */
const SHORT_REPLY_LENGTH = 6;

/**
 * The option the user picked: by number ("2", "第二个"), by its label, or by a keyword of
 * exactly one option, unless the message is about another topic. `yes`/`no` name the options a
 * plain yes or no stands for.
 */
export function pickOption<Id extends string>(
  input: MessageInput,
  options: readonly Option<Id>[],
  words: FlowWords,
  meaning: { yes?: Id; no?: Id } = {},
): Id | undefined {
  const normalized = input.normalized;
  if (!normalized) return undefined;
  const number = pickedNumber(normalized);
  if (number !== undefined) return options[number - 1]?.id;
  const byLabel = options.find((option) => normalizeForMatching(option.label) === normalized);
  if (byLabel) return byLabel.id;
  if (meaning.yes && words.isYes(normalized)) return meaning.yes;
  if (meaning.no && words.isNo(normalized)) return meaning.no;
  // "用短信吧" picks by its keyword; "注册时提示手机号码已被注册" and "怎么激活邮箱" are about something else.
  const mayBeOtherTopic = [...normalized].length > SHORT_REPLY_LENGTH || words.looksLikeQuestion(input.text, normalized);
  if (mayBeOtherTopic && input.aboutOtherTopic?.()) return undefined;
  const byKeyword = options.filter((option) => words.optionKeywords(option.id).some((word) => normalized.includes(word)));
  return byKeyword.length === 1 ? byKeyword[0]!.id : undefined;
}

/** Whole minutes until `iso`, at least 1. */
export function minutesUntil(iso: string, now: Date): number {
  return Math.max(1, Math.round((Date.parse(iso) - now.getTime()) / 60000));
}

/** Whole hours until `iso`, at least 1 (how long a code or link the core sent stays valid). */
export function hoursUntil(iso: string, now: Date): number {
  return Math.max(1, Math.round(minutesUntil(iso, now) / 60));
}

import { normalizeForMatching } from '../../text/normalize.js';
import { pickedNumber } from '../commands.js';
import type { Choice, FlowContext, FlowInput, FlowName, FlowOutcome, FlowSeed, FlowState, Reply } from '../types.js';
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

/** A message from `templates/chat/flows/<key>.njk`. */
export function line(ctx: FlowContext, key: string, vars: Record<string, unknown> = {}): Reply {
  return { type: 'text', text: ctx.render(`chat/flows/${key}`, vars) };
}

/** Several messages joined into one reply, skipping empty ones. */
export function paragraph(...replies: (Reply | undefined)[]): Reply[] {
  const texts = replies.flatMap((reply) => (reply?.type === 'text' && reply.text ? [reply.text] : []));
  return texts.length > 0 ? [{ type: 'text', text: texts.join('\n') }] : [];
}

export function toChoices(options: readonly Option[]): Choice[] {
  return options.map((option, index) => ({ number: index + 1, label: option.label }));
}

export function waiting<S extends FlowState>(state: S, replies: Reply[], options?: readonly Option[]): FlowOutcome<S> {
  return options && options.length > 0 ? { status: 'waiting', state, replies, choices: toChoices(options) } : { status: 'waiting', state, replies };
}

export function invalid<S extends FlowState>(state: S, replies: Reply[], options?: readonly Option[]): FlowOutcome<S> {
  return options && options.length > 0 ? { status: 'invalid', state, replies, choices: toChoices(options) } : { status: 'invalid', state, replies };
}

export function complete<S extends FlowState>(replies: Reply[], result?: Record<string, unknown>): FlowOutcome<S> {
  return result ? { status: 'complete', replies, result } : { status: 'complete', replies };
}

/** Ends the flow and hands the current message back to the engine as a fresh question. */
export function release<S extends FlowState>(result?: Record<string, unknown>): FlowOutcome<S> {
  return result ? { status: 'release', replies: [], result } : { status: 'release', replies: [] };
}

export function delegate<S extends FlowState>(state: S, replies: Reply[], child: FlowName, seed: FlowSeed = {}): FlowOutcome<S> {
  return { status: 'delegate', state, replies, child, seed };
}

/**
 * The option the user picked: by number ("2", "第二个"), by its label, or by a keyword of
 * exactly one option. `yes`/`no` name the options a plain yes or no stands for.
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
  const byKeyword = options.filter((option) => words.optionKeywords(option.id).some((word) => normalized.includes(word)));
  return byKeyword.length === 1 ? byKeyword[0]!.id : undefined;
}

/** Whole minutes until `iso`, at least 1. */
export function minutesUntil(iso: string, now: Date): number {
  return Math.max(1, Math.round((Date.parse(iso) - now.getTime()) / 60000));
}

/** An instant as China wall-clock time, `2026-11-26 10:00`, for templates. */
export function chinaTime(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const shifted = new Date(Date.parse(iso) + 8 * 60 * 60 * 1000).toISOString();
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)}`;
}

/** Turns a persisted state back into a typed one, or `undefined` when its step is unknown. */
export function knownStep<S extends FlowState>(state: FlowState, steps: readonly S['step'][]): S | undefined {
  return (steps as readonly string[]).includes(state.step) ? (state as S) : undefined;
}

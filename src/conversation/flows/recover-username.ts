import { maskIdNumber, maskUsername } from '../../privacy/mask.js';
import type { Entities } from '../../text/entities.js';
import type { FlowContext, FlowDefinition, FlowInput, FlowOutcome, FlowSeed, FlowState } from '../types.js';
import {
  complete,
  delegate,
  invalid,
  release,
  knownStep,
  line,
  paragraph,
  pickOption,
  toChoices,
  waiting,
  type FlowDeps,
  type Option,
} from './flow-kit.js';
import { readIdNumber, readName } from './identity-input.js';
import { idProblemLine, coreTroubleLine } from './shared-lines.js';

/**
 * `standalone`: show the username and offer password recovery. `for-password`: the
 * recover-password flow asked; hand the username back to it.
 */
export type RecoverUsernameMode = 'standalone' | 'for-password';

interface Base extends FlowState {
  flow: 'recover-username';
  mode: RecoverUsernameMode;
}

/** 找回用户名: ID number and name, in one message or two, then the core's lookup. */
export type RecoverUsernameState =
  | (Base & { step: 'ask-identity' })
  | (Base & { step: 'ask-name'; idNumber: string })
  | (Base & { step: 'ask-id'; name: string })
  | (Base & { step: 'found'; username: string })
  | (Base & { step: 'recovering-password' });

const STEPS = ['ask-identity', 'ask-name', 'ask-id', 'found', 'recovering-password'] as const;

type NextStep = 'recover-password' | 'done';

/** What recover-username hands to a parent flow: the username, or null when none was found. */
export interface RecoverUsernameResult extends Record<string, unknown> {
  username: string | null;
}

export function createRecoverUsernameFlow(deps: FlowDeps): FlowDefinition<RecoverUsernameState> {
  const { words } = deps;
  const T = 'recover-username';

  const nextSteps = (ctx: FlowContext): Option<NextStep>[] => [
    { id: 'recover-password', label: ctx.render(`chat/flows/${T}/choice`, { id: 'recover-password' }) },
    { id: 'done', label: ctx.render(`chat/flows/${T}/choice`, { id: 'done' }) },
  ];

  const at = (mode: RecoverUsernameMode) => ({
    identity: (): RecoverUsernameState => ({ flow: 'recover-username', mode, step: 'ask-identity' }),
    name: (idNumber: string): RecoverUsernameState => ({ flow: 'recover-username', mode, step: 'ask-name', idNumber }),
    id: (name: string): RecoverUsernameState => ({ flow: 'recover-username', mode, step: 'ask-id', name }),
  });

  function prompt(ctx: FlowContext, state: RecoverUsernameState) {
    switch (state.step) {
      case 'ask-identity':
        return [line(ctx, `${T}/ask-identity`)];
      case 'ask-name':
        return [line(ctx, `${T}/ask-name`, { maskedId: maskIdNumber(state.idNumber) })];
      case 'ask-id':
        return [line(ctx, `${T}/ask-id`, { name: state.name })];
      case 'found':
        return [line(ctx, `${T}/found`, { maskedUsername: maskUsername(state.username), again: true })];
      case 'recovering-password':
        return [];
    }
  }

  /** Reads whatever the message adds to what was already collected, then looks up when complete. */
  async function collect(
    ctx: FlowContext,
    mode: RecoverUsernameMode,
    known: { idNumber?: string; name?: string },
    input: { text: string; entities: Entities },
    first: boolean,
  ): Promise<FlowOutcome<RecoverUsernameState>> {
    const go = at(mode);
    const id = readIdNumber(input, ctx.now);
    const newName = readName(input.text, words);
    const name = newName ?? known.name;
    const idNumber = id.kind === 'valid' ? id.value : known.idNumber;
    if (id.kind === 'none' && !newName) {
      const state: RecoverUsernameState = known.idNumber ? go.name(known.idNumber) : known.name ? go.id(known.name) : go.identity();
      if (first) return waiting(state, paragraph(line(ctx, `${T}/intro`), ...prompt(ctx, state)));
      return invalid(state, paragraph(line(ctx, `${T}/need-identity`, { step: state.step }), ...prompt(ctx, state)));
    }
    if (id.kind === 'invalid') {
      const state = name ? go.id(name) : go.identity();
      const replies = paragraph(first ? line(ctx, `${T}/intro`) : undefined, idProblemLine(ctx, id.problem), ...prompt(ctx, state));
      return first ? waiting(state, replies) : invalid(state, replies);
    }
    if (idNumber && name) return lookUp(ctx, mode, idNumber, name);
    const next = idNumber ? go.name(idNumber) : go.id(name ?? '');
    return waiting(next, paragraph(first ? line(ctx, `${T}/intro`) : undefined, ...prompt(ctx, next)));
  }

  async function lookUp(ctx: FlowContext, mode: RecoverUsernameMode, idNumber: string, name: string): Promise<FlowOutcome<RecoverUsernameState>> {
    const go = at(mode);
    const forPassword = mode === 'for-password';
    const notFound: RecoverUsernameResult = { username: null };
    const found = await ctx.core.findUsername({ idNumber, name, callerId: ctx.conversationId });
    if (found.ok) {
      const username = found.value.username;
      const masked = maskUsername(username);
      if (forPassword) return complete([line(ctx, `${T}/found`, { maskedUsername: masked, forPassword })], { username });
      return waiting(
        { flow: 'recover-username', mode, step: 'found', username },
        [line(ctx, `${T}/found`, { maskedUsername: masked })],
        nextSteps(ctx),
      );
    }
    const error = found.error;
    switch (error.code) {
      case 'name_mismatch':
        return waiting(go.name(idNumber), [line(ctx, `${T}/name-mismatch`, { maskedId: maskIdNumber(idNumber), name })]);
      case 'not_registered':
        return complete([line(ctx, `${T}/not-registered`, { maskedId: maskIdNumber(idNumber), forPassword })], forPassword ? notFound : undefined);
      case 'rate_limited': {
        const seconds = Number(error.details?.retryAfterSeconds ?? 0);
        return complete([line(ctx, `${T}/rate-limited`, { minutes: Math.max(1, Math.ceil(seconds / 60)) })], forPassword ? notFound : undefined);
      }
      case 'account_cancelled':
        return complete([line(ctx, 'common/account-cancelled', { reason: error.details?.reason ?? null })], forPassword ? notFound : undefined);
      case 'invalid_id_number':
      case 'invalid_input':
        return invalid(go.identity(), paragraph(line(ctx, 'common/id-problem', { problem: 'unknown' }), ...prompt(ctx, go.identity())));
      default:
        return waiting(go.name(idNumber), paragraph(coreTroubleLine(ctx), ...prompt(ctx, go.name(idNumber))));
    }
  }

  return {
    name: 'recover-username',

    async start(ctx, seed: FlowSeed) {
      const mode: RecoverUsernameMode = seed.mode === 'for-password' ? 'for-password' : 'standalone';
      const entities = seed.entities ?? { idNumbers: [], phones: [], emails: [], codes: [] };
      return collect(ctx, mode, {}, { text: seed.text ?? '', entities }, true);
    },

    async handle(ctx, raw, input: FlowInput) {
      const mode: RecoverUsernameMode = raw.mode === 'for-password' ? 'for-password' : 'standalone';
      const state = knownStep<RecoverUsernameState>(raw, STEPS) ?? at(mode).identity();
      if (input.kind === 'resume') {
        // The only child is recover-password, whose own replies closed the matter.
        if (state.step === 'recovering-password') return complete([]);
        return waiting(state, prompt(ctx, state));
      }
      switch (state.step) {
        case 'ask-identity':
          return collect(ctx, mode, {}, input, false);
        case 'ask-name':
          return collect(ctx, mode, { idNumber: state.idNumber }, input, false);
        case 'ask-id':
          return collect(ctx, mode, { name: state.name }, input, false);
        case 'found': {
          const picked = pickOption(input, nextSteps(ctx), words, { yes: 'recover-password', no: 'done' });
          if (picked === 'recover-password') {
            return delegate({ flow: 'recover-username', mode, step: 'recovering-password' }, [], 'recover-password', { username: state.username });
          }
          if (picked === 'done') return complete([line(ctx, `${T}/finished`)], { username: state.username });
          // The username was found; anything else is a new question, not a wrong answer.
          return release({ username: state.username });
        }
        case 'recovering-password':
          return waiting(state, []);
      }
    },

    prompt,

    choices(ctx, state) {
      return state.step === 'found' ? toChoices(nextSteps(ctx)) : [];
    },

    back(_ctx, state) {
      if (state.step === 'ask-identity' || state.step === 'recovering-password') return null;
      return at(state.mode).identity();
    },
  };
}

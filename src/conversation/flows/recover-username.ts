import { z } from 'zod';
import { maskIdNumber } from '../../privacy/mask.js';
import type { Entities } from '../../text/entities.js';
import type { FlowContext, FlowDefinition, FlowOutcome, StepExpectation } from '../types.js';
import { complete, defineFlow, delegate, line, pickOption, release, type FlowDeps, type FlowTools, type Option, type StateOf } from './flow-kit.js';
import { accountSchema, coreAccount, type AccountHandle } from './account-handle.js';
import { readIdNumber, readName } from './identity-input.js';
import { coreTroubleLine, idProblemLine } from './shared-lines.js';

const FLOW = 'recover-username';
/** The identity steps take an ID number (and a name, which no question looks like). */
const EXPECTS_ID_NUMBER: StepExpectation = { entities: ['idNumber'], freeText: false };

/**
 * `standalone`: show the username and offer password recovery. `for-password`: the
 * recover-password flow asked; hand the username back to it.
 */
const mode = z.enum(['standalone', 'for-password']);
export type RecoverUsernameMode = z.infer<typeof mode>;

/** 找回用户名: ID number and name, in one message or two, then the core's lookup. */
const states = {
  'ask-identity': z.object({ mode }),
  'ask-name': z.object({ mode, idNumber: z.string() }),
  'ask-id': z.object({ mode, name: z.string() }),
  found: z.object({ mode, account: accountSchema }),
  'recovering-password': z.object({ mode }),
};

type State = StateOf<typeof FLOW, typeof states>;
type Tools = FlowTools<State>;
type NextStep = 'recover-password' | 'done';

/** What recover-username hands to a parent flow: the account, or null when none was found. */
export interface RecoverUsernameResult extends Record<string, unknown> {
  account: AccountHandle | null;
}

const at = (mode: RecoverUsernameMode) => ({
  identity: (): State => ({ flow: FLOW, mode, step: 'ask-identity' }),
  name: (idNumber: string): State => ({ flow: FLOW, mode, step: 'ask-name', idNumber }),
  id: (name: string): State => ({ flow: FLOW, mode, step: 'ask-id', name }),
});

export function createRecoverUsernameFlow(deps: FlowDeps): FlowDefinition {
  const { words } = deps;
  const T = FLOW;

  const nextSteps = (ctx: FlowContext): Option<NextStep>[] => [
    { id: 'recover-password', label: ctx.render(`chat/flows/${T}/choice`, { id: 'recover-password' }) },
    { id: 'done', label: ctx.render(`chat/flows/${T}/choice`, { id: 'done' }) },
  ];

  /** Reads whatever the message adds to what was already collected, then looks up when complete. */
  async function collect(
    ctx: FlowContext,
    flow: Tools,
    mode: RecoverUsernameMode,
    known: { idNumber?: string; name?: string },
    input: { text: string; entities: Entities },
    first: boolean,
  ): Promise<FlowOutcome> {
    const go = at(mode);
    const intro = first ? line(ctx, `${T}/intro`) : undefined;
    const id = readIdNumber(input, ctx.now);
    const newName = readName(input.text, words);
    const name = newName ?? known.name;
    const idNumber = id.kind === 'valid' ? id.value : known.idNumber;
    if (id.kind === 'none' && !newName) {
      const state = known.idNumber ? go.name(known.idNumber) : known.name ? go.id(known.name) : go.identity();
      if (first) return flow.show(state, [intro]);
      return flow.retry(state, [line(ctx, `${T}/need-identity`, { step: state.step })]);
    }
    if (id.kind === 'invalid') {
      const state = name ? go.id(name) : go.identity();
      const lead = [intro, idProblemLine(ctx, id.problem)];
      return first ? flow.show(state, lead) : flow.retry(state, lead);
    }
    if (idNumber && name) return lookUp(ctx, flow, mode, idNumber, name);
    return flow.show(idNumber ? go.name(idNumber) : go.id(name ?? ''), [intro]);
  }

  async function lookUp(ctx: FlowContext, flow: Tools, mode: RecoverUsernameMode, idNumber: string, name: string): Promise<FlowOutcome> {
    const go = at(mode);
    const forPassword = mode === 'for-password';
    const notFound: RecoverUsernameResult = { account: null };
    const found = await ctx.core.findUsername({ idNumber, name });
    if (found.ok) {
      const account = coreAccount(found.value);
      const result: RecoverUsernameResult = { account };
      if (forPassword) return complete([line(ctx, `${T}/found`, { maskedUsername: account.masked, forPassword })], result);
      // The found step's own prompt repeats the username ("刚才查到的"); the first time it is news.
      return flow.wait({ flow: FLOW, mode, step: 'found', account }, [line(ctx, `${T}/found`, { maskedUsername: account.masked })]);
    }
    const error = found.error;
    switch (error.code) {
      case 'name_mismatch':
        return flow.show(go.name(idNumber), [line(ctx, `${T}/name-mismatch`, { maskedId: maskIdNumber(idNumber), name })]);
      case 'not_registered':
        return complete([line(ctx, `${T}/not-registered`, { maskedId: maskIdNumber(idNumber), forPassword })], forPassword ? notFound : undefined);
      case 'rate_limited': {
        const seconds = Number(error.details?.retryAfterSeconds ?? 0);
        const minutes = seconds > 0 ? Math.ceil(seconds / 60) : null;
        return complete([line(ctx, `${T}/rate-limited`, { minutes })], forPassword ? notFound : undefined);
      }
      case 'account_cancelled':
        return complete([line(ctx, 'common/account-cancelled', { reason: error.details?.reason ?? null })], forPassword ? notFound : undefined);
      case 'invalid_id_number':
      case 'invalid_input':
        return flow.retry(go.identity(), [line(ctx, 'common/id-problem', { problem: 'unknown' })]);
      default:
        return flow.show(go.name(idNumber), [coreTroubleLine(ctx)]);
    }
  }

  return defineFlow(FLOW, {
    states,
    startsFrom: ['idNumber'],

    start(ctx, seed, flow) {
      const mode: RecoverUsernameMode = seed.mode === 'for-password' ? 'for-password' : 'standalone';
      const entities = seed.entities ?? { idNumbers: [], phones: [], emails: [], codes: [] };
      return collect(ctx, flow, mode, {}, { text: seed.text ?? '', entities }, true);
    },

    steps: {
      'ask-identity': {
        prompt: (ctx) => [line(ctx, `${T}/ask-identity`)],
        options: () => [],
        handle: (ctx, state, input, flow) => collect(ctx, flow, state.mode, {}, input, false),
        back: () => null,
        expects: EXPECTS_ID_NUMBER,
      },
      'ask-name': {
        prompt: (ctx, state) => [line(ctx, `${T}/ask-name`, { maskedId: maskIdNumber(state.idNumber) })],
        options: () => [],
        handle: (ctx, state, input, flow) => collect(ctx, flow, state.mode, { idNumber: state.idNumber }, input, false),
        back: (_ctx, state) => at(state.mode).identity(),
        expects: EXPECTS_ID_NUMBER,
      },
      'ask-id': {
        prompt: (ctx, state) => [line(ctx, `${T}/ask-id`, { name: state.name })],
        options: () => [],
        handle: (ctx, state, input, flow) => collect(ctx, flow, state.mode, { name: state.name }, input, false),
        back: (_ctx, state) => at(state.mode).identity(),
        expects: EXPECTS_ID_NUMBER,
      },
      found: {
        prompt: (ctx, state) => [line(ctx, `${T}/found`, { maskedUsername: state.account.masked, again: true })],
        options: (ctx) => nextSteps(ctx),
        handle(ctx, state, input) {
          const picked = pickOption(input, nextSteps(ctx), words, { yes: 'recover-password', no: 'done' });
          if (picked === 'recover-password') {
            return delegate({ flow: FLOW, mode: state.mode, step: 'recovering-password' }, [], 'recover-password', { account: state.account });
          }
          const result: RecoverUsernameResult = { account: state.account };
          if (picked === 'done') return complete([line(ctx, `${T}/finished`)], result);
          // The username was found; anything else is a new question, not a wrong answer.
          return release(result);
        },
        back: (_ctx, state) => at(state.mode).identity(),
      },
      'recovering-password': {
        prompt: () => [],
        options: () => [],
        handle: (_ctx, state, _input, flow) => flow.show(state),
        back: () => null,
        // The only child is recover-password, whose own replies closed the matter.
        resume: () => complete([]),
      },
    },
  });
}

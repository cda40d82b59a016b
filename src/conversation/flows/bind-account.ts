import { z } from 'zod';
import type { FlowContext, FlowDefinition, FlowOutcome, Reply } from '../types.js';
import { accountSchema, coreAccount, typedAccount, type AccountHandle } from './account-handle.js';
import { codeProblemLine, codeProblemOf, readCode } from './code-input.js';
import {
  cancelled,
  complete,
  defineFlow,
  EXPECTS_CODE,
  EXPECTS_USERNAME,
  hoursUntil,
  line,
  paragraph,
  pickOption,
  type FlowDeps,
  type FlowTools,
  type MessageInput,
  type Option,
  type StateOf,
  type StepState,
} from './flow-kit.js';
import { coreLimits, coreTroubleLine, idProblemLine } from './shared-lines.js';
import { readUsername } from './username-input.js';

const FLOW = 'bind-account';

const via = z.enum(['sms', 'email']);
type Via = z.infer<typeof via>;
/** Masked phone and e-mail the account can receive a code at. */
const targets = z.object({ sms: z.string().optional(), email: z.string().optional() });
type Targets = z.infer<typeof targets>;

/** 绑定学信网账号: username → code to the bound phone or e-mail → code in the chat → bound. */
const states = {
  'ask-username': z.object({}),
  'already-bound': z.object({ account: accountSchema }),
  'choose-via': z.object({ account: accountSchema, targets }),
  /** `codeExpiresAt`: the newest code's expiry, so the step outlives the idle timeout while it is valid. */
  'enter-code': z.object({ account: accountSchema, targets, via, sentTo: z.string(), codeExpiresAt: z.string().nullable() }),
};

type State = StateOf<typeof FLOW, typeof states>;
type Step<K extends keyof typeof states> = StepState<typeof FLOW, typeof states, K>;
type Tools = FlowTools<State>;

/** What bind-account hands to a parent flow: the bound account. */
export interface BindAccountResult extends Record<string, unknown> {
  account: AccountHandle;
}

const ASK_USERNAME: State = { flow: FLOW, step: 'ask-username' };

export function createBindAccountFlow(deps: FlowDeps): FlowDefinition {
  const { words } = deps;
  const T = FLOW;
  const label = (ctx: FlowContext, id: string, vars: Record<string, unknown> = {}) => ctx.render(`chat/flows/${T}/choice`, { id, ...vars });

  const codeOptions = (ctx: FlowContext, state: Step<'enter-code'>): Option[] => {
    const other: Via = state.via === 'sms' ? 'email' : 'sms';
    return [
      { id: 'resend', label: label(ctx, 'resend') },
      ...(state.targets[other] ? [{ id: 'switch-via', label: label(ctx, 'switch-via', { other }) }] : []),
    ];
  };

  async function startFor(ctx: FlowContext, flow: Tools, username: string, lead: (Reply | undefined)[] = []): Promise<FlowOutcome> {
    const typed = typedAccount(username);
    const account = await ctx.core.getAccount({ username });
    if (!account.ok) {
      if (account.error.code === 'not_registered')
        return flow.show(ASK_USERNAME, [...lead, line(ctx, `${T}/not-registered`, { maskedUsername: typed.masked })]);
      return flow.show(ASK_USERNAME, [...lead, coreTroubleLine(ctx)]);
    }
    const view = account.value;
    if (view.state === 'cancelled') {
      return flow.show(ASK_USERNAME, [...lead, line(ctx, 'common/account-cancelled', { reason: view.cancelledReason ?? null })]);
    }
    const found: Targets = {};
    if (view.maskedPhone) found.sms = view.maskedPhone;
    if (view.maskedEmail) found.email = view.maskedEmail;
    // The username the user typed names the account as well as a reference would, and never expires.
    const bound: AccountHandle = { ref: username, masked: view.maskedUsername };
    if (found.sms && found.email) return flow.show({ flow: FLOW, step: 'choose-via', account: bound, targets: found }, lead);
    const chosen: Via | undefined = found.sms ? 'sms' : found.email ? 'email' : undefined;
    if (!chosen) return cancelled(paragraph(...lead, line(ctx, `${T}/no-contact`, { maskedUsername: typed.masked })));
    const next: Step<'enter-code'> = {
      flow: FLOW,
      step: 'enter-code',
      account: bound,
      targets: found,
      via: chosen,
      sentTo: found[chosen] ?? '',
      codeExpiresAt: null,
    };
    return send(ctx, flow, next, false, lead);
  }

  /** Asks the core for a code; a refused send still leads to the code step, since earlier codes stay valid. */
  async function send(
    ctx: FlowContext,
    flow: Tools,
    next: Step<'enter-code'>,
    again: boolean,
    lead: (Reply | undefined)[] = [],
  ): Promise<FlowOutcome> {
    const sent = await ctx.core.startBinding({ channelUserId: ctx.conversationId, username: next.account.ref, via: next.via });
    if (sent.ok) {
      const state: State = { ...next, sentTo: sent.value.sentTo, codeExpiresAt: sent.value.expiresAt };
      const hours = hoursUntil(sent.value.expiresAt, ctx.now);
      return flow.wait(state, [...lead, line(ctx, `${T}/code-sent`, { sentTo: sent.value.sentTo, via: next.via, hours, again })]);
    }
    const problem = codeProblemOf(sent.error);
    if (problem === 'too-soon' || problem === 'daily-limit') {
      const limits = await coreLimits(ctx);
      const validHours = next.codeExpiresAt ? hoursUntil(next.codeExpiresAt, ctx.now) : null;
      return flow.show(next, [
        ...lead,
        codeProblemLine(ctx, problem, sent.error, limits && validHours ? { ...limits, codeValidityHours: validHours } : limits),
      ]);
    }
    if (sent.error.code === 'account_cancelled') {
      return flow.show(ASK_USERNAME, [...lead, line(ctx, 'common/account-cancelled', { reason: sent.error.details?.reason ?? null })]);
    }
    return flow.show(next, [...lead, coreTroubleLine(ctx)]);
  }

  function askUsername(ctx: FlowContext, flow: Tools, input: MessageInput): Promise<FlowOutcome> | FlowOutcome {
    const reading = readUsername(input.text, ctx.now, { entities: input.entities });
    if (reading.kind === 'found') return startFor(ctx, flow, reading.username);
    const problem = reading.kind === 'invalid-id' ? idProblemLine(ctx, reading.problem) : line(ctx, `${T}/need-username`);
    return flow.retry(ASK_USERNAME, [problem]);
  }

  async function enterCode(ctx: FlowContext, flow: Tools, state: Step<'enter-code'>, input: MessageInput): Promise<FlowOutcome> {
    const picked = pickOption(input, codeOptions(ctx, state), words);
    if (picked === 'switch-via') {
      const other: Via = state.via === 'sms' ? 'email' : 'sms';
      return send(ctx, flow, { ...state, via: other, sentTo: state.targets[other] ?? '' }, false);
    }
    if (picked === 'resend' || words.asksResend(input.normalized)) return send(ctx, flow, state, true);
    const code = readCode(input);
    if (code === 'malformed') return flow.refuse(state, [codeProblemLine(ctx, 'malformed')]);
    if (!code) return flow.retry(state, [line(ctx, `${T}/need-code`)]);
    const confirmed = await ctx.core.confirmBinding({ channelUserId: ctx.conversationId, code });
    if (confirmed.ok) {
      // The account the code was sent for is the one now bound; its name needs no reference.
      const result: BindAccountResult = { account: { ref: state.account.ref, masked: confirmed.value.maskedUsername } };
      return complete([line(ctx, `${T}/bound`, { maskedUsername: confirmed.value.maskedUsername })], result);
    }
    if (confirmed.error.code === 'account_cancelled') {
      return flow.show(ASK_USERNAME, [line(ctx, 'common/account-cancelled', { reason: confirmed.error.details?.reason ?? null })]);
    }
    return flow.wait(state, [codeProblemLine(ctx, codeProblemOf(confirmed.error), confirmed.error, await coreLimits(ctx))]);
  }

  return defineFlow(FLOW, {
    states,
    startsFrom: ['phone', 'email'],
    askedFor: (normalized) => words.asksFor(FLOW, normalized),

    async start(ctx, seed, flow) {
      const intro = line(ctx, `${T}/intro`);
      if (typeof seed.username === 'string' && seed.username) return startFor(ctx, flow, seed.username, [intro]);
      if (seed.fresh !== true) {
        const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId });
        if (binding.ok && binding.value.accountRef !== null) {
          return flow.show({ flow: FLOW, step: 'already-bound', account: coreAccount(binding.value) });
        }
      }
      if (seed.entities) {
        const reading = readUsername(seed.text ?? '', ctx.now, { entities: seed.entities });
        if (reading.kind === 'found') return startFor(ctx, flow, reading.username, [intro]);
      }
      return flow.show(ASK_USERNAME, [intro]);
    },

    steps: {
      'ask-username': {
        prompt: (ctx) => [line(ctx, `${T}/ask-username`)],
        options: () => [],
        handle: (ctx, _state, input, flow) => askUsername(ctx, flow, input),
        back: () => null,
        expects: EXPECTS_USERNAME,
      },
      'already-bound': {
        prompt: (ctx, state) => [line(ctx, `${T}/already-bound`, { maskedUsername: state.account.masked })],
        options: (ctx) => [
          { id: 'keep', label: label(ctx, 'keep') },
          { id: 'rebind', label: label(ctx, 'rebind') },
        ],
        handle(ctx, state, input, flow) {
          const picked = pickOption(input, flow.options(state), words, { yes: 'keep', no: 'rebind' });
          if (picked === 'keep') {
            const result: BindAccountResult = { account: state.account };
            return complete([line(ctx, `${T}/kept`, { maskedUsername: state.account.masked })], result);
          }
          if (picked === 'rebind') return flow.show(ASK_USERNAME);
          return flow.refuse(state, [line(ctx, `${T}/choose`)]);
        },
        back: () => null,
      },
      'choose-via': {
        prompt: (ctx, state) => [line(ctx, `${T}/choose-via`, { maskedUsername: state.account.masked })],
        options: (ctx, state) =>
          (['sms', 'email'] as const).flatMap((id) => (state.targets[id] ? [{ id, label: label(ctx, id, { target: state.targets[id] }) }] : [])),
        handle(ctx, state, input, flow) {
          const picked = pickOption(input, flow.options(state), words);
          if (picked === 'sms' || picked === 'email') {
            const sentTo = state.targets[picked] ?? '';
            return send(
              ctx,
              flow,
              { flow: FLOW, step: 'enter-code', account: state.account, targets: state.targets, via: picked, sentTo, codeExpiresAt: null },
              false,
            );
          }
          return flow.refuse(state, [line(ctx, `${T}/choose`)]);
        },
        back: () => ASK_USERNAME,
      },
      'enter-code': {
        prompt: (ctx, state) => [line(ctx, `${T}/enter-code`, { sentTo: state.sentTo, via: state.via })],
        options: (ctx, state) => codeOptions(ctx, state),
        handle: (ctx, state, input, flow) => enterCode(ctx, flow, state, input),
        back: (_ctx, state) =>
          state.targets.sms && state.targets.email
            ? { flow: FLOW, step: 'choose-via', account: state.account, targets: state.targets }
            : ASK_USERNAME,
        resumableUntil: (state) => state.codeExpiresAt,
        expects: EXPECTS_CODE,
      },
    },
  });
}

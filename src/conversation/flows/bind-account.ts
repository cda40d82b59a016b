import { maskUsername } from '../../privacy/mask.js';
import type { FlowContext, FlowDefinition, FlowInput, FlowOutcome, FlowSeed, FlowState, Reply } from '../types.js';
import { codeProblemLine, codeProblemOf, readCode } from './code-input.js';
import {
  complete,
  invalid,
  knownStep,
  line,
  minutesUntil,
  paragraph,
  pickOption,
  toChoices,
  waiting,
  type FlowDeps,
  type MessageInput,
  type Option,
} from './flow-kit.js';
import { coreTroubleLine, idProblemLine } from './shared-lines.js';
import { readUsername } from './username-input.js';

type Via = 'sms' | 'email';

interface Base extends FlowState {
  flow: 'bind-account';
}

/** Masked phone and e-mail the account can receive a code at. */
type Targets = Partial<Record<Via, string>>;

/** 绑定学信网账号: username → code to the bound phone or e-mail → code in the chat → bound. */
export type BindAccountState =
  | (Base & { step: 'ask-username' })
  | (Base & { step: 'already-bound'; username: string })
  | (Base & { step: 'choose-via'; username: string; targets: Targets })
  | (Base & { step: 'enter-code'; username: string; targets: Targets; via: Via; sentTo: string });

const STEPS = ['ask-username', 'already-bound', 'choose-via', 'enter-code'] as const;

/** What bind-account hands to a parent flow. */
export interface BindAccountResult extends Record<string, unknown> {
  username: string;
}

const ASK_USERNAME: BindAccountState = { flow: 'bind-account', step: 'ask-username' };

export function createBindAccountFlow(deps: FlowDeps): FlowDefinition<BindAccountState> {
  const { words } = deps;
  const T = 'bind-account';
  const label = (ctx: FlowContext, id: string, vars: Record<string, unknown> = {}) => ctx.render(`chat/flows/${T}/choice`, { id, ...vars });

  function optionsFor(ctx: FlowContext, state: BindAccountState): Option[] {
    switch (state.step) {
      case 'ask-username':
        return [];
      case 'already-bound':
        return [
          { id: 'keep', label: label(ctx, 'keep') },
          { id: 'rebind', label: label(ctx, 'rebind') },
        ];
      case 'choose-via':
        return (['sms', 'email'] as const).flatMap((via) =>
          state.targets[via] ? [{ id: via, label: label(ctx, via, { target: state.targets[via] }) }] : [],
        );
      case 'enter-code': {
        const other: Via = state.via === 'sms' ? 'email' : 'sms';
        return [
          { id: 'resend', label: label(ctx, 'resend') },
          ...(state.targets[other] ? [{ id: 'switch-via', label: label(ctx, 'switch-via', { other }) }] : []),
        ];
      }
    }
  }

  function prompt(ctx: FlowContext, state: BindAccountState): Reply[] {
    switch (state.step) {
      case 'ask-username':
        return [line(ctx, `${T}/ask-username`)];
      case 'already-bound':
        return [line(ctx, `${T}/already-bound`, { maskedUsername: maskUsername(state.username) })];
      case 'choose-via':
        return [line(ctx, `${T}/choose-via`, { maskedUsername: maskUsername(state.username) })];
      case 'enter-code':
        return [line(ctx, `${T}/enter-code`, { sentTo: state.sentTo, via: state.via })];
    }
  }

  function show(ctx: FlowContext, state: BindAccountState, lead: (Reply | undefined)[] = []): FlowOutcome<BindAccountState> {
    return waiting(state, paragraph(...lead, ...prompt(ctx, state)), optionsFor(ctx, state));
  }

  async function startFor(ctx: FlowContext, username: string, lead: (Reply | undefined)[] = []): Promise<FlowOutcome<BindAccountState>> {
    const masked = maskUsername(username);
    const account = await ctx.core.getAccount({ username });
    if (!account.ok) {
      if (account.error.code === 'not_registered')
        return show(ctx, ASK_USERNAME, [...lead, line(ctx, `${T}/not-registered`, { maskedUsername: masked })]);
      return show(ctx, ASK_USERNAME, [...lead, coreTroubleLine(ctx)]);
    }
    const view = account.value;
    if (view.state === 'cancelled') {
      return show(ctx, ASK_USERNAME, [...lead, line(ctx, 'common/account-cancelled', { reason: view.cancelledReason ?? null })]);
    }
    const targets: Targets = {};
    if (view.phone) targets.sms = maskUsername(view.phone);
    if (view.email) targets.email = maskUsername(view.email);
    const canonical = view.username;
    if (targets.sms && targets.email) return show(ctx, { flow: 'bind-account', step: 'choose-via', username: canonical, targets }, lead);
    const via: Via | undefined = targets.sms ? 'sms' : targets.email ? 'email' : undefined;
    if (!via) return { status: 'cancelled', replies: paragraph(...lead, line(ctx, `${T}/no-contact`, { maskedUsername: masked })) };
    return send(ctx, { flow: 'bind-account', step: 'enter-code', username: canonical, targets, via, sentTo: targets[via]! }, false, lead);
  }

  /** Asks the core for a code; a refused send still leads to the code step, since earlier codes stay valid. */
  async function send(
    ctx: FlowContext,
    next: Extract<BindAccountState, { step: 'enter-code' }>,
    again: boolean,
    lead: (Reply | undefined)[] = [],
  ): Promise<FlowOutcome<BindAccountState>> {
    const sent = await ctx.core.startBinding({ channelUserId: ctx.conversationId, username: next.username, via: next.via });
    if (sent.ok) {
      const state = { ...next, sentTo: sent.value.sentTo };
      const hours = Math.round(minutesUntil(sent.value.expiresAt, ctx.now) / 60);
      return waiting(
        state,
        paragraph(...lead, line(ctx, `${T}/code-sent`, { sentTo: state.sentTo, via: state.via, hours, again })),
        optionsFor(ctx, state),
      );
    }
    const problem = codeProblemOf(sent.error);
    if (problem === 'too-soon' || problem === 'daily-limit') return show(ctx, next, [...lead, codeProblemLine(ctx, problem, sent.error)]);
    if (sent.error.code === 'account_cancelled') {
      return show(ctx, ASK_USERNAME, [...lead, line(ctx, 'common/account-cancelled', { reason: sent.error.details?.reason ?? null })]);
    }
    return show(ctx, next, [...lead, coreTroubleLine(ctx)]);
  }

  async function askUsername(ctx: FlowContext, input: MessageInput): Promise<FlowOutcome<BindAccountState>> {
    const reading = readUsername(input, ctx.now);
    if (reading.kind === 'found') return startFor(ctx, reading.username);
    const problem = reading.kind === 'invalid-id' ? idProblemLine(ctx, reading.problem) : line(ctx, `${T}/need-username`);
    return invalid(ASK_USERNAME, paragraph(problem, ...prompt(ctx, ASK_USERNAME)));
  }

  async function enterCode(
    ctx: FlowContext,
    state: Extract<BindAccountState, { step: 'enter-code' }>,
    input: MessageInput,
  ): Promise<FlowOutcome<BindAccountState>> {
    const options = optionsFor(ctx, state);
    const picked = pickOption(input, options, words);
    if (picked === 'switch-via') {
      const via: Via = state.via === 'sms' ? 'email' : 'sms';
      return send(ctx, { ...state, via, sentTo: state.targets[via] ?? '' }, false);
    }
    if (picked === 'resend' || words.asksResend(input.normalized)) return send(ctx, state, true);
    const code = readCode(input);
    if (code === 'malformed') return invalid(state, [codeProblemLine(ctx, 'malformed')], options);
    if (!code) return invalid(state, paragraph(line(ctx, `${T}/need-code`), ...prompt(ctx, state)), options);
    const confirmed = await ctx.core.confirmBinding({ channelUserId: ctx.conversationId, code });
    if (confirmed.ok) {
      const result: BindAccountResult = { username: confirmed.value.username };
      return complete([line(ctx, `${T}/bound`, { maskedUsername: maskUsername(confirmed.value.username) })], result);
    }
    if (confirmed.error.code === 'account_cancelled') {
      return show(ctx, ASK_USERNAME, [line(ctx, 'common/account-cancelled', { reason: confirmed.error.details?.reason ?? null })]);
    }
    return waiting(state, [codeProblemLine(ctx, codeProblemOf(confirmed.error), confirmed.error)], options);
  }

  return {
    name: 'bind-account',

    async start(ctx, seed: FlowSeed) {
      const intro = line(ctx, `${T}/intro`);
      if (typeof seed.username === 'string' && seed.username) return startFor(ctx, seed.username, [intro]);
      if (seed.fresh !== true) {
        const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId });
        if (binding.ok && binding.value.username) return show(ctx, { flow: 'bind-account', step: 'already-bound', username: binding.value.username });
      }
      if (seed.entities) {
        const reading = readUsername({ text: seed.text ?? '', entities: seed.entities }, ctx.now);
        if (reading.kind === 'found') return startFor(ctx, reading.username, [intro]);
      }
      return show(ctx, ASK_USERNAME, [intro]);
    },

    async handle(ctx, raw, input: FlowInput) {
      const state = knownStep<BindAccountState>(raw, STEPS) ?? ASK_USERNAME;
      if (input.kind === 'resume') return show(ctx, state);
      switch (state.step) {
        case 'ask-username':
          return askUsername(ctx, input);
        case 'already-bound': {
          const picked = pickOption(input, optionsFor(ctx, state), words, { yes: 'keep', no: 'rebind' });
          if (picked === 'keep') {
            const result: BindAccountResult = { username: state.username };
            return complete([line(ctx, `${T}/kept`, { maskedUsername: maskUsername(state.username) })], result);
          }
          if (picked === 'rebind') return show(ctx, ASK_USERNAME);
          return invalid(state, [line(ctx, `${T}/choose`)], optionsFor(ctx, state));
        }
        case 'choose-via': {
          const picked = pickOption(input, optionsFor(ctx, state), words);
          if (picked === 'sms' || picked === 'email') {
            return send(
              ctx,
              {
                flow: 'bind-account',
                step: 'enter-code',
                username: state.username,
                targets: state.targets,
                via: picked,
                sentTo: state.targets[picked] ?? '',
              },
              false,
            );
          }
          return invalid(state, [line(ctx, `${T}/choose`)], optionsFor(ctx, state));
        }
        case 'enter-code':
          return enterCode(ctx, state, input);
      }
    },

    prompt,

    choices: (ctx, state) => toChoices(optionsFor(ctx, state)),

    back(_ctx, state) {
      switch (state.step) {
        case 'ask-username':
        case 'already-bound':
          return null;
        case 'choose-via':
          return ASK_USERNAME;
        case 'enter-code':
          return state.targets.sms && state.targets.email
            ? { flow: 'bind-account', step: 'choose-via', username: state.username, targets: state.targets }
            : ASK_USERNAME;
      }
    },
  };
}

import { z } from 'zod';
import type { RecoveryMethod } from '../../account-core/types.js';
import type { FlowContext, FlowDefinition, FlowOutcome, Reply } from '../types.js';
import { accountIn, accountSchema, typedAccount, type AccountHandle } from './account-handle.js';
import { codeProblemLine, codeProblemOf, readCode } from './code-input.js';
import {
  complete,
  defineFlow,
  EXPECTS_CODE,
  EXPECTS_TEXT,
  EXPECTS_USERNAME,
  delegate,
  hoursUntil,
  line,
  minutesUntil,
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

const FLOW = 'recover-password';

/** As the core listed them; targets are already masked. */
const methodSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sms'), target: z.string() }),
  z.object({ kind: z.literal('email'), target: z.string() }),
  z.object({ kind: z.literal('questions'), questions: z.array(z.string()) }),
]) satisfies z.ZodType<RecoveryMethod>;

const withAccount = { account: accountSchema, methods: z.array(methodSchema) };

/** 找回密码: username → method → code, link or security questions → one-time reset link. */
const states = {
  'ask-username': z.object({}),
  'finding-username': z.object({}),
  'choose-method': z.object(withAccount),
  /** `codeExpiresAt`: the newest code's expiry, so the step outlives the idle timeout while it is valid. */
  'enter-code': z.object({ ...withAccount, sentTo: z.string(), codeExpiresAt: z.string().nullable() }),
  /** `answers` holds the answers given so far, only until the last question is answered. */
  'answer-question': z.object({ ...withAccount, questions: z.array(z.string()), answers: z.array(z.string()) }),
};

type State = StateOf<typeof FLOW, typeof states>;
type Step<K extends keyof typeof states> = StepState<typeof FLOW, typeof states, K>;
type Tools = FlowTools<State>;
type MethodOption = RecoveryMethod['kind'] | 'none';
type CodeOption = 'resend' | 'switch-method';

const ASK_USERNAME: State = { flow: FLOW, step: 'ask-username' };
const FIND_USERNAME = 'find-username';
// An answer to a security question is short; a longer message or a question is something else.
const MAX_ANSWER_LENGTH = 40;

/** The method choice again, for a user who wants another way. */
const backToMethods = (state: { account: AccountHandle; methods: RecoveryMethod[] }): State => ({
  flow: FLOW,
  step: 'choose-method',
  account: state.account,
  methods: state.methods,
});

export function createRecoverPasswordFlow(deps: FlowDeps): FlowDefinition {
  const { words } = deps;
  const T = FLOW;
  const label = (ctx: FlowContext, id: string, vars: Record<string, unknown> = {}) => ctx.render(`chat/flows/${T}/choice`, { id, ...vars });

  const findUsernameOption = (ctx: FlowContext): Option<typeof FIND_USERNAME>[] => [{ id: FIND_USERNAME, label: label(ctx, FIND_USERNAME) }];

  const methodOptions = (ctx: FlowContext, methods: RecoveryMethod[]): Option<MethodOption>[] => [
    ...methods.map((method) => ({ id: method.kind, label: label(ctx, method.kind, { target: 'target' in method ? method.target : null }) })),
    { id: 'none' as const, label: label(ctx, 'none') },
  ];

  const codeOptions = (ctx: FlowContext): Option<CodeOption>[] => [
    { id: 'resend', label: label(ctx, 'resend') },
    { id: 'switch-method', label: label(ctx, 'switch-method') },
  ];

  async function lookUpMethods(ctx: FlowContext, flow: Tools, account: AccountHandle, lead: (Reply | undefined)[] = []): Promise<FlowOutcome> {
    const masked = account.masked;
    const listed = await ctx.core.getRecoveryMethods({ username: account.ref });
    if (!listed.ok) {
      switch (listed.error.code) {
        case 'not_registered':
          return flow.wait(ASK_USERNAME, [...lead, line(ctx, `${T}/not-registered`, { maskedUsername: masked })]);
        case 'account_cancelled':
          return completeWith(lead, line(ctx, 'common/account-cancelled', { reason: listed.error.details?.reason ?? null }));
        case 'no_recovery_method':
          return completeWith(lead, line(ctx, `${T}/no-method`, { maskedUsername: masked }));
        default:
          return flow.show(ASK_USERNAME, [...lead, coreTroubleLine(ctx)]);
      }
    }
    const methods = listed.value.methods;
    if (methods.length === 0) return completeWith(lead, line(ctx, `${T}/no-method`, { maskedUsername: masked }));
    return flow.show({ flow: FLOW, step: 'choose-method', account, methods }, lead);
  }

  function askUsername(ctx: FlowContext, flow: Tools, input: MessageInput): Promise<FlowOutcome> | FlowOutcome {
    const picked = pickOption(input, findUsernameOption(ctx), words);
    if (picked === FIND_USERNAME || words.saysDontKnow(input.normalized)) {
      return delegate({ flow: FLOW, step: 'finding-username' }, [], 'recover-username', { mode: 'for-password' });
    }
    const reading = readUsername(input.text, ctx.now, { entities: input.entities });
    if (reading.kind === 'found') return lookUpMethods(ctx, flow, typedAccount(reading.username));
    const problem = reading.kind === 'invalid-id' ? idProblemLine(ctx, reading.problem) : line(ctx, `${T}/need-username`);
    return flow.retry(ASK_USERNAME, [problem]);
  }

  async function useMethod(ctx: FlowContext, flow: Tools, state: Step<'choose-method'>, method: MethodOption): Promise<FlowOutcome> {
    const { account, methods } = state;
    if (method === 'none') return complete([line(ctx, `${T}/no-method`, { unusable: true })]);
    if (method === 'questions') {
      const questions = methods.find((m): m is Extract<RecoveryMethod, { kind: 'questions' }> => m.kind === 'questions')?.questions ?? [];
      return flow.show({ flow: FLOW, step: 'answer-question', account, methods, questions, answers: [] });
    }
    if (method === 'email') {
      const sent = await ctx.core.sendResetEmail({ username: account.ref });
      if (sent.ok) {
        const limits = await coreLimits(ctx);
        return complete([
          line(ctx, `${T}/email-sent`, {
            sentTo: sent.value.sentTo,
            hours: hoursUntil(sent.value.expiresAt, ctx.now),
            password: limits?.password ?? null,
          }),
        ]);
      }
      if (sent.error.code === 'method_unavailable') return flow.show(state, [line(ctx, `${T}/method-unavailable`)]);
      return flow.show(state, [codeProblemLine(ctx, codeProblemOf(sent.error), sent.error, await coreLimits(ctx))]);
    }
    const target = methods.find((m): m is Extract<RecoveryMethod, { kind: 'sms' }> => m.kind === 'sms')?.target ?? '';
    return sendSms(ctx, flow, { flow: FLOW, step: 'enter-code', account, methods, sentTo: target, codeExpiresAt: null }, false, state);
  }

  /** Sends an SMS code; a refused send still leads to the code step, since earlier codes stay valid. */
  async function sendSms(ctx: FlowContext, flow: Tools, next: Step<'enter-code'>, again: boolean, fallback: State): Promise<FlowOutcome> {
    const sent = await ctx.core.sendSmsCode({ username: next.account.ref, purpose: 'reset-password' });
    if (sent.ok) {
      const state: State = { ...next, sentTo: sent.value.sentTo, codeExpiresAt: sent.value.expiresAt };
      return flow.wait(state, [line(ctx, `${T}/code-sent`, { sentTo: sent.value.sentTo, hours: hoursUntil(sent.value.expiresAt, ctx.now), again })]);
    }
    const problem = codeProblemOf(sent.error);
    if (problem === 'too-soon' || problem === 'daily-limit') {
      const validHours = next.codeExpiresAt ? hoursUntil(next.codeExpiresAt, ctx.now) : null;
      const limits = await coreLimits(ctx);
      return flow.show(next, [
        codeProblemLine(ctx, problem, sent.error, limits && validHours ? { ...limits, codeValidityHours: validHours } : limits),
      ]);
    }
    if (sent.error.code === 'method_unavailable') return flow.show(fallback, [line(ctx, `${T}/method-unavailable`)]);
    return flow.show(fallback, [coreTroubleLine(ctx)]);
  }

  async function enterCode(ctx: FlowContext, flow: Tools, state: Step<'enter-code'>, input: MessageInput): Promise<FlowOutcome> {
    const options = codeOptions(ctx);
    const picked = pickOption(input, options, words);
    if (picked === 'switch-method') return flow.show(backToMethods(state));
    if (picked === 'resend' || words.asksResend(input.normalized)) return sendSms(ctx, flow, state, true, state);
    const code = readCode(input);
    if (code === 'malformed') return flow.refuse(state, [codeProblemLine(ctx, 'malformed')]);
    if (!code) return flow.retry(state, [line(ctx, `${T}/need-code`)]);
    const verified = await ctx.core.verifySmsCode({ username: state.account.ref, code });
    if (verified.ok) return complete([await resetLink(ctx, verified.value.resetToken, verified.value.expiresAt)], { account: state.account });
    const problem = codeProblemOf(verified.error);
    if (problem === 'unavailable' && verified.error.code === 'account_cancelled') {
      return complete([line(ctx, 'common/account-cancelled', { reason: verified.error.details?.reason ?? null })]);
    }
    return flow.wait(state, [codeProblemLine(ctx, problem, verified.error, await coreLimits(ctx))]);
  }

  async function answerQuestion(ctx: FlowContext, flow: Tools, state: Step<'answer-question'>, input: MessageInput): Promise<FlowOutcome> {
    const chooseMethod = backToMethods(state);
    const answer = input.text.trim();
    if (words.saysDontKnow(input.normalized)) return flow.show(chooseMethod, [line(ctx, `${T}/answer-unknown`)]);
    if (answer === '' || answer.length > MAX_ANSWER_LENGTH || /[?？]/.test(answer)) {
      return flow.retry(state, [line(ctx, `${T}/answer-unclear`)]);
    }
    const answers = [...state.answers, answer];
    if (answers.length < state.questions.length) return flow.show({ ...state, answers });
    const verified = await ctx.core.verifySecurityAnswers({ username: state.account.ref, answers });
    if (verified.ok) return complete([await resetLink(ctx, verified.value.resetToken, verified.value.expiresAt)], { account: state.account });
    const error = verified.error;
    if (error.code === 'answers_wrong') {
      return flow.show({ ...state, answers: [] }, [
        line(ctx, `${T}/answers-wrong`, { attemptsLeft: error.details?.attemptsLeft ?? null, total: state.questions.length }),
      ]);
    }
    if (error.code === 'attempts_exceeded') return flow.show(chooseMethod, [line(ctx, `${T}/answers-locked`)]);
    return flow.show(chooseMethod, [coreTroubleLine(ctx)]);
  }

  async function resetLink(ctx: FlowContext, token: string, expiresAt: string): Promise<Reply> {
    const limits = await coreLimits(ctx);
    return line(ctx, `${T}/reset-link`, {
      link: `${ctx.publicUrl}/core/reset/${token}`,
      minutes: minutesUntil(expiresAt, ctx.now),
      password: limits?.password ?? null,
    });
  }

  return defineFlow(FLOW, {
    states,
    startsFrom: ['phone', 'email'],

    async start(ctx, seed, flow) {
      const intro = line(ctx, `${T}/intro`);
      const handed = accountIn(seed);
      if (handed) return lookUpMethods(ctx, flow, handed);
      if (typeof seed.username === 'string' && seed.username) return lookUpMethods(ctx, flow, typedAccount(seed.username));
      if (seed.entities) {
        const reading = readUsername(seed.text ?? '', ctx.now, { entities: seed.entities });
        if (reading.kind === 'found') return lookUpMethods(ctx, flow, typedAccount(reading.username), [intro]);
      }
      return flow.show(ASK_USERNAME, [intro]);
    },

    steps: {
      'ask-username': {
        prompt: (ctx) => [line(ctx, `${T}/ask-username`)],
        options: (ctx) => findUsernameOption(ctx),
        handle: (ctx, _state, input, flow) => askUsername(ctx, flow, input),
        back: () => null,
        expects: EXPECTS_USERNAME,
      },
      'finding-username': {
        prompt: () => [],
        options: () => [],
        handle: (_ctx, _state, _input, flow) => flow.show(ASK_USERNAME),
        back: () => null,
        resume(ctx, _state, result, flow) {
          const account = accountIn(result);
          if (account) return lookUpMethods(ctx, flow, account);
          // recover-username already said why there is nothing to recover.
          return complete([]);
        },
      },
      'choose-method': {
        prompt: (ctx, state) => [line(ctx, `${T}/methods`, { maskedUsername: state.account.masked })],
        options: (ctx, state) => methodOptions(ctx, state.methods),
        handle(ctx, state, input, flow) {
          const picked = pickOption(input, methodOptions(ctx, state.methods), words);
          if (picked) return useMethod(ctx, flow, state, picked);
          const reading = readUsername(input.text, ctx.now, { entities: input.entities });
          if (reading.kind === 'found' && reading.username !== state.account.ref) return lookUpMethods(ctx, flow, typedAccount(reading.username));
          return flow.refuse(state, [line(ctx, `${T}/choose`)]);
        },
        back: () => ASK_USERNAME,
      },
      'enter-code': {
        prompt: (ctx, state) => [line(ctx, `${T}/enter-code`, { sentTo: state.sentTo })],
        options: (ctx) => codeOptions(ctx),
        handle: (ctx, state, input, flow) => enterCode(ctx, flow, state, input),
        back: (_ctx, state) => backToMethods(state),
        resumableUntil: (state) => state.codeExpiresAt,
        expects: EXPECTS_CODE,
      },
      'answer-question': {
        prompt: (ctx, state) => [
          line(ctx, `${T}/question`, {
            question: state.questions[state.answers.length] ?? '',
            index: state.answers.length + 1,
            total: state.questions.length,
          }),
        ],
        options: () => [],
        handle: (ctx, state, input, flow) => answerQuestion(ctx, flow, state, input),
        back: (_ctx, state) => (state.answers.length > 0 ? { ...state, answers: state.answers.slice(0, -1) } : backToMethods(state)),
        secret: true,
        expects: EXPECTS_TEXT,
      },
    },
  });
}

/** Ends the flow with the lead lines and a closing line, as one message. */
function completeWith(lead: (Reply | undefined)[], last: Reply): FlowOutcome {
  return complete(paragraph(...lead, last));
}

import type { RecoveryMethod } from '../../account-core/types.js';
import { maskUsername } from '../../privacy/mask.js';
import type { FlowContext, FlowDefinition, FlowInput, FlowOutcome, FlowSeed, FlowState, Reply } from '../types.js';
import { codeProblemLine, codeProblemOf, readCode } from './code-input.js';
import {
  complete,
  delegate,
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

interface Base extends FlowState {
  flow: 'recover-password';
}

interface WithAccount extends Base {
  username: string;
  /** As the core listed them; targets are already masked. */
  methods: RecoveryMethod[];
}

/** 找回密码: username → method → code, link or security questions → one-time reset link. */
export type RecoverPasswordState =
  | (Base & { step: 'ask-username' })
  | (Base & { step: 'finding-username' })
  | (WithAccount & { step: 'choose-method' })
  | (WithAccount & { step: 'enter-code'; sentTo: string })
  /** `answers` holds the answers given so far, only until the last question is answered. */
  | (WithAccount & { step: 'answer-question'; questions: string[]; answers: string[] });

const STEPS = ['ask-username', 'finding-username', 'choose-method', 'enter-code', 'answer-question'] as const;

type MethodOption = RecoveryMethod['kind'] | 'none';
type CodeOption = 'resend' | 'switch-method';

const ASK_USERNAME: RecoverPasswordState = { flow: 'recover-password', step: 'ask-username' };
const FIND_USERNAME = 'find-username';
// An answer to a security question is short; a longer message or a question is something else.
const MAX_ANSWER_LENGTH = 40;

export function createRecoverPasswordFlow(deps: FlowDeps): FlowDefinition<RecoverPasswordState> {
  const { words } = deps;
  const T = 'recover-password';
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

  function optionsFor(ctx: FlowContext, state: RecoverPasswordState): Option[] {
    switch (state.step) {
      case 'ask-username':
        return findUsernameOption(ctx);
      case 'choose-method':
        return methodOptions(ctx, state.methods);
      case 'enter-code':
        return codeOptions(ctx);
      default:
        return [];
    }
  }

  function prompt(ctx: FlowContext, state: RecoverPasswordState): Reply[] {
    switch (state.step) {
      case 'ask-username':
        return [line(ctx, `${T}/ask-username`)];
      case 'finding-username':
        return [];
      case 'choose-method':
        return [line(ctx, `${T}/methods`, { maskedUsername: maskUsername(state.username) })];
      case 'enter-code':
        return [line(ctx, `${T}/enter-code`, { sentTo: state.sentTo })];
      case 'answer-question':
        return [
          line(ctx, `${T}/question`, {
            question: state.questions[state.answers.length] ?? '',
            index: state.answers.length + 1,
            total: state.questions.length,
          }),
        ];
    }
  }

  function show(ctx: FlowContext, state: RecoverPasswordState, lead: (Reply | undefined)[] = []): FlowOutcome<RecoverPasswordState> {
    return waiting(state, paragraph(...lead, ...prompt(ctx, state)), optionsFor(ctx, state));
  }

  async function lookUpMethods(ctx: FlowContext, username: string, lead: (Reply | undefined)[] = []): Promise<FlowOutcome<RecoverPasswordState>> {
    const masked = maskUsername(username);
    const listed = await ctx.core.getRecoveryMethods({ username });
    if (!listed.ok) {
      switch (listed.error.code) {
        case 'not_registered':
          return waiting(ASK_USERNAME, paragraph(...lead, line(ctx, `${T}/not-registered`, { maskedUsername: masked })), findUsernameOption(ctx));
        case 'account_cancelled':
          return complete(paragraph(...lead, line(ctx, 'common/account-cancelled', { reason: listed.error.details?.reason ?? null })));
        case 'no_recovery_method':
          return complete(paragraph(...lead, line(ctx, `${T}/no-method`, { maskedUsername: masked })));
        default:
          return show(ctx, ASK_USERNAME, [...lead, coreTroubleLine(ctx)]);
      }
    }
    const methods = listed.value.methods;
    if (methods.length === 0) return complete(paragraph(...lead, line(ctx, `${T}/no-method`, { maskedUsername: masked })));
    return show(ctx, { flow: 'recover-password', step: 'choose-method', username, methods }, lead);
  }

  async function askUsername(ctx: FlowContext, input: MessageInput): Promise<FlowOutcome<RecoverPasswordState>> {
    const picked = pickOption(input, findUsernameOption(ctx), words);
    if (picked === FIND_USERNAME || words.saysDontKnow(input.normalized)) {
      return delegate({ flow: 'recover-password', step: 'finding-username' }, [], 'recover-username', { mode: 'for-password' });
    }
    const reading = readUsername(input, ctx.now);
    if (reading.kind === 'found') return lookUpMethods(ctx, reading.username);
    const problem = reading.kind === 'invalid-id' ? idProblemLine(ctx, reading.problem) : line(ctx, `${T}/need-username`);
    return invalid(ASK_USERNAME, paragraph(problem, ...prompt(ctx, ASK_USERNAME)), findUsernameOption(ctx));
  }

  async function useMethod(
    ctx: FlowContext,
    state: Extract<RecoverPasswordState, { step: 'choose-method' }>,
    method: MethodOption,
  ): Promise<FlowOutcome<RecoverPasswordState>> {
    const { username, methods } = state;
    if (method === 'none') return complete([line(ctx, `${T}/no-method`, { unusable: true })]);
    if (method === 'questions') {
      const questions = methods.find((m): m is Extract<RecoveryMethod, { kind: 'questions' }> => m.kind === 'questions')?.questions ?? [];
      return show(ctx, { flow: 'recover-password', step: 'answer-question', username, methods, questions, answers: [] });
    }
    if (method === 'email') {
      const sent = await ctx.core.sendResetEmail({ username });
      if (sent.ok) {
        return complete([
          line(ctx, `${T}/email-sent`, { sentTo: sent.value.sentTo, hours: Math.round(minutesUntil(sent.value.expiresAt, ctx.now) / 60) }),
        ]);
      }
      if (sent.error.code === 'method_unavailable') return show(ctx, state, [line(ctx, `${T}/method-unavailable`)]);
      return show(ctx, state, [codeProblemLine(ctx, codeProblemOf(sent.error), sent.error)]);
    }
    const target = methods.find((m): m is Extract<RecoveryMethod, { kind: 'sms' }> => m.kind === 'sms')?.target ?? '';
    return sendSms(ctx, { flow: 'recover-password', step: 'enter-code', username, methods, sentTo: target }, false, state);
  }

  /** Sends an SMS code; a refused send still leads to the code step, since earlier codes stay valid. */
  async function sendSms(
    ctx: FlowContext,
    next: Extract<RecoverPasswordState, { step: 'enter-code' }>,
    again: boolean,
    fallback: RecoverPasswordState,
  ): Promise<FlowOutcome<RecoverPasswordState>> {
    const sent = await ctx.core.sendSmsCode({ username: next.username, purpose: 'reset-password' });
    if (sent.ok) {
      const state = { ...next, sentTo: sent.value.sentTo };
      return waiting(
        state,
        [line(ctx, `${T}/code-sent`, { sentTo: state.sentTo, hours: Math.round(minutesUntil(sent.value.expiresAt, ctx.now) / 60), again })],
        codeOptions(ctx),
      );
    }
    const problem = codeProblemOf(sent.error);
    if (problem === 'too-soon' || problem === 'daily-limit') return show(ctx, next, [codeProblemLine(ctx, problem, sent.error)]);
    if (sent.error.code === 'method_unavailable') return show(ctx, fallback, [line(ctx, `${T}/method-unavailable`)]);
    return show(ctx, fallback, [coreTroubleLine(ctx)]);
  }

  /** The method choice again, for a user who wants another way. */
  function backToMethods(state: { username: string; methods: RecoveryMethod[] }): RecoverPasswordState {
    return { flow: 'recover-password', step: 'choose-method', username: state.username, methods: state.methods };
  }

  async function enterCode(
    ctx: FlowContext,
    state: Extract<RecoverPasswordState, { step: 'enter-code' }>,
    input: MessageInput,
  ): Promise<FlowOutcome<RecoverPasswordState>> {
    const chooseMethod = backToMethods(state);
    const picked = pickOption(input, codeOptions(ctx), words);
    if (picked === 'switch-method') return show(ctx, chooseMethod);
    if (picked === 'resend' || words.asksResend(input.normalized)) return sendSms(ctx, state, true, state);
    const code = readCode(input);
    if (code === 'malformed') return invalid(state, [codeProblemLine(ctx, 'malformed')], codeOptions(ctx));
    if (!code) return invalid(state, paragraph(line(ctx, `${T}/need-code`), ...prompt(ctx, state)), codeOptions(ctx));
    const verified = await ctx.core.verifySmsCode({ username: state.username, code });
    if (verified.ok) return complete([resetLink(ctx, verified.value.resetToken, verified.value.expiresAt)], { username: state.username });
    const problem = codeProblemOf(verified.error);
    if (problem === 'unavailable' && verified.error.code === 'account_cancelled') {
      return complete([line(ctx, 'common/account-cancelled', { reason: verified.error.details?.reason ?? null })]);
    }
    return waiting(state, [codeProblemLine(ctx, problem, verified.error)], codeOptions(ctx));
  }

  async function answerQuestion(
    ctx: FlowContext,
    state: Extract<RecoverPasswordState, { step: 'answer-question' }>,
    input: MessageInput,
  ): Promise<FlowOutcome<RecoverPasswordState>> {
    const chooseMethod = backToMethods(state);
    const answer = input.text.trim();
    if (words.saysDontKnow(input.normalized)) return show(ctx, chooseMethod, [line(ctx, `${T}/answer-unknown`)]);
    if (answer === '' || answer.length > MAX_ANSWER_LENGTH || /[?？]/.test(answer)) {
      return invalid(state, paragraph(line(ctx, `${T}/answer-unclear`), ...prompt(ctx, state)));
    }
    const answers = [...state.answers, answer];
    if (answers.length < state.questions.length) return show(ctx, { ...state, answers });
    const verified = await ctx.core.verifySecurityAnswers({ username: state.username, answers });
    if (verified.ok) return complete([resetLink(ctx, verified.value.resetToken, verified.value.expiresAt)], { username: state.username });
    const error = verified.error;
    if (error.code === 'answers_wrong') {
      return show(ctx, { ...state, answers: [] }, [
        line(ctx, `${T}/answers-wrong`, { attemptsLeft: error.details?.attemptsLeft ?? null, total: state.questions.length }),
      ]);
    }
    if (error.code === 'attempts_exceeded') return show(ctx, chooseMethod, [line(ctx, `${T}/answers-locked`)]);
    return show(ctx, chooseMethod, [coreTroubleLine(ctx)]);
  }

  function resetLink(ctx: FlowContext, token: string, expiresAt: string): Reply {
    return line(ctx, `${T}/reset-link`, { link: `${ctx.publicUrl}/core/reset/${token}`, minutes: minutesUntil(expiresAt, ctx.now) });
  }

  return {
    name: 'recover-password',

    async start(ctx, seed: FlowSeed) {
      const intro = line(ctx, `${T}/intro`);
      if (typeof seed.username === 'string' && seed.username) return lookUpMethods(ctx, seed.username);
      if (seed.entities) {
        const reading = readUsername({ text: seed.text ?? '', entities: seed.entities }, ctx.now);
        if (reading.kind === 'found') return lookUpMethods(ctx, reading.username, [intro]);
      }
      return show(ctx, ASK_USERNAME, [intro]);
    },

    async handle(ctx, raw, input: FlowInput) {
      const state = knownStep<RecoverPasswordState>(raw, STEPS) ?? ASK_USERNAME;
      if (input.kind === 'resume') {
        const username = input.result?.username;
        if (typeof username === 'string' && username) return lookUpMethods(ctx, username);
        // recover-username already said why there is nothing to recover.
        return complete([]);
      }
      switch (state.step) {
        case 'ask-username':
          return askUsername(ctx, input);
        case 'finding-username':
          return show(ctx, ASK_USERNAME);
        case 'choose-method': {
          const picked = pickOption(input, methodOptions(ctx, state.methods), words);
          if (picked) return useMethod(ctx, state, picked);
          const reading = readUsername(input, ctx.now);
          if (reading.kind === 'found' && reading.username !== state.username) return lookUpMethods(ctx, reading.username);
          return invalid(state, [line(ctx, `${T}/choose`)], methodOptions(ctx, state.methods));
        }
        case 'enter-code':
          return enterCode(ctx, state, input);
        case 'answer-question':
          return answerQuestion(ctx, state, input);
      }
    },

    prompt,

    choices: (ctx, state) => toChoices(optionsFor(ctx, state)),

    secretInput: (_ctx, state) => state.step === 'answer-question',

    back(_ctx, state) {
      switch (state.step) {
        case 'ask-username':
        case 'finding-username':
          return null;
        case 'choose-method':
          return ASK_USERNAME;
        case 'enter-code':
          return { flow: 'recover-password', step: 'choose-method', username: state.username, methods: state.methods };
        case 'answer-question':
          if (state.answers.length > 0) return { ...state, answers: state.answers.slice(0, -1) };
          return { flow: 'recover-password', step: 'choose-method', username: state.username, methods: state.methods };
      }
    },
  };
}

import { z } from 'zod';
import type { CoreError, CoreLimitsView, DuplicateStatus } from '../../account-core/types.js';
import { chinaDateTime } from '../../calendar/china-time.js';
import { checkIdNumber } from '../../domain/id-number.js';
import { detectImageType } from '../../media/image-type.js';
import { maskIdNumber, maskPhone } from '../../privacy/mask.js';
import type { Entities } from '../../text/entities.js';
import type { FlowContext, FlowDefinition, FlowOutcome, Reply, StepExpectation } from '../types.js';
import { accountIn, accountSchema, coreAccount, type AccountHandle } from './account-handle.js';
import {
  complete,
  defineFlow,
  delegate,
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
import { readIdNumber, readName } from './identity-input.js';
import { coreLimits, coreTroubleLine, idProblemLine } from './shared-lines.js';

const FLOW = 'duplicate-id';
const EXPECTS_PHONE: StepExpectation = { entities: ['phone'], freeText: false };

/** A photo received in the chat, kept until both sides are there (base64, as the core takes it). */
const photo = z.object({ name: z.string(), type: z.string(), data: z.string() });
type Photo = z.infer<typeof photo>;
type Side = 'front' | 'back';

const withId = z.object({ idNumber: z.string() });
const withAccount = { account: accountSchema };

/**
 * 证件号码重复: the ID's status, then either recovering the old account or 我要重新注册; after
 * re-registration and binding, photo review, classmate assistance or a progress check.
 * The full ID number is kept only until the account is bound; after that the account is enough.
 */
const states = {
  'ask-id': z.object({}),
  registered: withId,
  'pending-review': withId,
  'confirm-reregister': withId,
  // The one-time link to the core's registration page, fetched once when the user confirms.
  'register-guide': withId.extend({ registerUrl: z.string().nullable().optional() }),
  recovering: z.object({}),
  binding: z.object({}),
  'choose-resolution': z.object(withAccount),
  'upload-photos': z.object({ ...withAccount, front: photo.optional(), back: photo.optional() }),
  'classmate-name': z.object(withAccount),
  'classmate-phone': z.object({ ...withAccount, classmateName: z.string() }),
  'own-phone': z.object({ ...withAccount, classmateName: z.string(), classmatePhone: z.string() }),
};

type State = StateOf<typeof FLOW, typeof states>;
type Step<K extends keyof typeof states> = StepState<typeof FLOW, typeof states, K>;
type Tools = FlowTools<State>;

export interface DuplicateIdOptions {
  /** Hand out a one-time link to the core's registration page in the re-registration guide (default true). */
  registrationLink?: boolean;
}

const ASK_ID: State = { flow: FLOW, step: 'ask-id' };
const menu = (account: AccountHandle): State => ({ flow: FLOW, step: 'choose-resolution', account });

/** An instant as China wall-clock text for templates, or null. */
const chinaText = (iso: string | null | undefined): string | null => (iso ? chinaDateTime(iso).text : null);

export function createDuplicateIdFlow(deps: FlowDeps, options: DuplicateIdOptions = {}): FlowDefinition {
  const { words } = deps;
  const T = FLOW;
  const opts = (ctx: FlowContext, ids: string[]): Option[] => ids.map((id) => ({ id, label: ctx.render(`chat/flows/${T}/choice`, { id }) }));
  const say = (ctx: FlowContext, key: string, vars: Record<string, unknown> = {}) => [line(ctx, `${T}/${key}`, vars)];

  async function lookUpId(ctx: FlowContext, flow: Tools, idNumber: string, lead: (Reply | undefined)[] = []): Promise<FlowOutcome> {
    const status = await ctx.core.getIdStatus({ idNumber });
    if (!status.ok) {
      if (status.error.code === 'invalid_id_number') return flow.show(ASK_ID, [...lead, line(ctx, 'common/id-problem', { problem: 'unknown' })]);
      return flow.show(ASK_ID, [...lead, coreTroubleLine(ctx)]);
    }
    switch (status.value.status) {
      case 'free':
        return complete(paragraph(...lead, line(ctx, `${T}/id-free`, { maskedId: maskIdNumber(idNumber) })));
      case 'registered':
        return flow.show({ flow: FLOW, step: 'registered', idNumber }, lead);
      case 'pending-review':
        return flow.show({ flow: FLOW, step: 'pending-review', idNumber }, lead);
    }
  }

  /** Continues with the account the user registered: bound already, or bind it first. */
  async function proceedToVerification(ctx: FlowContext, flow: Tools): Promise<FlowOutcome> {
    const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId });
    if (binding.ok && binding.value.accountRef !== null) {
      const account = coreAccount(binding.value);
      const status = await ctx.core.getDuplicateStatus({ username: account.ref });
      if (status.ok && status.value.state !== 'none') return resolution(ctx, flow, account, status.value);
    }
    return delegate({ flow: FLOW, step: 'binding' }, [line(ctx, `${T}/binding-needed`)], 'bind-account', { fresh: true });
  }

  async function afterBinding(ctx: FlowContext, flow: Tools, account: AccountHandle): Promise<FlowOutcome> {
    const status = await ctx.core.getDuplicateStatus({ username: account.ref });
    if (!status.ok) return complete([accountTrouble(ctx, status.error)]);
    return resolution(ctx, flow, account, status.value);
  }

  /** Where the bound account's conflict stands, and what can be done about it. */
  async function resolution(ctx: FlowContext, flow: Tools, account: AccountHandle, status: DuplicateStatus): Promise<FlowOutcome> {
    if (status.state === 'unresolved' && !status.latestReview) return flow.show(menu(account));
    const progress = progressLine(ctx, account, status, await coreLimits(ctx));
    if (status.state === 'unresolved' || status.state === 'rejected') return flow.show(menu(account), [progress]);
    return complete([progress]);
  }

  function progressLine(ctx: FlowContext, account: AccountHandle, status: DuplicateStatus, limits: CoreLimitsView | null): Reply {
    const review = status.latestReview;
    return line(ctx, `${T}/progress`, {
      state: status.state,
      maskedUsername: account.masked,
      reason: review?.reason ?? null,
      submittedAt: chinaText(review?.createdAt),
      dueAt: chinaText(review?.dueAt),
      leftToday: status.uploadsLeftToday,
      leftTotal: status.uploadsLeftTotal,
      reviewWorkingDays: limits?.reviewWorkingDays ?? null,
    });
  }

  function accountTrouble(ctx: FlowContext, error: CoreError): Reply {
    if (error.code === 'account_cancelled') return line(ctx, 'common/account-cancelled', { reason: error.details?.reason ?? null });
    return coreTroubleLine(ctx);
  }

  async function chooseResolution(ctx: FlowContext, flow: Tools, state: Step<'choose-resolution'>, input: MessageInput): Promise<FlowOutcome> {
    const picked = pickOption(input, flow.options(state), words);
    const limits = picked ? await coreLimits(ctx) : null;
    if (picked === 'classmate') {
      return flow.show({ flow: FLOW, step: 'classmate-name', account: state.account }, [
        line(ctx, `${T}/classmate-intro`, { assistsPerDay: limits?.assistsPerDay ?? null }),
      ]);
    }
    if (picked !== 'photo' && picked !== 'progress') return flow.retry(state, [line(ctx, `${T}/choose`)]);
    const status = await ctx.core.getDuplicateStatus({ username: state.account.ref });
    if (!status.ok) return complete([accountTrouble(ctx, status.error)]);
    if (picked === 'progress') {
      const progress = progressLine(ctx, state.account, status.value, limits);
      if (status.value.state === 'unresolved' || status.value.state === 'rejected') return flow.show(state, [progress]);
      return complete([progress]);
    }
    if (status.value.state === 'none' || status.value.state === 'resolved' || status.value.state === 'pending') {
      return complete([progressLine(ctx, state.account, status.value, limits)]);
    }
    if (status.value.uploadsLeftTotal === 0)
      return flow.show(state, [line(ctx, `${T}/upload-limit`, { kind: 'total', limit: limits?.uploadsTotal ?? null })]);
    if (status.value.uploadsLeftToday === 0)
      return flow.show(state, [line(ctx, `${T}/upload-limit`, { kind: 'daily', limit: limits?.uploadsPerDay ?? null })]);
    return flow.show({ flow: FLOW, step: 'upload-photos', account: state.account }, [
      line(ctx, `${T}/photo-requirements`, {
        leftToday: status.value.uploadsLeftToday,
        leftTotal: status.value.uploadsLeftTotal,
        maxKb: limits?.photoMaxKb ?? null,
      }),
    ]);
  }

  async function receivePhoto(ctx: FlowContext, flow: Tools, state: Step<'upload-photos'>, input: MessageInput): Promise<FlowOutcome> {
    const side = missingSide(state);
    if (!input.image) return flow.retry(state, [line(ctx, `${T}/need-photo`, { side })]);
    // Format and size are checked at once, with the core's own rules, so the user is not asked
    // for the back of a PDF and no oversized photo is kept; the core checks again on submission.
    if (!(await detectImageType(input.image.data))) return flow.retry(state, [line(ctx, `${T}/image-problem`, { problem: 'type', side })]);
    const maxKb = (await coreLimits(ctx))?.photoMaxKb;
    if (maxKb !== undefined && input.image.data.length > maxKb * 1024) {
      return flow.retry(state, [
        line(ctx, `${T}/image-problem`, { problem: 'size', side, sizeKb: Math.ceil(input.image.data.length / 1024), maxKb }),
      ]);
    }
    const received: Photo = { name: input.image.name, type: input.image.type, data: input.image.data.toString('base64') };
    const next: Step<'upload-photos'> = { ...state, [side]: received };
    if (!next.front || !next.back) return flow.show(next, [line(ctx, `${T}/photo-received`, { side })]);
    return submitPhotos(ctx, flow, next, next.front, next.back);
  }

  async function submitPhotos(ctx: FlowContext, flow: Tools, state: Step<'upload-photos'>, front: Photo, back: Photo): Promise<FlowOutcome> {
    const submitted = await ctx.core.submitPhotoReview({ username: state.account.ref, front, back });
    const limits = await coreLimits(ctx);
    if (submitted.ok) {
      await ctx.helpdesk?.reviewSubmitted?.({ reviewId: submitted.value.id, channel: ctx.channel, userId: ctx.userId });
      return complete([
        line(ctx, `${T}/photos-submitted`, {
          dueAt: chinaText(submitted.value.dueAt),
          submittedAt: chinaText(submitted.value.createdAt),
          reviewWorkingDays: limits?.reviewWorkingDays ?? null,
        }),
      ]);
    }
    const error = submitted.error;
    const side: Side = error.details?.side === 'back' ? 'back' : 'front';
    const without = (drop: Side): Step<'upload-photos'> => {
      const { [drop]: _dropped, ...kept } = state;
      return kept;
    };
    const figure = (value: unknown, fallback: number | undefined) => (typeof value === 'number' ? value : (fallback ?? null));
    switch (error.code) {
      case 'image_type':
        return flow.retry(without(side), [line(ctx, `${T}/image-problem`, { problem: 'type', side })]);
      case 'image_too_large':
        return flow.retry(without(side), [
          line(ctx, `${T}/image-problem`, {
            problem: 'size',
            side,
            sizeKb: error.details?.sizeKb ?? null,
            maxKb: figure(error.details?.maxKb, limits?.photoMaxKb),
          }),
        ]);
      case 'upload_daily_limit':
        return flow.show(menu(state.account), [
          line(ctx, `${T}/upload-limit`, { kind: 'daily', limit: figure(error.details?.limit, limits?.uploadsPerDay) }),
        ]);
      case 'upload_total_limit':
        return flow.show(menu(state.account), [
          line(ctx, `${T}/upload-limit`, { kind: 'total', limit: figure(error.details?.limit, limits?.uploadsTotal) }),
        ]);
      case 'review_pending': {
        const dueAt = typeof error.details?.dueAt === 'string' ? error.details.dueAt : null;
        return complete([
          line(ctx, `${T}/progress`, { state: 'pending', dueAt: chinaText(dueAt), reviewWorkingDays: limits?.reviewWorkingDays ?? null }),
        ]);
      }
      case 'no_conflict':
        return complete([line(ctx, `${T}/no-conflict`, { maskedUsername: state.account.masked })]);
      default:
        return flow.show(state, [accountTrouble(ctx, error)]);
    }
  }

  async function requestAssist(ctx: FlowContext, flow: Tools, state: Step<'own-phone'>, ownPhone: string): Promise<FlowOutcome> {
    const { account, classmateName, classmatePhone } = state;
    const sent = await ctx.core.requestClassmateAssist({ username: account.ref, classmateName, classmatePhone, ownPhone });
    const askName: State = { flow: FLOW, step: 'classmate-name', account };
    const askPhone: State = { flow: FLOW, step: 'classmate-phone', account, classmateName };
    if (sent.ok) return complete([line(ctx, `${T}/assist-sent`, { classmateName, maskedClassmatePhone: maskPhone(classmatePhone) })]);
    const error = sent.error;
    const limit = typeof error.details?.limit === 'number' ? error.details.limit : ((await coreLimits(ctx))?.assistsPerDay ?? null);
    const problem = (kind: string) =>
      line(ctx, `${T}/assist-problem`, { kind, classmateName, maskedClassmatePhone: maskPhone(classmatePhone), limit });
    switch (error.code) {
      case 'classmate_not_found':
        return flow.show(askPhone, [problem('not-found')]);
      case 'classmate_name_mismatch':
        return flow.show(askName, [problem('name-mismatch')]);
      case 'classmate_not_bound':
        return flow.show(askName, [problem('not-bound')]);
      case 'assist_daily_limit':
        return flow.show(menu(account), [problem('daily-limit')]);
      case 'invalid_input':
        if (error.details?.field === 'ownPhone') return flow.show(state, [problem('own-phone')]);
        return flow.show(askPhone, [problem('classmate-phone')]);
      case 'no_conflict':
        return complete([line(ctx, `${T}/no-conflict`, { maskedUsername: account.masked })]);
      default:
        return flow.show(state, [accountTrouble(ctx, error)]);
    }
  }

  function recoverOldAccount(ctx: FlowContext, idNumber: string): FlowOutcome {
    const entities: Entities = {
      idNumbers: [{ value: idNumber, check: checkIdNumber(idNumber, 'resident-id', ctx.now) }],
      phones: [],
      emails: [],
      codes: [],
    };
    return delegate({ flow: FLOW, step: 'recovering' }, [], 'recover-username', { entities, text: '' });
  }

  // recover-username (and recover-password after it) close the matter themselves.
  const closedByChild = () => complete([]);

  return defineFlow(FLOW, {
    states,
    startsFrom: ['idNumber'],
    acceptsImages: true,

    async start(ctx, seed, flow) {
      const intro = line(ctx, `${T}/intro`);
      const id = seed.entities ? readIdNumber({ text: seed.text ?? '', entities: seed.entities }, ctx.now) : { kind: 'none' as const };
      if (id.kind === 'valid') return lookUpId(ctx, flow, id.value);
      if (id.kind === 'invalid') return flow.show(ASK_ID, [intro, idProblemLine(ctx, id.problem)]);
      const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId });
      if (binding.ok && binding.value.accountRef !== null) {
        const account = coreAccount(binding.value);
        const status = await ctx.core.getDuplicateStatus({ username: account.ref });
        // Someone who already re-registered and bound the account comes straight to the resolution.
        if (status.ok && status.value.state !== 'none') return resolution(ctx, flow, account, status.value);
      }
      return flow.show(ASK_ID, [intro]);
    },

    steps: {
      'ask-id': {
        prompt: (ctx) => say(ctx, 'ask-id'),
        options: (ctx) => opts(ctx, ['continue-verification']),
        handle(ctx, state, input, flow) {
          const id = readIdNumber(input, ctx.now);
          if (id.kind === 'valid') return lookUpId(ctx, flow, id.value);
          if (id.kind === 'invalid') return flow.retry(state, [idProblemLine(ctx, id.problem)]);
          if (pickOption(input, flow.options(state), words) === 'continue-verification' || words.saysRegistered(input.normalized)) {
            return proceedToVerification(ctx, flow);
          }
          return flow.retry(state, [line(ctx, `${T}/need-id`)]);
        },
        back: () => null,
        expects: { entities: ['idNumber'], freeText: false },
      },
      registered: {
        prompt: (ctx, state) => say(ctx, 'registered', { maskedId: maskIdNumber(state.idNumber) }),
        options: (ctx) => opts(ctx, ['mine', 'not-mine']),
        handle(ctx, state, input, flow) {
          const picked = pickOption(input, flow.options(state), words);
          if (picked === 'mine') return recoverOldAccount(ctx, state.idNumber);
          if (picked === 'not-mine') return flow.show({ flow: FLOW, step: 'confirm-reregister', idNumber: state.idNumber });
          return flow.retry(state, [line(ctx, `${T}/choose`)]);
        },
        back: () => ASK_ID,
      },
      'pending-review': {
        prompt: (ctx, state) => say(ctx, 'pending-review', { maskedId: maskIdNumber(state.idNumber) }),
        options: (ctx) => opts(ctx, ['continue-verification', 'mine']),
        handle(ctx, state, input, flow) {
          const picked = pickOption(input, flow.options(state), words);
          if (picked === 'mine') return recoverOldAccount(ctx, state.idNumber);
          if (picked === 'continue-verification' || words.saysRegistered(input.normalized)) return proceedToVerification(ctx, flow);
          return flow.retry(state, [line(ctx, `${T}/choose`)]);
        },
        back: () => ASK_ID,
      },
      'confirm-reregister': {
        prompt: (ctx, state) => say(ctx, 'confirm-reregister', { maskedId: maskIdNumber(state.idNumber) }),
        options: (ctx) => opts(ctx, ['confirm', 'reconsider']),
        async handle(ctx, state, input, flow) {
          const picked = pickOption(input, flow.options(state), words, { yes: 'confirm', no: 'reconsider' });
          if (picked === 'confirm') {
            // The registration page opens only with a one-time link the core issues.
            const link = options.registrationLink === false ? undefined : await ctx.core.createRegistrationLink({});
            return flow.show({ flow: FLOW, step: 'register-guide', idNumber: state.idNumber, registerUrl: link?.ok ? link.value.url : null });
          }
          if (picked === 'reconsider')
            return flow.show({ flow: FLOW, step: 'registered', idNumber: state.idNumber }, [line(ctx, `${T}/reconsidered`)]);
          return flow.retry(state, [line(ctx, `${T}/confirm-needed`)]);
        },
        back: (_ctx, state) => ({ flow: FLOW, step: 'registered', idNumber: state.idNumber }),
      },
      'register-guide': {
        prompt: (ctx, state) => say(ctx, 'register-guide', { maskedId: maskIdNumber(state.idNumber), registerUrl: state.registerUrl ?? null }),
        options: (ctx) => opts(ctx, ['continue-verification']),
        handle(ctx, state, input, flow) {
          const picked = pickOption(input, flow.options(state), words, { yes: 'continue-verification' });
          if (picked === 'continue-verification' || words.saysRegistered(input.normalized)) return proceedToVerification(ctx, flow);
          return flow.retry(state, [line(ctx, `${T}/waiting-registration`)]);
        },
        back: (_ctx, state) => ({ flow: FLOW, step: 'confirm-reregister', idNumber: state.idNumber }),
      },
      recovering: {
        prompt: () => [],
        options: () => [],
        handle: (_ctx, state, _input, flow) => flow.show(state),
        back: () => null,
        resume: closedByChild,
      },
      binding: {
        prompt: () => [],
        options: () => [],
        handle: (_ctx, state, _input, flow) => flow.show(state),
        back: () => null,
        resume(ctx, _state, result, flow) {
          const account = accountIn(result);
          if (account) return afterBinding(ctx, flow, account);
          return complete([line(ctx, `${T}/binding-not-done`)]);
        },
      },
      'choose-resolution': {
        prompt: (ctx, state) => say(ctx, 'choose-resolution', { maskedUsername: state.account.masked }),
        options: (ctx) => opts(ctx, ['photo', 'classmate', 'progress']),
        handle: (ctx, state, input, flow) => chooseResolution(ctx, flow, state, input),
        back: () => null,
      },
      'upload-photos': {
        prompt: (ctx, state) => say(ctx, 'ask-photo', { side: missingSide(state), first: !state.front && !state.back }),
        options: () => [],
        handle: (ctx, state, input, flow) => receivePhoto(ctx, flow, state, input),
        back: (_ctx, state) => (state.front && !state.back ? { flow: FLOW, step: 'upload-photos', account: state.account } : menu(state.account)),
      },
      'classmate-name': {
        prompt: (ctx) => say(ctx, 'ask-classmate-name'),
        options: () => [],
        handle(ctx, state, input, flow) {
          const classmateName = readName(input.text, words);
          if (!classmateName) return flow.retry(state, [line(ctx, `${T}/need-name`)]);
          return flow.show({ flow: FLOW, step: 'classmate-phone', account: state.account, classmateName });
        },
        back: (_ctx, state) => menu(state.account),
      },
      'classmate-phone': {
        prompt: (ctx, state) => say(ctx, 'ask-classmate-phone', { classmateName: state.classmateName }),
        options: () => [],
        handle(ctx, state, input, flow) {
          const phone = input.entities.phones[0];
          if (!phone) return flow.retry(state, [line(ctx, `${T}/need-phone`)]);
          return flow.show({ flow: FLOW, step: 'own-phone', account: state.account, classmateName: state.classmateName, classmatePhone: phone });
        },
        back: (_ctx, state) => ({ flow: FLOW, step: 'classmate-name', account: state.account }),
        expects: EXPECTS_PHONE,
      },
      'own-phone': {
        prompt: (ctx) => say(ctx, 'ask-own-phone'),
        options: () => [],
        handle(ctx, state, input, flow) {
          const phone = input.entities.phones[0];
          if (!phone) return flow.retry(state, [line(ctx, `${T}/need-phone`)]);
          return requestAssist(ctx, flow, state, phone);
        },
        back: (_ctx, state) => ({ flow: FLOW, step: 'classmate-phone', account: state.account, classmateName: state.classmateName }),
        expects: EXPECTS_PHONE,
      },
    },
  });
}

function missingSide(state: { front?: Photo; back?: Photo }): Side {
  return state.front ? 'back' : 'front';
}

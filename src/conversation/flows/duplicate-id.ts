import { CORE_LIMITS } from '../../account-core/limits.js';
import type { CoreError, DuplicateStatus, ImageUpload } from '../../account-core/types.js';
import { checkIdNumber } from '../../domain/id-number.js';
import { detectImageType } from '../../media/image-type.js';
import { maskIdNumber, maskPhone, maskUsername } from '../../privacy/mask.js';
import type { Entities } from '../../text/entities.js';
import type { FlowContext, FlowDefinition, FlowInput, FlowOutcome, FlowSeed, FlowState, Reply } from '../types.js';
import {
  chinaTime,
  complete,
  delegate,
  invalid,
  knownStep,
  line,
  paragraph,
  pickOption,
  toChoices,
  waiting,
  type FlowDeps,
  type MessageInput,
  type Option,
} from './flow-kit.js';
import { readIdNumber, readName } from './identity-input.js';
import { coreTroubleLine, idProblemLine } from './shared-lines.js';

interface Base extends FlowState {
  flow: 'duplicate-id';
}

/** A photo received in the chat, kept until both sides are there (base64, as the core takes it). */
type Photo = ImageUpload;
type Side = 'front' | 'back';

/**
 * 证件号码重复: the ID's status, then either recovering the old account or 我要重新注册; after
 * re-registration and binding, photo review, classmate assistance or a progress check.
 * The full ID number is kept only until the account is bound; after that the username is enough.
 */
export type DuplicateIdState =
  | (Base & { step: 'ask-id' })
  | (Base & { step: 'registered'; idNumber: string })
  | (Base & { step: 'pending-review'; idNumber: string })
  | (Base & { step: 'confirm-reregister'; idNumber: string })
  | (Base & { step: 'register-guide'; idNumber: string })
  | (Base & { step: 'recovering' })
  | (Base & { step: 'binding' })
  | (Base & { step: 'choose-resolution'; username: string })
  | (Base & { step: 'upload-photos'; username: string; front?: Photo; back?: Photo })
  | (Base & { step: 'classmate-name'; username: string })
  | (Base & { step: 'classmate-phone'; username: string; classmateName: string })
  | (Base & { step: 'own-phone'; username: string; classmateName: string; classmatePhone: string });

const STEPS = [
  'ask-id',
  'registered',
  'pending-review',
  'confirm-reregister',
  'register-guide',
  'recovering',
  'binding',
  'choose-resolution',
  'upload-photos',
  'classmate-name',
  'classmate-phone',
  'own-phone',
] as const;

type Step<K extends DuplicateIdState['step']> = Extract<DuplicateIdState, { step: K }>;

export interface DuplicateIdOptions {
  /** Where new accounts register (the core's page), shown in the re-registration guide. */
  registerUrl?: (publicUrl: string) => string;
}

const ASK_ID: DuplicateIdState = { flow: 'duplicate-id', step: 'ask-id' };

export function createDuplicateIdFlow(deps: FlowDeps, options: DuplicateIdOptions = {}): FlowDefinition<DuplicateIdState> {
  const { words } = deps;
  const T = 'duplicate-id';
  const label = (ctx: FlowContext, id: string) => ctx.render(`chat/flows/${T}/choice`, { id });
  const opts = (ctx: FlowContext, ids: string[]): Option[] => ids.map((id) => ({ id, label: label(ctx, id) }));
  const menu = (username: string): DuplicateIdState => ({ flow: 'duplicate-id', step: 'choose-resolution', username });

  function optionsFor(ctx: FlowContext, state: DuplicateIdState): Option[] {
    switch (state.step) {
      case 'ask-id':
        return opts(ctx, ['continue-verification']);
      case 'registered':
        return opts(ctx, ['mine', 'not-mine']);
      case 'pending-review':
        return opts(ctx, ['continue-verification', 'mine']);
      case 'confirm-reregister':
        return opts(ctx, ['confirm', 'reconsider']);
      case 'register-guide':
        return opts(ctx, ['continue-verification']);
      case 'choose-resolution':
        return opts(ctx, ['photo', 'classmate', 'progress']);
      default:
        return [];
    }
  }

  function prompt(ctx: FlowContext, state: DuplicateIdState): Reply[] {
    const say = (key: string, vars: Record<string, unknown> = {}) => [line(ctx, `${T}/${key}`, vars)];
    switch (state.step) {
      case 'ask-id':
        return say('ask-id');
      case 'registered':
        return say('registered', { maskedId: maskIdNumber(state.idNumber) });
      case 'pending-review':
        return say('pending-review', { maskedId: maskIdNumber(state.idNumber) });
      case 'confirm-reregister':
        return say('confirm-reregister', { maskedId: maskIdNumber(state.idNumber) });
      case 'register-guide':
        return say('register-guide', { maskedId: maskIdNumber(state.idNumber), registerUrl: options.registerUrl?.(ctx.publicUrl) ?? null });
      case 'choose-resolution':
        return say('choose-resolution', { maskedUsername: maskUsername(state.username) });
      case 'upload-photos':
        return say('ask-photo', { side: missingSide(state), first: !state.front && !state.back });
      case 'classmate-name':
        return say('ask-classmate-name');
      case 'classmate-phone':
        return say('ask-classmate-phone', { classmateName: state.classmateName });
      case 'own-phone':
        return say('ask-own-phone');
      case 'recovering':
      case 'binding':
        return [];
    }
  }

  function show(ctx: FlowContext, state: DuplicateIdState, lead: (Reply | undefined)[] = []): FlowOutcome<DuplicateIdState> {
    return waiting(state, paragraph(...lead, ...prompt(ctx, state)), optionsFor(ctx, state));
  }

  function retry(ctx: FlowContext, state: DuplicateIdState, lead: (Reply | undefined)[]): FlowOutcome<DuplicateIdState> {
    return invalid(state, paragraph(...lead, ...prompt(ctx, state)), optionsFor(ctx, state));
  }

  async function lookUpId(ctx: FlowContext, idNumber: string, lead: (Reply | undefined)[] = []): Promise<FlowOutcome<DuplicateIdState>> {
    const status = await ctx.core.getIdStatus({ idNumber });
    if (!status.ok) {
      if (status.error.code === 'invalid_id_number') return show(ctx, ASK_ID, [...lead, line(ctx, 'common/id-problem', { problem: 'unknown' })]);
      return show(ctx, ASK_ID, [...lead, coreTroubleLine(ctx)]);
    }
    switch (status.value.status) {
      case 'free':
        return complete(paragraph(...lead, line(ctx, `${T}/id-free`, { maskedId: maskIdNumber(idNumber) })));
      case 'registered':
        return show(ctx, { flow: 'duplicate-id', step: 'registered', idNumber }, lead);
      case 'pending-review':
        return show(ctx, { flow: 'duplicate-id', step: 'pending-review', idNumber }, lead);
    }
  }

  /** Continues with the account the user registered: bound already, or bind it first. */
  async function proceedToVerification(ctx: FlowContext): Promise<FlowOutcome<DuplicateIdState>> {
    const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId });
    const username = binding.ok ? binding.value.username : null;
    if (username) {
      const status = await ctx.core.getDuplicateStatus({ username });
      if (status.ok && status.value.state !== 'none') return resolution(ctx, username, status.value);
    }
    return delegate({ flow: 'duplicate-id', step: 'binding' }, [line(ctx, `${T}/binding-needed`)], 'bind-account', { fresh: true });
  }

  async function afterBinding(ctx: FlowContext, username: string, lead: (Reply | undefined)[] = []): Promise<FlowOutcome<DuplicateIdState>> {
    const status = await ctx.core.getDuplicateStatus({ username });
    if (!status.ok) return complete(paragraph(...lead, accountTrouble(ctx, status.error)));
    return resolution(ctx, username, status.value, lead);
  }

  /** Where the bound account's conflict stands, and what can be done about it. */
  function resolution(ctx: FlowContext, username: string, status: DuplicateStatus, lead: (Reply | undefined)[] = []): FlowOutcome<DuplicateIdState> {
    const progress = progressLine(ctx, username, status);
    if (status.state === 'unresolved' && !status.latestReview) return show(ctx, menu(username), lead);
    if (status.state === 'unresolved' || status.state === 'rejected') return show(ctx, menu(username), [...lead, progress]);
    return complete(paragraph(...lead, progress));
  }

  function progressLine(ctx: FlowContext, username: string, status: DuplicateStatus): Reply {
    const review = status.latestReview;
    return line(ctx, `${T}/progress`, {
      state: status.state,
      maskedUsername: maskUsername(username),
      reason: review?.reason ?? null,
      submittedAt: chinaTime(review?.createdAt),
      dueAt: chinaTime(review?.dueAt),
      leftToday: status.uploadsLeftToday,
      leftTotal: status.uploadsLeftTotal,
    });
  }

  function accountTrouble(ctx: FlowContext, error: CoreError): Reply {
    if (error.code === 'account_cancelled') return line(ctx, 'common/account-cancelled', { reason: error.details?.reason ?? null });
    return coreTroubleLine(ctx);
  }

  async function chooseResolution(ctx: FlowContext, state: Step<'choose-resolution'>, input: MessageInput): Promise<FlowOutcome<DuplicateIdState>> {
    const picked = pickOption(input, optionsFor(ctx, state), words);
    if (picked === 'classmate')
      return show(ctx, { flow: 'duplicate-id', step: 'classmate-name', username: state.username }, [line(ctx, `${T}/classmate-intro`)]);
    if (picked !== 'photo' && picked !== 'progress') return retry(ctx, state, [line(ctx, `${T}/choose`)]);
    const status = await ctx.core.getDuplicateStatus({ username: state.username });
    if (!status.ok) return complete([accountTrouble(ctx, status.error)]);
    if (picked === 'progress') {
      const progress = progressLine(ctx, state.username, status.value);
      if (status.value.state === 'unresolved' || status.value.state === 'rejected') return show(ctx, state, [progress]);
      return complete([progress]);
    }
    if (status.value.state === 'none' || status.value.state === 'resolved' || status.value.state === 'pending') {
      return complete([progressLine(ctx, state.username, status.value)]);
    }
    if (status.value.uploadsLeftTotal === 0) return show(ctx, state, [line(ctx, `${T}/upload-limit`, { kind: 'total' })]);
    if (status.value.uploadsLeftToday === 0) return show(ctx, state, [line(ctx, `${T}/upload-limit`, { kind: 'daily' })]);
    return show(ctx, { flow: 'duplicate-id', step: 'upload-photos', username: state.username }, [
      line(ctx, `${T}/photo-requirements`, { leftToday: status.value.uploadsLeftToday, leftTotal: status.value.uploadsLeftTotal }),
    ]);
  }

  async function receivePhoto(ctx: FlowContext, state: Step<'upload-photos'>, input: MessageInput): Promise<FlowOutcome<DuplicateIdState>> {
    const side = missingSide(state);
    if (!input.image) return retry(ctx, state, [line(ctx, `${T}/need-photo`, { side })]);
    // Format and size are checked at once, with the core's own rules, so the user is not asked
    // for the back of a PDF and no oversized photo is kept; the core checks again on submission.
    if (!(await detectImageType(input.image.data))) return retry(ctx, state, [line(ctx, `${T}/image-problem`, { problem: 'type', side })]);
    if (input.image.data.length > CORE_LIMITS.photoMaxBytes) {
      const sizes = { sizeKb: Math.ceil(input.image.data.length / 1024), maxKb: CORE_LIMITS.photoMaxBytes / 1024 };
      return retry(ctx, state, [line(ctx, `${T}/image-problem`, { problem: 'size', side, ...sizes })]);
    }
    const photo: Photo = { name: input.image.name, type: input.image.type, data: input.image.data.toString('base64') };
    const next: Step<'upload-photos'> = { ...state, [side]: photo };
    if (!next.front || !next.back) return show(ctx, next, [line(ctx, `${T}/photo-received`, { side })]);
    return submitPhotos(ctx, next, next.front, next.back);
  }

  async function submitPhotos(ctx: FlowContext, state: Step<'upload-photos'>, front: Photo, back: Photo): Promise<FlowOutcome<DuplicateIdState>> {
    const submitted = await ctx.core.submitPhotoReview({ username: state.username, front, back });
    if (submitted.ok) {
      return complete([
        line(ctx, `${T}/photos-submitted`, { dueAt: chinaTime(submitted.value.dueAt), submittedAt: chinaTime(submitted.value.createdAt) }),
      ]);
    }
    const error = submitted.error;
    const side: Side = error.details?.side === 'back' ? 'back' : 'front';
    const without = (drop: Side): Step<'upload-photos'> => {
      const { [drop]: _dropped, ...kept } = state;
      return kept;
    };
    switch (error.code) {
      case 'image_type':
        return retry(ctx, without(side), [line(ctx, `${T}/image-problem`, { problem: 'type', side })]);
      case 'image_too_large':
        return retry(ctx, without(side), [
          line(ctx, `${T}/image-problem`, { problem: 'size', side, sizeKb: error.details?.sizeKb ?? null, maxKb: error.details?.maxKb ?? 300 }),
        ]);
      case 'upload_daily_limit':
        return show(ctx, menu(state.username), [line(ctx, `${T}/upload-limit`, { kind: 'daily', limit: error.details?.limit ?? null })]);
      case 'upload_total_limit':
        return show(ctx, menu(state.username), [line(ctx, `${T}/upload-limit`, { kind: 'total', limit: error.details?.limit ?? null })]);
      case 'review_pending':
        return complete([
          line(ctx, `${T}/progress`, { state: 'pending', dueAt: chinaTime(typeof error.details?.dueAt === 'string' ? error.details.dueAt : null) }),
        ]);
      case 'no_conflict':
        return complete([line(ctx, `${T}/no-conflict`, { maskedUsername: maskUsername(state.username) })]);
      default:
        return show(ctx, state, [accountTrouble(ctx, error)]);
    }
  }

  async function requestAssist(ctx: FlowContext, state: Step<'own-phone'>, ownPhone: string): Promise<FlowOutcome<DuplicateIdState>> {
    const { username, classmateName, classmatePhone } = state;
    const sent = await ctx.core.requestClassmateAssist({ username, classmateName, classmatePhone, ownPhone });
    const askName: DuplicateIdState = { flow: 'duplicate-id', step: 'classmate-name', username };
    const askPhone: DuplicateIdState = { flow: 'duplicate-id', step: 'classmate-phone', username, classmateName };
    if (sent.ok) return complete([line(ctx, `${T}/assist-sent`, { classmateName, maskedClassmatePhone: maskPhone(classmatePhone) })]);
    const error = sent.error;
    const problem = (kind: string) =>
      line(ctx, `${T}/assist-problem`, { kind, classmateName, maskedClassmatePhone: maskPhone(classmatePhone), limit: error.details?.limit ?? null });
    switch (error.code) {
      case 'classmate_not_found':
        return show(ctx, askPhone, [problem('not-found')]);
      case 'classmate_name_mismatch':
        return show(ctx, askName, [problem('name-mismatch')]);
      case 'classmate_not_bound':
        return show(ctx, askName, [problem('not-bound')]);
      case 'assist_daily_limit':
        return show(ctx, menu(username), [problem('daily-limit')]);
      case 'invalid_input':
        if (error.details?.field === 'ownPhone') return show(ctx, state, [problem('own-phone')]);
        return show(ctx, askPhone, [problem('classmate-phone')]);
      case 'no_conflict':
        return complete([line(ctx, `${T}/no-conflict`, { maskedUsername: maskUsername(username) })]);
      default:
        return show(ctx, state, [accountTrouble(ctx, error)]);
    }
  }

  async function handleMessage(ctx: FlowContext, state: DuplicateIdState, input: MessageInput): Promise<FlowOutcome<DuplicateIdState>> {
    switch (state.step) {
      case 'ask-id': {
        const id = readIdNumber(input, ctx.now);
        if (id.kind === 'valid') return lookUpId(ctx, id.value);
        if (id.kind === 'invalid') return retry(ctx, state, [idProblemLine(ctx, id.problem)]);
        if (pickOption(input, optionsFor(ctx, state), words) === 'continue-verification' || words.saysRegistered(input.normalized)) {
          return proceedToVerification(ctx);
        }
        return retry(ctx, state, [line(ctx, `${T}/need-id`)]);
      }
      case 'registered': {
        const picked = pickOption(input, optionsFor(ctx, state), words);
        if (picked === 'mine') return recoverOldAccount(ctx, state.idNumber);
        if (picked === 'not-mine') return show(ctx, { flow: 'duplicate-id', step: 'confirm-reregister', idNumber: state.idNumber });
        return retry(ctx, state, [line(ctx, `${T}/choose`)]);
      }
      case 'pending-review': {
        const picked = pickOption(input, optionsFor(ctx, state), words);
        if (picked === 'mine') return recoverOldAccount(ctx, state.idNumber);
        if (picked === 'continue-verification' || words.saysRegistered(input.normalized)) return proceedToVerification(ctx);
        return retry(ctx, state, [line(ctx, `${T}/choose`)]);
      }
      case 'confirm-reregister': {
        const picked = pickOption(input, optionsFor(ctx, state), words, { yes: 'confirm', no: 'reconsider' });
        if (picked === 'confirm') return show(ctx, { flow: 'duplicate-id', step: 'register-guide', idNumber: state.idNumber });
        if (picked === 'reconsider')
          return show(ctx, { flow: 'duplicate-id', step: 'registered', idNumber: state.idNumber }, [line(ctx, `${T}/reconsidered`)]);
        return retry(ctx, state, [line(ctx, `${T}/confirm-needed`)]);
      }
      case 'register-guide': {
        const picked = pickOption(input, optionsFor(ctx, state), words, { yes: 'continue-verification' });
        if (picked === 'continue-verification' || words.saysRegistered(input.normalized)) return proceedToVerification(ctx);
        return retry(ctx, state, [line(ctx, `${T}/waiting-registration`)]);
      }
      case 'choose-resolution':
        return chooseResolution(ctx, state, input);
      case 'upload-photos':
        return receivePhoto(ctx, state, input);
      case 'classmate-name': {
        const classmateName = readName(input.text, words);
        if (!classmateName) return retry(ctx, state, [line(ctx, `${T}/need-name`)]);
        return show(ctx, { flow: 'duplicate-id', step: 'classmate-phone', username: state.username, classmateName });
      }
      case 'classmate-phone': {
        const phone = input.entities.phones[0];
        if (!phone) return retry(ctx, state, [line(ctx, `${T}/need-phone`)]);
        return show(ctx, {
          flow: 'duplicate-id',
          step: 'own-phone',
          username: state.username,
          classmateName: state.classmateName,
          classmatePhone: phone,
        });
      }
      case 'own-phone': {
        const phone = input.entities.phones[0];
        if (!phone) return retry(ctx, state, [line(ctx, `${T}/need-phone`)]);
        return requestAssist(ctx, state, phone);
      }
      case 'recovering':
      case 'binding':
        return show(ctx, state);
    }
  }

  function recoverOldAccount(ctx: FlowContext, idNumber: string): FlowOutcome<DuplicateIdState> {
    const entities: Entities = {
      idNumbers: [{ value: idNumber, check: checkIdNumber(idNumber, 'resident-id', ctx.now) }],
      phones: [],
      emails: [],
      codes: [],
    };
    return delegate({ flow: 'duplicate-id', step: 'recovering' }, [], 'recover-username', { entities, text: '' });
  }

  return {
    name: 'duplicate-id',

    async start(ctx, seed: FlowSeed) {
      const intro = line(ctx, `${T}/intro`);
      const id = seed.entities ? readIdNumber({ text: seed.text ?? '', entities: seed.entities }, ctx.now) : { kind: 'none' as const };
      if (id.kind === 'valid') return lookUpId(ctx, id.value);
      if (id.kind === 'invalid') return show(ctx, ASK_ID, [intro, idProblemLine(ctx, id.problem)]);
      const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId });
      if (binding.ok && binding.value.username) {
        const username = binding.value.username;
        const status = await ctx.core.getDuplicateStatus({ username });
        // Someone who already re-registered and bound the account comes straight to the resolution.
        if (status.ok && status.value.state !== 'none') return resolution(ctx, username, status.value);
      }
      return show(ctx, ASK_ID, [intro]);
    },

    async handle(ctx, raw, input: FlowInput) {
      const state = knownStep<DuplicateIdState>(raw, STEPS) ?? ASK_ID;
      if (input.kind === 'resume') {
        if (state.step === 'binding') {
          const username = input.result?.username;
          if (typeof username === 'string' && username) return afterBinding(ctx, username);
          return complete([line(ctx, `${T}/binding-not-done`)]);
        }
        // recover-username (and recover-password after it) closed the matter themselves.
        return complete([]);
      }
      return handleMessage(ctx, state, input);
    },

    prompt,

    choices: (ctx, state) => toChoices(optionsFor(ctx, state)),

    back(_ctx, state) {
      switch (state.step) {
        case 'ask-id':
        case 'recovering':
        case 'binding':
        case 'choose-resolution':
          return null;
        case 'registered':
        case 'pending-review':
          return ASK_ID;
        case 'confirm-reregister':
          return { flow: 'duplicate-id', step: 'registered', idNumber: state.idNumber };
        case 'register-guide':
          return { flow: 'duplicate-id', step: 'confirm-reregister', idNumber: state.idNumber };
        case 'upload-photos':
          if (state.front && !state.back) return { flow: 'duplicate-id', step: 'upload-photos', username: state.username };
          return menu(state.username);
        case 'classmate-name':
          return menu(state.username);
        case 'classmate-phone':
          return { flow: 'duplicate-id', step: 'classmate-name', username: state.username };
        case 'own-phone':
          return { flow: 'duplicate-id', step: 'classmate-phone', username: state.username, classmateName: state.classmateName };
      }
    },
  };
}

function missingSide(state: { front?: Photo; back?: Photo }): Side {
  return state.front ? 'back' : 'front';
}

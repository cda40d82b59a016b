import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { chinaDateTime } from '../../calendar/china-time.js';
import { pickedNumber, type CommandWords } from '../../conversation/commands.js';
import {
  defineFlow,
  EXPECTS_TEXT,
  paragraph,
  type FlowTools,
  type MessageInput,
  type Option,
  type StateOf,
} from '../../conversation/flows/flow-kit.js';
import { readUsername } from '../../conversation/flows/username-input.js';
import type { FlowContext, FlowDefinition, FlowOutcome, HelpdeskPort, Reply } from '../../conversation/types.js';
import { maskUsername, redactSensitive } from '../../privacy/mask.js';
import { normalizeForMatching } from '../../text/normalize.js';
import { MAX_SCREENSHOT_BYTES, checkScreenshot, displayName, extensionOf } from '../tickets/screenshots.js';
import type { EscalateWords } from './escalate-words.js';
import type { UploadStash } from './upload-stash.js';

/** Screenshots the flow takes before it says "enough". */
export const FLOW_SCREENSHOT_LIMIT = 3;
/** Transcript lines copied into the ticket. */
const TRANSCRIPT_LINES = 30;
/** Characters a message needs to count as a problem description when none was asked for. */
const UNASKED_DESCRIPTION_MIN = 10;
/** ... when the user also said they cannot give the item asked for ("没有截图，..."). */
const AFTER_SKIP_DESCRIPTION_MIN = 15;
/** ... when the description is what was asked for. */
const ASKED_DESCRIPTION_MIN = 4;

const FLOW = 'escalate';

const item = z.enum(['username', 'screenshot', 'description']);
type TicketItem = z.infer<typeof item>;

/**
 * What the flow has collected. `username.value` goes on the ticket (what the user typed, or what
 * the core says of a bound account); `username.masked` is all the user is shown of it.
 */
const collected = z.object({
  username: z.object({ value: z.string().min(1), masked: z.string().min(1) }).nullable(),
  usernameSkipped: z.boolean(),
  screenshots: z.array(z.object({ id: z.string(), name: z.string() })),
  screenshotSkipped: z.boolean(),
  /** As the user wrote it (full-width punctuation kept), with every number masked. */
  description: z.string().nullable(),
  topic: z.string().nullable(),
  asking: item.nullable(),
});

/** 转人工: collecting the three things agents need, then confirming them. */
const states = { collect: collected, confirm: collected };

type State = StateOf<typeof FLOW, typeof states>;
type Collected = z.infer<typeof collected>;
type Tools = FlowTools<State>;
type ConfirmOption = 'submit' | TicketItem;
const CONFIRM_OPTIONS: ConfirmOption[] = ['submit', 'username', 'screenshot', 'description'];

export interface EscalateFlowDeps {
  stash: UploadStash;
  words: EscalateWords;
  commands: CommandWords;
}

/** What one message added to the collection, and what to tell the user about it. */
interface Absorbed {
  state: Collected;
  notes: Reply[];
  consumed: boolean;
  problem?: Reply;
}

/**
 * 转人工: collects the username, a screenshot of the problem page and a description, in any
 * order and skipping what the user already gave; confirms; opens a ticket through the help
 * desk port and answers with its number and the date a reply is due.
 *
 * A filled slot changes only when the user says so: a username is replaced by a message that
 * labels a new one ("用户名是…") or through 修改用户名; a number inside a description stays there.
 */
export function createEscalateFlow(deps: EscalateFlowDeps): FlowDefinition {
  const { words, commands } = deps;
  // The screenshot size limit is the help desk's own; templates quote it, never a figure of their own.
  const say = (ctx: FlowContext, key: string, vars: Record<string, unknown> = {}): Reply => ({
    type: 'text',
    text: ctx.render(`helpdesk/escalate/${key}`, { maxMb: MAX_SCREENSHOT_BYTES / (1024 * 1024), buttons: ctx.buttons, ...vars }),
  });

  const nextMissing = (state: Collected): TicketItem | null => {
    if (state.username === null && !state.usernameSkipped) return 'username';
    if (state.screenshots.length === 0 && !state.screenshotSkipped) return 'screenshot';
    if (state.description === null) return 'description';
    return null;
  };

  const confirmOptions = (ctx: FlowContext): Option<ConfirmOption>[] =>
    CONFIRM_OPTIONS.map((id) => ({ id, label: ctx.render('helpdesk/escalate/option', { option: id }) }));

  const summary = (ctx: FlowContext, state: Collected): Reply =>
    say(ctx, 'confirm', { username: state.username?.masked ?? null, screenshots: state.screenshots.length, description: state.description });

  const ask = (ctx: FlowContext, state: Collected): Reply =>
    say(ctx, `ask-${state.asking ?? nextMissing(state) ?? 'description'}`, { screenshots: state.screenshots.length });

  /** Moves on after a message: ask for the next missing item, or confirm. */
  const proceed = (flow: Tools, state: Collected, notes: Reply[]): FlowOutcome => {
    const missing = nextMissing(state);
    if (missing) return flow.show({ ...state, flow: FLOW, step: 'collect', asking: missing }, notes);
    return flow.show({ ...state, flow: FLOW, step: 'confirm', asking: null }, notes);
  };

  const absorbImage = async (ctx: FlowContext, state: Collected, image: NonNullable<MessageInput['image']>): Promise<Absorbed> => {
    if (state.screenshots.length >= FLOW_SCREENSHOT_LIMIT) {
      return { state, notes: [], consumed: false, problem: say(ctx, 'image-problem', { problem: 'limit', limit: FLOW_SCREENSHOT_LIMIT }) };
    }
    const check = await checkScreenshot(image.data);
    if (!check.ok) return { state, notes: [], consumed: false, problem: say(ctx, 'image-problem', { problem: check.problem }) };
    const id = randomBytes(9).toString('base64url');
    const name = displayName(image.name, `screenshot.${extensionOf(check.type)}`);
    await deps.stash.add(ctx.conversationId, { id, name, type: check.type, data: image.data.toString('base64') });
    const next: Collected = { ...state, screenshots: [...state.screenshots, { id, name }], screenshotSkipped: false };
    return { state: next, notes: [say(ctx, 'got-screenshot', { count: next.screenshots.length })], consumed: true };
  };

  const absorbText = (ctx: FlowContext, state: Collected, input: Pick<MessageInput, 'text' | 'entities'>): Absorbed => {
    const text = input.text.trim();
    let next = { ...state };
    const notes: Reply[] = [];
    let consumed = false;
    const reading = readUsername(text, ctx.now, { entities: input.entities });
    const rest = normalizeForMatching(reading.rest);
    const meaningful = words.stripLabel(rest).length;
    const needed = state.asking === 'description' ? ASKED_DESCRIPTION_MIN : UNASKED_DESCRIPTION_MIN;
    // A username is taken when the user labels it, or when none is known yet and the message is
    // about it (asked for, or nothing but the number); otherwise the number belongs to the description.
    const labelled = words.labelsUsername(normalizeForMatching(text));
    const aboutUsername = state.username === null && (state.asking === 'username' || meaningful < needed);
    if (reading.kind === 'found' && (labelled || aboutUsername)) {
      next = { ...next, username: { value: reading.username, masked: maskUsername(reading.username) }, usernameSkipped: false };
      notes.push(say(ctx, 'got-username', { username: maskUsername(reading.username) }));
      consumed = true;
    } else if (reading.kind === 'invalid-id' && input.entities.idNumbers.length > 0 && state.asking === 'username') {
      return { state, notes: [], consumed: false, problem: say(ctx, 'id-problem') };
    }
    const skipped = (state.asking === 'username' || state.asking === 'screenshot') && !consumed && words.saysSkip(rest);
    if (skipped && state.asking === 'username') next.usernameSkipped = true;
    if (skipped && state.asking === 'screenshot') next.screenshotSkipped = true;
    if (skipped) {
      notes.push(say(ctx, 'skipped', { item: state.asking }));
      consumed = true;
    }
    const describes = meaningful >= (skipped ? AFTER_SKIP_DESCRIPTION_MIN : needed);
    if (describes && !commands.isYes(rest) && !commands.isNo(rest)) {
      // Kept as written but masked from the start: the summary shown back and the stored state never hold a full number.
      const said = redactSensitive(text);
      notes.push(say(ctx, next.description ? 'added-description' : 'got-description'));
      next.description = next.description ? `${next.description}\n${said}` : said;
      consumed = true;
    }
    return { state: next, notes, consumed };
  };

  const absorb = async (ctx: FlowContext, state: Collected, input: MessageInput): Promise<Absorbed> => {
    let result: Absorbed = { state, notes: [], consumed: false };
    if (input.image) {
      result = await absorbImage(ctx, state, input.image);
      if (result.problem) return result;
    }
    if (input.text) {
      const fromText = absorbText(ctx, result.state, input);
      if (fromText.problem) return { ...fromText, notes: result.notes };
      result = { state: fromText.state, notes: [...result.notes, ...fromText.notes], consumed: result.consumed || fromText.consumed };
    }
    return result;
  };

  const submit = async (ctx: FlowContext, flow: Tools, state: State): Promise<FlowOutcome> => {
    if (!ctx.helpdesk) return { status: 'cancelled', replies: [{ type: 'text', text: ctx.render('chat/human-contacts') }] };
    const images = await deps.stash.take(
      ctx.conversationId,
      state.screenshots.map((shot) => shot.id),
    );
    let outcome: Awaited<ReturnType<HelpdeskPort['createTicket']>>;
    try {
      outcome = await ctx.helpdesk.createTicket({
        channel: ctx.channel,
        userId: ctx.userId,
        conversationId: ctx.conversationId,
        username: state.username?.value ?? '',
        description: state.description ?? '',
        screenshots: images.map((image) => ({ name: image.name, type: image.type, data: Buffer.from(image.data, 'base64') })),
        transcript: ctx.history.slice(-TRANSCRIPT_LINES),
        topics: [...new Set([...(state.topic ? [state.topic] : []), ...ctx.recentTopics])],
        ...(ctx.clientAddress ? { clientAddress: ctx.clientAddress } : {}),
      });
    } catch (error) {
      // The user is asked to try again; the cause is for the operators, never for the chat.
      ctx.logger.error({ err: error, conversationId: ctx.conversationId, channel: ctx.channel }, 'escalation ticket could not be created');
      return flow.wait(state, [say(ctx, 'unavailable')]);
    }
    if (!outcome.ok) {
      ctx.logger.warn({ conversationId: ctx.conversationId, channel: ctx.channel }, 'escalation ticket refused: too many from this user');
      return flow.wait(state, [say(ctx, 'too-many-tickets', { minutes: Math.max(1, Math.ceil((outcome.retryAfterSeconds ?? 60) / 60)) })]);
    }
    const created = outcome.value;
    await deps.stash.clear(ctx.conversationId);
    const due = created.dueAt ? chinaDateTime(created.dueAt) : null;
    return {
      status: 'complete',
      replies: [say(ctx, 'created', { ticketId: created.ticketId, due, provisional: created.dueProvisional === true, channel: ctx.channel })],
      result: { ticketId: created.ticketId },
    };
  };

  const collect = async (ctx: FlowContext, state: State, input: MessageInput, flow: Tools): Promise<FlowOutcome> => {
    const absorbed = await absorb(ctx, state, input);
    const asking = state.asking ?? nextMissing(state) ?? 'description';
    if (absorbed.problem) {
      return flow.refuse({ ...absorbed.state, flow: FLOW, step: 'collect' }, [
        ...absorbed.notes,
        absorbed.problem,
        ask(ctx, { ...absorbed.state, asking }),
      ]);
    }
    if (!absorbed.consumed) return flow.refuse(state, [say(ctx, 'not-understood', { item: asking }), ask(ctx, { ...state, asking })]);
    return proceed(flow, absorbed.state, absorbed.notes);
  };

  const confirm = async (ctx: FlowContext, state: State, input: MessageInput, flow: Tools): Promise<FlowOutcome> => {
    if (input.image) {
      const absorbed = await absorbImage(ctx, state, input.image);
      const next: State = { ...absorbed.state, flow: FLOW, step: 'confirm' };
      return absorbed.problem ? flow.retry(next, [absorbed.problem]) : flow.show(next, absorbed.notes);
    }
    const normalized = input.normalized;
    const number = pickedNumber(normalized);
    const picked: ConfirmOption | undefined =
      number !== undefined
        ? CONFIRM_OPTIONS[number - 1]
        : words.saysSubmit(normalized) || commands.isYes(normalized)
          ? 'submit'
          : words.change(normalized);
    if (picked === 'submit') return submit(ctx, flow, state);
    if (picked === 'username') return proceed(flow, { ...state, username: null, usernameSkipped: false }, []);
    if (picked === 'description') return proceed(flow, { ...state, description: null }, []);
    if (picked === 'screenshot') {
      await deps.stash.remove(
        ctx.conversationId,
        state.screenshots.map((shot) => shot.id),
      );
      return proceed(flow, { ...state, screenshots: [], screenshotSkipped: false }, []);
    }
    // Not an option: a labelled username or more detail still counts, then confirm again.
    const absorbed = absorbText(ctx, { ...state, asking: null }, input);
    if (absorbed.consumed) return proceed(flow, absorbed.state, absorbed.notes);
    return flow.refuse(state, [say(ctx, 'pick-option')]);
  };

  return defineFlow(FLOW, {
    states,
    isHumanHandoff: true,

    async start(ctx, seed, flow) {
      await deps.stash.clear(ctx.conversationId);
      let state: Collected = {
        username: null,
        usernameSkipped: false,
        screenshots: [],
        screenshotSkipped: false,
        description: null,
        topic: typeof seed.topic === 'string' ? seed.topic : null,
        asking: null,
      };
      const notes: Reply[] = [];
      // A channel bound to an account already tells us the username (masked: the core never says more).
      const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId }).catch(() => undefined);
      if (binding?.ok && binding.value.accountRef !== null) {
        state.username = { value: binding.value.maskedUsername, masked: binding.value.maskedUsername };
        notes.push(say(ctx, 'got-username', { username: binding.value.maskedUsername, bound: true }));
      }
      if (seed.text) {
        const absorbed = absorbText(ctx, state, { text: seed.text, entities: seed.entities ?? { idNumbers: [], phones: [], emails: [], codes: [] } });
        state = absorbed.state;
        notes.push(...absorbed.notes);
      }
      const outcome = proceed(flow, state, notes);
      return { ...outcome, replies: paragraph(say(ctx, 'intro'), ...outcome.replies) };
    },

    steps: {
      collect: {
        prompt: (ctx, state) => [ask(ctx, state)],
        options: () => [],
        handle: (ctx, state, input, flow) => collect(ctx, state, input, flow),
        back: () => null,
        // Whatever the user writes may be the description.
        expects: EXPECTS_TEXT,
      },
      confirm: {
        prompt: (ctx, state) => [summary(ctx, state)],
        options: (ctx) => confirmOptions(ctx),
        handle: (ctx, state, input, flow) => confirm(ctx, state, input, flow),
        back: (_ctx, state): State => ({ ...state, step: 'collect', description: null, asking: 'description' }),
      },
    },
  });
}

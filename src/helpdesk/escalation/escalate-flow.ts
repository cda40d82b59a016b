import { randomBytes } from 'node:crypto';
import { pickedNumber, type CommandWords } from '../../conversation/commands.js';
import type { Choice, FlowContext, FlowDefinition, FlowInput, FlowOutcome, FlowSeed, FlowState, Reply } from '../../conversation/types.js';
import { maskUsername, redactSensitive } from '../../privacy/mask.js';
import { normalizeForMatching } from '../../text/normalize.js';
import { chinaDateTime } from '../../calendar/china-time.js';
import type { EscalateWords } from './escalate-words.js';
import { checkScreenshot, displayName, extensionOf } from '../tickets/screenshots.js';
import type { TicketItem } from '../tickets/ticket-types.js';
import type { UploadStash } from './upload-stash.js';
import { findUsername } from './username.js';

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

/** The escalate flow's state: what it has collected and what it is asking for. */
export interface EscalateState extends FlowState {
  flow: 'escalate';
  step: 'collect' | 'confirm';
  username: string | null;
  usernameSkipped: boolean;
  screenshots: { id: string; name: string }[];
  screenshotSkipped: boolean;
  description: string | null;
  topic: string | null;
  asking: TicketItem | null;
}

type ConfirmOption = 'submit' | 'username' | 'screenshot' | 'description';
const CONFIRM_OPTIONS: ConfirmOption[] = ['submit', 'username', 'screenshot', 'description'];

export interface EscalateFlowDeps {
  stash: UploadStash;
  words: EscalateWords;
  commands: CommandWords;
}

type MessageInput = Extract<FlowInput, { kind: 'message' }>;

/** What one message added to the collection, and what to tell the user about it. */
interface Absorbed {
  state: EscalateState;
  notes: Reply[];
  consumed: boolean;
  problem?: Reply;
}

/**
 * 转人工: collects the username, a screenshot of the problem page and a description, in any
 * order and skipping what the user already gave; confirms; opens a ticket through the help
 * desk port and answers with its number and the date a reply is due.
 */
export function createEscalateFlow(deps: EscalateFlowDeps): FlowDefinition<EscalateState> {
  const say = (ctx: FlowContext, key: string, vars: Record<string, unknown> = {}): Reply => ({
    type: 'text',
    text: ctx.render(`helpdesk/escalate/${key}`, vars),
  });

  const nextMissing = (state: EscalateState): TicketItem | null => {
    if (state.username === null && !state.usernameSkipped) return 'username';
    if (state.screenshots.length === 0 && !state.screenshotSkipped) return 'screenshot';
    if (state.description === null) return 'description';
    return null;
  };

  const confirmChoices = (ctx: FlowContext): Choice[] =>
    CONFIRM_OPTIONS.map((id, index) => ({ number: index + 1, label: ctx.render('helpdesk/escalate/option', { option: id }) }));

  const summary = (ctx: FlowContext, state: EscalateState): Reply =>
    say(ctx, 'confirm', {
      username: state.username ? maskUsername(state.username) : null,
      screenshots: state.screenshots.length,
      description: state.description,
    });

  const ask = (ctx: FlowContext, item: TicketItem, state: EscalateState): Reply => say(ctx, `ask-${item}`, { screenshots: state.screenshots.length });

  /** Moves on after a message: ask for the next missing item, or confirm. */
  const proceed = (ctx: FlowContext, state: EscalateState, notes: Reply[]): FlowOutcome<EscalateState> => {
    const missing = nextMissing(state);
    if (missing) {
      const next: EscalateState = { ...state, step: 'collect', asking: missing };
      return { status: 'waiting', state: next, replies: join(notes, ask(ctx, missing, next)) };
    }
    const next: EscalateState = { ...state, step: 'confirm', asking: null };
    return { status: 'waiting', state: next, replies: join(notes, summary(ctx, next)), choices: confirmChoices(ctx) };
  };

  const absorbImage = async (ctx: FlowContext, state: EscalateState, image: NonNullable<MessageInput['image']>): Promise<Absorbed> => {
    if (state.screenshots.length >= FLOW_SCREENSHOT_LIMIT) {
      return { state, notes: [], consumed: false, problem: say(ctx, 'image-problem', { problem: 'limit', limit: FLOW_SCREENSHOT_LIMIT }) };
    }
    const check = await checkScreenshot(image.data);
    if (!check.ok) return { state, notes: [], consumed: false, problem: say(ctx, 'image-problem', { problem: check.problem }) };
    const id = randomBytes(9).toString('base64url');
    const name = displayName(image.name, `screenshot.${extensionOf(check.type)}`);
    await deps.stash.add(ctx.conversationId, { id, name, type: check.type, data: image.data.toString('base64') });
    const next: EscalateState = { ...state, screenshots: [...state.screenshots, { id, name }], screenshotSkipped: false };
    return { state: next, notes: [say(ctx, 'got-screenshot', { count: next.screenshots.length })], consumed: true };
  };

  const absorbText = (ctx: FlowContext, state: EscalateState, text: string): Absorbed => {
    let next = { ...state };
    const notes: Reply[] = [];
    let consumed = false;
    const finding = findUsername(text);
    if (finding.username) {
      next = { ...next, username: finding.username, usernameSkipped: false };
      notes.push(say(ctx, 'got-username', { username: maskUsername(finding.username) }));
      consumed = true;
    } else if (finding.invalidId && state.asking === 'username') {
      return { state, notes: [], consumed: false, problem: say(ctx, 'id-problem') };
    }
    const rest = normalizeForMatching(finding.rest);
    const skipped = (state.asking === 'username' || state.asking === 'screenshot') && !consumed && deps.words.saysSkip(rest);
    if (skipped && state.asking === 'username') next.usernameSkipped = true;
    if (skipped && state.asking === 'screenshot') next.screenshotSkipped = true;
    if (skipped) {
      notes.push(say(ctx, 'skipped', { item: state.asking }));
      consumed = true;
    }
    const meaningful = deps.words.stripLabel(rest).length;
    const needed = state.asking === 'description' ? ASKED_DESCRIPTION_MIN : skipped ? AFTER_SKIP_DESCRIPTION_MIN : UNASKED_DESCRIPTION_MIN;
    const isAnswerWord = deps.commands.isYes(rest) || deps.commands.isNo(rest);
    if (meaningful >= needed && !isAnswerWord) {
      // Kept redacted from the start: the summary shown back and the stored state never hold a full number.
      const said = redactSensitive(text.trim());
      const added = next.description ? `${next.description}\n${said}` : said;
      notes.push(say(ctx, next.description ? 'added-description' : 'got-description'));
      next.description = added;
      consumed = true;
    }
    return { state: next, notes, consumed };
  };

  const absorb = async (ctx: FlowContext, state: EscalateState, input: MessageInput): Promise<Absorbed> => {
    let result: Absorbed = { state, notes: [], consumed: false };
    if (input.image) {
      result = await absorbImage(ctx, state, input.image);
      if (result.problem) return result;
    }
    if (input.text) {
      const fromText = absorbText(ctx, result.state, input.text);
      if (fromText.problem) return { ...fromText, notes: result.notes };
      result = { state: fromText.state, notes: [...result.notes, ...fromText.notes], consumed: result.consumed || fromText.consumed };
    }
    return result;
  };

  const submit = async (ctx: FlowContext, state: EscalateState): Promise<FlowOutcome<EscalateState>> => {
    if (!ctx.helpdesk) return { status: 'cancelled', replies: [{ type: 'text', text: ctx.render('chat/human-contacts') }] };
    const images = await deps.stash.take(
      ctx.conversationId,
      state.screenshots.map((shot) => shot.id),
    );
    let created: { ticketId: string; dueAt: string | null; dueProvisional?: boolean };
    try {
      created = await ctx.helpdesk.createTicket({
        channel: ctx.channel,
        userId: ctx.userId,
        conversationId: ctx.conversationId,
        username: state.username ?? '',
        description: state.description ?? '',
        screenshots: images.map((image) => ({ name: image.name, type: image.type, data: Buffer.from(image.data, 'base64') })),
        transcript: ctx.history.slice(-TRANSCRIPT_LINES),
        topics: [...new Set([...(state.topic ? [state.topic] : []), ...ctx.recentTopics])],
      });
    } catch {
      return { status: 'waiting', state, replies: [say(ctx, 'unavailable')], choices: confirmChoices(ctx) };
    }
    await deps.stash.clear(ctx.conversationId);
    const due = created.dueAt ? chinaDateTime(created.dueAt) : null;
    return {
      status: 'complete',
      replies: [say(ctx, 'created', { ticketId: created.ticketId, due, provisional: created.dueProvisional === true, channel: ctx.channel })],
      result: { ticketId: created.ticketId },
    };
  };

  const handleConfirm = async (ctx: FlowContext, state: EscalateState, input: MessageInput): Promise<FlowOutcome<EscalateState>> => {
    if (input.image) {
      const absorbed = await absorbImage(ctx, state, input.image);
      const replies = join(absorbed.problem ? [absorbed.problem] : absorbed.notes, summary(ctx, absorbed.state));
      return { status: absorbed.problem ? 'invalid' : 'waiting', state: absorbed.state, replies, choices: confirmChoices(ctx) };
    }
    const normalized = input.normalized;
    const number = pickedNumber(normalized);
    const picked: ConfirmOption | undefined =
      number !== undefined
        ? CONFIRM_OPTIONS[number - 1]
        : deps.words.saysSubmit(normalized) || deps.commands.isYes(normalized)
          ? 'submit'
          : deps.words.change(normalized);
    if (picked === 'submit') return submit(ctx, state);
    if (picked === 'username') return proceed(ctx, { ...state, username: null, usernameSkipped: false }, []);
    if (picked === 'description') return proceed(ctx, { ...state, description: null }, []);
    if (picked === 'screenshot') {
      await deps.stash.remove(
        ctx.conversationId,
        state.screenshots.map((shot) => shot.id),
      );
      return proceed(ctx, { ...state, screenshots: [], screenshotSkipped: false }, []);
    }
    // Not an option: a new username or more detail still counts, then confirm again.
    const absorbed = absorbText(ctx, { ...state, asking: null }, input.text);
    if (absorbed.consumed) return proceed(ctx, absorbed.state, absorbed.notes);
    return { status: 'invalid', state, replies: [say(ctx, 'pick-option')], choices: confirmChoices(ctx) };
  };

  return {
    name: 'escalate',

    async start(ctx: FlowContext, seed: FlowSeed): Promise<FlowOutcome<EscalateState>> {
      await deps.stash.clear(ctx.conversationId);
      let state: EscalateState = {
        flow: 'escalate',
        step: 'collect',
        username: null,
        usernameSkipped: false,
        screenshots: [],
        screenshotSkipped: false,
        description: null,
        topic: typeof seed.topic === 'string' ? seed.topic : null,
        asking: null,
      };
      const notes: Reply[] = [];
      // A channel bound to an account already tells us the username.
      const binding = await ctx.core.getBinding({ channelUserId: ctx.conversationId }).catch(() => undefined);
      if (binding?.ok && binding.value.username) {
        state.username = binding.value.username;
        notes.push(say(ctx, 'got-username', { username: maskUsername(binding.value.username), bound: true }));
      }
      if (seed.text) {
        const absorbed = absorbText(ctx, state, seed.text);
        state = absorbed.state;
        notes.push(...absorbed.notes);
      }
      const outcome = proceed(ctx, state, notes);
      return { ...outcome, replies: join([say(ctx, 'intro')], ...outcome.replies) } as FlowOutcome<EscalateState>;
    },

    async handle(ctx: FlowContext, state: EscalateState, input: FlowInput): Promise<FlowOutcome<EscalateState>> {
      if (input.kind === 'resume') return { status: 'waiting', state, replies: this.prompt(ctx, state), choices: this.choices?.(ctx, state) };
      if (state.step === 'confirm') return handleConfirm(ctx, state, input);
      const absorbed = await absorb(ctx, state, input);
      const asking = state.asking ?? nextMissing(state) ?? 'description';
      if (absorbed.problem) {
        return { status: 'invalid', state: absorbed.state, replies: join(absorbed.notes, absorbed.problem, ask(ctx, asking, absorbed.state)) };
      }
      if (!absorbed.consumed) {
        return { status: 'invalid', state, replies: join([say(ctx, 'not-understood', { item: asking })], ask(ctx, asking, state)) };
      }
      return proceed(ctx, absorbed.state, absorbed.notes);
    },

    prompt(ctx: FlowContext, state: EscalateState): Reply[] {
      if (state.step === 'confirm') return [summary(ctx, state)];
      return [ask(ctx, state.asking ?? nextMissing(state) ?? 'description', state)];
    },

    back(_ctx: FlowContext, state: EscalateState): EscalateState | null {
      if (state.step === 'confirm') return { ...state, step: 'collect', description: null, asking: 'description' };
      return null;
    },

    choices(ctx: FlowContext, state: EscalateState): Choice[] {
      return state.step === 'confirm' ? confirmChoices(ctx) : [];
    },
  };
}

/** Joins texts into one message, as the user reads them together. */
function join(first: Reply[], ...more: Reply[]): Reply[] {
  const texts = [...first, ...more].flatMap((reply) => (reply.type === 'text' && reply.text ? [reply.text] : []));
  return texts.length > 0 ? [{ type: 'text', text: texts.join('\n') }] : [];
}

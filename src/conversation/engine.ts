import type { AccountCore } from '../account-core/types.js';
import type { KnowledgeBase } from '../knowledge/loader.js';
import type { Matcher, MatchResult } from '../knowledge/matcher.js';
import type { KnowledgeEntry } from '../knowledge/schema.js';
import { maskEmail, maskIdNumber, maskPhone, redactSensitive } from '../privacy/mask.js';
import type { Render } from '../render/renderer.js';
import type { AnalyzedText } from '../knowledge/analyzer.js';
import { pickedNumber, type CommandWords } from './commands.js';
import type {
  Choice,
  ConversationState,
  FlowContext,
  FlowDefinition,
  FlowName,
  FlowOutcome,
  FlowSeed,
  FlowState,
  HelpdeskPort,
  HistoryEntry,
  InboundMessage,
  OfferedChoice,
  Reply,
  TurnResult,
  UnansweredLog,
} from './types.js';

/** Everything the engine needs, passed in by the composition root (or a test). */
export interface EngineDeps {
  knowledge: KnowledgeBase;
  matcher: Matcher;
  commands: CommandWords;
  render: Render;
  core: AccountCore;
  flows: ReadonlyMap<FlowName, FlowDefinition>;
  helpdesk?: HelpdeskPort;
  unanswered?: UnansweredLog;
  publicUrl: string;
  /** A flow left alone this long expires (default 30 minutes). */
  idleTimeoutMs?: number;
  /** Told each matcher decision (metrics). */
  onMatch?(match: MatchResult): void;
}

const HISTORY_LIMIT = 30;
/** Assistant lines are kept this long in the history: agents need the gist, not every answer in full. */
const ASSISTANT_LINE_LIMIT = 240;
const RECENT_TOPICS_LIMIT = 5;
const INVALID_BEFORE_HUMAN = 3;
const DEFAULT_IDLE_MS = 30 * 60 * 1000;
const FALLBACK_FLOOR = 0.12;

/** A new, empty conversation. */
export function newConversation(message: Pick<InboundMessage, 'channel' | 'userId'>, now: Date): ConversationState {
  return {
    version: 1,
    conversationId: conversationIdOf(message),
    channel: message.channel,
    userId: message.userId,
    updatedAt: now.toISOString(),
    flows: [],
    offered: [],
    invalidStreak: 0,
    history: [],
    recentTopics: [],
  };
}

/** Conversations are per channel and user, so ids from different channels never collide. */
export function conversationIdOf(message: Pick<InboundMessage, 'channel' | 'userId'>): string {
  return `${message.channel}:${message.userId}`;
}

/**
 * One turn of the conversation: the user's message in, replies out. Pure with respect to
 * storage: it takes the state and returns the next state; the caller persists it.
 */
export async function handleTurn(
  state: ConversationState,
  message: InboundMessage,
  deps: EngineDeps,
  now: Date,
): Promise<{ state: ConversationState; result: TurnResult }> {
  const turn = new Turn(structuredClone(state), message, deps, now);
  await turn.run();
  return turn.finish();
}

class Turn {
  private readonly replies: Reply[] = [];
  private choices: Choice[] = [];
  private topic: string | null = null;
  private analyzedText: AnalyzedText | undefined;
  private matched: MatchResult | undefined;
  private readonly text: string;
  private userEntry: HistoryEntry | undefined;

  constructor(
    private readonly state: ConversationState,
    private readonly message: InboundMessage,
    private readonly deps: EngineDeps,
    private readonly now: Date,
  ) {
    // Kept as the user wrote it (full-width punctuation included): stored, shown back and given to
    // flows as is. Only matching works on a normalised copy (the analyzer makes its own).
    this.text = (message.text ?? '').trim();
  }

  async run(): Promise<void> {
    this.userEntry = this.remember('user', this.message.text ?? '', this.message.image ? this.deps.render('chat/history-image') : '');
    this.expireIdleFlow();
    if (this.state.pendingNotice) {
      this.say(this.state.pendingNotice);
      delete this.state.pendingNotice;
    }
    if (this.state.handoff && (await this.continueHandoff())) return;

    const analyzed = this.analyzed();
    const offered = this.state.offered;
    this.state.offered = [];
    const picked = this.pickOffered(offered, analyzed.normalized);
    if (picked) return this.runChoice(picked.action);

    const command = this.deps.commands.command(analyzed.normalized);
    if (this.state.flows.length > 0) return this.continueFlow(command);
    if (command === 'human') return this.startHuman();
    if (command === 'cancel' || command === 'back') return this.say(this.deps.render('chat/nothing-to-cancel'));
    return this.handleOutsideFlow();
  }

  /** A message with no flow to take it: an image, nothing, or a question. */
  private async handleOutsideFlow(): Promise<void> {
    if (!this.text && this.message.image) return this.unexpectedImage();
    if (!this.text) return this.say(this.deps.render('chat/empty'));
    return this.answerQuestion();
  }

  finish(): { state: ConversationState; result: TurnResult } {
    if (this.choices.length > 0) this.appendToLastText(this.deps.render('chat/choices', { choices: this.choices }));
    for (const reply of this.replies) if (reply.type === 'text') this.remember('assistant', reply.text);
    this.state.updatedAt = this.now.toISOString();
    const top = this.state.flows.at(-1);
    return {
      state: this.state,
      result: { replies: this.replies, topic: this.topic, flow: top?.flow ?? null, choices: this.choices },
    };
  }

  // ---- questions and answers ----

  private async answerQuestion(): Promise<void> {
    const match = this.match();
    const best = match.candidates[0];
    if (match.confident && best) {
      const entry = this.deps.knowledge.byId.get(best.id)!;
      return this.answerWith(entry, match.analyzed);
    }
    if (!this.hasWords(match.analyzed)) {
      const offered = this.offerForEntities(match.analyzed);
      if (offered) return;
    }
    return this.fallback(match);
  }

  private async answerWith(entry: KnowledgeEntry, analyzed?: AnalyzedText): Promise<void> {
    this.say(this.deps.render('chat/answer', { answer: entry.answer, title: entry.title }));
    if (entry.kind === 'small-talk') return;
    this.topic = entry.id;
    this.state.recentTopics = [entry.id, ...this.state.recentTopics.filter((id) => id !== entry.id)].slice(0, RECENT_TOPICS_LIMIT);
    const flow = entry.flow;
    if (!flow || !this.deps.flows.has(flow.name)) return;
    if (flow.start === 'auto') {
      await this.startFlow(flow.name, { entities: analyzed?.entities, text: this.text, topic: entry.id });
    } else {
      this.say(this.deps.render('chat/offer-flow', { flow: flow.name }));
      this.offer([{ label: this.deps.render('chat/choice-start-flow', { flow: flow.name }), action: { kind: 'flow', flow: flow.name } }]);
    }
  }

  private async fallback(match: MatchResult): Promise<void> {
    const candidates = match.candidates
      .filter((c) => c.kind === 'faq' && c.score >= FALLBACK_FLOOR)
      .slice(0, 3)
      .map((c) => this.deps.knowledge.byId.get(c.id)!);
    const outOfScope = match.reason === 'out-of-scope' || candidates.length === 0;
    this.say(this.deps.render('chat/fallback', { outOfScope, hasCandidates: candidates.length > 0 }));
    this.offer([
      ...candidates.map((entry): OfferedChoice => ({ label: entry.title, action: { kind: 'topic', topicId: entry.id } })),
      { label: this.deps.render('chat/choice-human'), action: { kind: 'human' } },
    ]);
    await this.deps.unanswered?.record({
      at: this.now.toISOString(),
      channel: this.message.channel,
      text: redactSensitive(this.text),
      candidates: candidates.map((entry) => entry.id),
    });
  }

  /** A message that is only an ID number, phone or e-mail: ask what the user wants to do with it. */
  private offerForEntities(analyzed: AnalyzedText): boolean {
    const { idNumbers, phones, emails, codes } = analyzed.entities;
    const seed: FlowSeed = { entities: analyzed.entities, text: '' };
    const flowChoice = (flow: FlowName): OfferedChoice[] =>
      this.deps.flows.has(flow) ? [{ label: this.deps.render('chat/choice-start-flow', { flow }), action: { kind: 'flow', flow, seed } }] : [];
    const human: OfferedChoice = { label: this.deps.render('chat/choice-human'), action: { kind: 'human' } };
    if (idNumbers.length > 0) {
      this.say(this.deps.render('chat/entity-only', { kind: 'id', masked: maskIdNumber(idNumbers[0]!.value) }));
      this.offer([...flowChoice('recover-username'), ...flowChoice('duplicate-id'), human]);
      return true;
    }
    if (phones.length > 0 || emails.length > 0) {
      const masked = phones.length > 0 ? maskPhone(phones[0]!) : maskEmail(emails[0]!);
      this.say(this.deps.render('chat/entity-only', { kind: phones.length > 0 ? 'phone' : 'email', masked }));
      this.offer([...flowChoice('recover-password'), ...flowChoice('bind-account'), human]);
      return true;
    }
    if (codes.length > 0) {
      this.say(this.deps.render('chat/code-unexpected'));
      return true;
    }
    return false;
  }

  private unexpectedImage(): void {
    this.say(this.deps.render('chat/image-unexpected'));
    const options: OfferedChoice[] = [];
    if (this.deps.flows.has('duplicate-id')) {
      options.push({ label: this.deps.render('chat/choice-start-flow', { flow: 'duplicate-id' }), action: { kind: 'flow', flow: 'duplicate-id' } });
    }
    options.push({ label: this.deps.render('chat/choice-human'), action: { kind: 'human' } });
    this.offer(options);
  }

  // ---- offered choices ----

  private pickOffered(offered: OfferedChoice[], normalized: string): OfferedChoice | undefined {
    if (offered.length === 0 || !normalized) return undefined;
    const number = pickedNumber(normalized);
    if (number !== undefined) return offered[number - 1];
    return offered.find((choice) => choice.label.replace(/\s+/g, '') === normalized);
  }

  private async runChoice(action: OfferedChoice['action']): Promise<void> {
    switch (action.kind) {
      case 'topic': {
        const entry = this.deps.knowledge.byId.get(action.topicId);
        if (entry) return this.answerWith(entry);
        return this.say(this.deps.render('chat/empty'));
      }
      case 'flow':
        this.state.flows = [];
        return this.startFlow(action.flow, action.seed ?? { text: '' });
      case 'human':
        return this.startHuman();
      case 'continue': {
        this.state.invalidStreak = 0;
        const top = this.state.flows.at(-1);
        if (top) this.promptAgain(this.definition(top), top);
        return;
      }
    }
  }

  private offer(options: OfferedChoice[]): void {
    this.state.offered = options;
    this.choices = options.map((option, index) => ({ number: index + 1, label: option.label }));
  }

  // ---- flows ----

  private async continueFlow(command: ReturnType<CommandWords['command']>): Promise<void> {
    const top = this.state.flows.at(-1)!;
    const definition = this.definition(top);
    if (command === 'cancel') {
      this.state.flows = [];
      this.state.invalidStreak = 0;
      return this.say(this.deps.render('chat/flow-cancelled', { flow: top.flow }));
    }
    if (command === 'human') return this.startHuman();
    if (command === 'back') {
      const previous = definition.back(this.context(), top);
      if (!previous) {
        this.say(this.deps.render('chat/flow-at-first-step'));
        return this.promptAgain(definition, top);
      }
      this.state.flows[this.state.flows.length - 1] = previous;
      return this.promptAgain(definition, previous);
    }
    // A secret answer (e.g. to a security question) stays out of the transcript agents read.
    if (definition.secretInput?.(this.context(), top) && this.userEntry) this.userEntry.text = this.deps.render('chat/history-secret');
    const analyzed = this.analyzed();
    const outcome = await definition.handle(this.context(), top, {
      kind: 'message',
      text: this.text,
      normalized: analyzed.normalized,
      entities: analyzed.entities,
      image: this.message.image,
    });
    if (outcome.status === 'invalid') return this.handleInvalid(top, definition, outcome);
    this.state.invalidStreak = 0;
    await this.apply(outcome);
    if (outcome.status === 'release' && this.state.flows.length === 0) await this.handleOutsideFlow();
  }

  /** Input the flow could not use: maybe a question to answer in passing, else count the miss. */
  private async handleInvalid(top: FlowState, definition: FlowDefinition, outcome: FlowOutcome & { status: 'invalid' }): Promise<void> {
    const match = this.text && !this.message.image ? this.match() : undefined;
    const best = match?.candidates[0];
    if (match?.confident && best?.kind === 'faq') {
      const entry = this.deps.knowledge.byId.get(best.id)!;
      this.say(this.deps.render('chat/answer', { answer: entry.answer, title: entry.title }));
      this.topic = entry.id;
      this.say(this.deps.render('chat/flow-resume', { flow: top.flow }));
      return this.promptAgain(definition, top);
    }
    this.state.flows[this.state.flows.length - 1] = outcome.state;
    this.state.invalidStreak += 1;
    this.sayAll(outcome.replies);
    if (outcome.choices) this.choices = outcome.choices;
    if (this.state.invalidStreak >= INVALID_BEFORE_HUMAN) {
      this.say(this.deps.render('chat/offer-human'));
      this.offer([
        { label: this.deps.render('chat/choice-human'), action: { kind: 'human' } },
        { label: this.deps.render('chat/choice-continue'), action: { kind: 'continue' } },
      ]);
    }
  }

  private async startFlow(name: FlowName, seed: FlowSeed): Promise<void> {
    const definition = this.deps.flows.get(name);
    if (!definition) return this.say(this.deps.render('chat/human-contacts'));
    this.state.invalidStreak = 0;
    this.state.flows.push({ flow: name, step: 'starting' });
    const outcome = await definition.start(this.context(), seed);
    await this.apply(outcome);
  }

  /** Applies a flow outcome to the flow stack, running parents and children as needed. */
  private async apply(outcome: FlowOutcome): Promise<void> {
    this.sayAll(outcome.replies);
    switch (outcome.status) {
      case 'waiting':
      case 'invalid':
        this.state.flows[this.state.flows.length - 1] = outcome.state;
        if (outcome.choices) this.choices = outcome.choices;
        return;
      case 'delegate': {
        this.state.flows[this.state.flows.length - 1] = outcome.state;
        const child = this.deps.flows.get(outcome.child);
        if (!child) return this.resumeParent(outcome.child, null);
        this.state.flows.push({ flow: outcome.child, step: 'starting' });
        return this.apply(await child.start(this.context(), outcome.seed ?? {}));
      }
      case 'complete':
      case 'release':
      case 'cancelled': {
        const finished = this.state.flows.pop();
        const ticketId = outcome.status === 'cancelled' ? undefined : outcome.result?.ticketId;
        if (finished?.flow === 'escalate' && typeof ticketId === 'string') {
          // The conversation now belongs to a human agent until the ticket is closed.
          this.state.flows = [];
          this.state.handoff = { ticketId, since: this.now.toISOString() };
          return;
        }
        if (finished && this.state.flows.length > 0) {
          return this.resumeParent(finished.flow, outcome.status === 'cancelled' ? null : (outcome.result ?? {}));
        }
        return;
      }
    }
  }

  private async resumeParent(child: FlowName, result: Record<string, unknown> | null): Promise<void> {
    const parent = this.state.flows.at(-1);
    if (!parent) return;
    return this.apply(await this.definition(parent).handle(this.context(), parent, { kind: 'resume', child, result }));
  }

  /** Asks the flow's current question again, with its numbered options if it has any. */
  private promptAgain(definition: FlowDefinition, state: FlowState): void {
    this.sayAll(definition.prompt(this.context(), state));
    this.choices = definition.choices?.(this.context(), state) ?? [];
  }

  private expireIdleFlow(): void {
    const top = this.state.flows.at(-1);
    if (!top) return;
    const idle = this.now.getTime() - Date.parse(this.state.updatedAt);
    if (idle <= (this.deps.idleTimeoutMs ?? DEFAULT_IDLE_MS)) return;
    this.state.flows = [];
    this.state.invalidStreak = 0;
    this.say(this.deps.render('chat/flow-expired', { flow: top.flow, minutes: Math.round((this.deps.idleTimeoutMs ?? DEFAULT_IDLE_MS) / 60000) }));
  }

  // ---- human help ----

  private async startHuman(): Promise<void> {
    this.state.flows = [];
    if (this.deps.helpdesk && this.deps.flows.has('escalate')) {
      return this.startFlow('escalate', { text: '', topic: this.state.recentTopics[0] });
    }
    this.say(this.deps.render('chat/human-contacts'));
  }

  /** While an agent owns the conversation, messages go to the ticket; returns false once it is closed. */
  private async continueHandoff(): Promise<boolean> {
    const handoff = this.state.handoff!;
    const helpdesk = this.deps.helpdesk;
    if (!helpdesk || !(await helpdesk.isTicketOpen(handoff.ticketId))) {
      delete this.state.handoff;
      return false;
    }
    const { open, imageRejected } = await helpdesk.appendUserMessage(handoff.ticketId, { text: this.message.text, image: this.message.image });
    if (!open) {
      delete this.state.handoff;
      return false;
    }
    if (imageRejected) this.say(this.deps.render('chat/handoff-image-rejected', { problem: imageRejected }));
    if (this.text || !imageRejected) this.say(this.deps.render('chat/handoff-ack', { ticketId: handoff.ticketId }));
    return true;
  }

  // ---- helpers ----

  private definition(state: FlowState): FlowDefinition {
    const definition = this.deps.flows.get(state.flow);
    if (!definition) throw new Error(`No flow named ${state.flow}`);
    return definition;
  }

  private context(): FlowContext {
    return {
      conversationId: this.state.conversationId,
      channel: this.state.channel,
      userId: this.state.userId,
      now: this.now,
      render: this.deps.render,
      core: this.deps.core,
      helpdesk: this.deps.helpdesk,
      publicUrl: this.deps.publicUrl,
      history: this.state.history,
      recentTopics: this.state.recentTopics,
    };
  }

  private analyzed(): AnalyzedText {
    this.analyzedText ??= this.deps.matcher.analyzer.analyze(this.text);
    return this.analyzedText;
  }

  private match(): MatchResult {
    if (!this.matched) {
      this.matched = this.deps.matcher.rank(this.analyzed());
      this.deps.onMatch?.(this.matched);
    }
    return this.matched;
  }

  private hasWords(analyzed: AnalyzedText): boolean {
    return analyzed.normalized.replace(/[0-9a-z]/g, '').length >= 2;
  }

  private say(text: string): void {
    if (text) this.replies.push({ type: 'text', text });
  }

  /** Numbered options belong to the question before them: one message, not two. */
  private appendToLastText(text: string): void {
    const last = this.replies.at(-1);
    if (last?.type === 'text') last.text = `${last.text}\n${text}`;
    else this.say(text);
  }

  private sayAll(replies: Reply[]): void {
    this.replies.push(...replies);
  }

  private remember(from: 'user' | 'assistant', text: string, fallback = ''): HistoryEntry | undefined {
    const raw = text || fallback;
    const line = redactSensitive(from === 'assistant' && raw.length > ASSISTANT_LINE_LIMIT ? `${raw.slice(0, ASSISTANT_LINE_LIMIT)}…` : raw);
    if (!line) return undefined;
    const entry: HistoryEntry = { at: this.now.toISOString(), from, text: line, topic: from === 'assistant' ? this.topic : undefined };
    this.state.history.push(entry);
    if (this.state.history.length > HISTORY_LIMIT) this.state.history.splice(0, this.state.history.length - HISTORY_LIMIT);
    return entry;
  }
}

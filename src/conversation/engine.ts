import pino, { type Logger } from 'pino';
import type { AccountCore } from '../account-core/types.js';
import type { KnowledgeBase } from '../knowledge/loader.js';
import type { Matcher, MatchResult } from '../knowledge/matcher.js';
import type { KnowledgeEntry } from '../knowledge/schema.js';
import { maskEmail, maskIdNumber, maskPhone, redactSensitive } from '../privacy/mask.js';
import type { Render } from '../render/renderer.js';
import type { AnalyzedText } from '../knowledge/analyzer.js';
import { normalizeForMatching } from '../text/normalize.js';
import { pickedNumber, type CommandWords } from './commands.js';
import { choiceViews, findClicked, newMenuId, openMenu, retireMenu } from './menus.js';
import { lookUpPersonalStatus, type StatusAnswer } from './personal-status.js';
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
  PastMenu,
  Reply,
  StartEntity,
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
  /** A flow left alone this long expires (default 30 minutes), unless its step says it is resumable longer. */
  idleTimeoutMs?: number;
  /** Handed to flows (default: silent). */
  logger?: Logger;
  /** Told each matcher decision (metrics). */
  onMatch?(match: MatchResult): void;
}

export const HISTORY_LIMIT = 30;
/** Assistant lines are kept this long in the history: agents need the gist, not every answer in full. */
const ASSISTANT_LINE_LIMIT = 240;
const RECENT_TOPICS_LIMIT = 5;
const INVALID_BEFORE_HUMAN = 3;
const DEFAULT_IDLE_MS = 30 * 60 * 1000;
const FALLBACK_FLOOR = 0.12;
const SILENT = pino({ level: 'silent' });
/** How sure the matcher must be before a message inside a flow is taken for a new question. */
const CLEAR_QUESTION_PROBABILITY = 0.45;

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

/** Declined as out of scope because the "none of these" class beat every topic, not merely for low coverage. */
function outOfScopeClassWon(match: MatchResult): boolean {
  const best = match.candidates[0];
  return match.reason === 'out-of-scope' && (best === undefined || match.outOfScope >= best.probability);
}

/** Conversations are per channel and user, so ids from different channels never collide. */
export function conversationIdOf(message: Pick<InboundMessage, 'channel' | 'userId'>): string {
  return `${message.channel}:${message.userId}`;
}

/**
 * One turn of the conversation: the user's message in, replies out. Pure with respect to
 * storage: it takes the state and returns the next state; the caller persists it. The state is
 * changed in place (a copy of 8 KB of history cost a tenth of the turn), so the caller hands
 * over an object it owns: the one just read from the store, which nobody else holds.
 */
export async function handleTurn(
  state: ConversationState,
  message: InboundMessage,
  deps: EngineDeps,
  now: Date,
): Promise<{ state: ConversationState; result: TurnResult }> {
  const turn = new Turn(state, message, deps, now);
  await turn.run();
  return turn.finish();
}

class Turn {
  private readonly replies: Reply[] = [];
  private choices: Choice[] = [];
  /** What each of `choices` does when the engine offered them itself; unset for a flow step's options. */
  private choiceActions: OfferedChoice[] | undefined;
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
    if (this.message.action) {
      retireMenu(this.state);
      return this.runChoice(this.message.action);
    }

    const analyzed = this.analyzed();
    const menu = retireMenu(this.state);
    if (this.message.choiceId) return this.runClicked(this.message.choiceId, menu);
    const picked = this.pickOffered(menu?.options ?? [], analyzed.normalized);
    if (picked) return this.runChoice(picked.action, menu);

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
    // A flow asked for by name ("绑定账号") starts at once, without a knowledge answer before it.
    const analyzed = this.analyzed();
    const asked = [...this.deps.flows.values()].find((flow) => flow.askedFor?.(analyzed.normalized));
    if (asked) return this.startFlow(asked.name, { entities: analyzed.entities, text: this.text });
    return this.answerQuestion();
  }

  finish(): { state: ConversationState; result: TurnResult } {
    const top = this.state.flows.at(-1);
    const menuId = newMenuId();
    if (this.choices.length > 0) {
      if (this.choiceActions) openMenu(this.state, { id: menuId }, this.choiceActions);
      else {
        const steps = this.choices.map((choice): OfferedChoice => ({ label: choice.label, action: { kind: 'step', number: choice.number } }));
        openMenu(this.state, { id: menuId, ...(top ? { flow: top.flow, step: top.step } : {}) }, steps);
      }
      // Each option appears once: as buttons where the channel draws them, else as numbered lines.
      if (!this.message.choicesAsButtons) this.appendToLastText(this.deps.render('chat/choices', { choices: this.choices }));
    }
    for (const reply of this.replies) if (reply.type === 'text') this.remember('assistant', reply.text);
    this.state.updatedAt = this.now.toISOString();
    return {
      state: this.state,
      result: { replies: this.replies, topic: this.topic, flow: top?.flow ?? null, choices: choiceViews(menuId, this.choices) },
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
    if (entry.kind === 'triage') return this.triage(entry);
    if (entry.kind === 'near-domain') return this.declineNearDomain(entry);
    const personal = entry.status ? await lookUpPersonalStatus(entry.status, this.state, this.deps) : undefined;
    this.say(personal?.text ?? this.deps.render('chat/answer', { answer: entry.answer, title: entry.title }));
    if (entry.kind === 'status') return this.offerAfterStatus(entry, personal);
    if (entry.kind === 'small-talk') return;
    this.topic = entry.id;
    this.state.recentTopics = [entry.id, ...this.state.recentTopics.filter((id) => id !== entry.id)].slice(0, RECENT_TOPICS_LIMIT);
    const flow = entry.flow;
    if (!flow || !this.deps.flows.has(flow.name)) return;
    if (flow.start === 'auto') {
      // A new subject replaces whatever procedure was under way; flows stack only for sub-procedures.
      this.state.flows = [];
      await this.startFlow(flow.name, { entities: analyzed?.entities, text: this.text, topic: entry.id });
    } else {
      this.say(this.deps.render('chat/offer-flow', { flow: flow.name, buttons: this.message.choicesAsButtons === true }));
      this.offer([{ label: this.deps.render('chat/choice-start-flow', { flow: flow.name }), action: { kind: 'flow', flow: flow.name } }]);
    }
  }

  /** A vague complaint: one short question, the likely causes as choices; or straight to a human. */
  private async triage(entry: KnowledgeEntry): Promise<void> {
    this.say(this.deps.render('chat/answer', { answer: entry.answer, title: entry.title }));
    // The user's own words and what they were recognised as travel with them to the human.
    const seed: FlowSeed = { text: this.text, topic: entry.id };
    if (entry.handoff) return this.startHuman(seed);
    const options = entry.options.flatMap((option): OfferedChoice[] => {
      if (option.topic) return [{ label: option.label, action: { kind: 'topic', topicId: option.topic } }];
      if (option.flow)
        return this.deps.flows.has(option.flow) ? [{ label: option.label, action: { kind: 'flow', flow: option.flow, seed: { text: '' } } }] : [];
      return [{ label: option.label, action: { kind: 'human', seed } }];
    });
    this.offer(options);
  }

  /** A 学信网 service this assistant does not cover: say so, and where to get help. */
  private declineNearDomain(entry: KnowledgeEntry): void {
    this.say(this.deps.render('chat/answer', { answer: entry.answer, title: entry.title }));
    this.offer([{ label: this.deps.render('chat/choice-human'), action: { kind: 'human', seed: { text: this.text } } }]);
  }

  /** With no status of their own to show, the user is offered the entry's flow (e.g. binding the chat). */
  private offerAfterStatus(entry: KnowledgeEntry, personal: StatusAnswer | undefined): void {
    const flow = entry.flow?.name;
    if (personal || !flow || !this.deps.flows.has(flow)) return;
    this.offer([{ label: this.deps.render('chat/choice-start-flow', { flow }), action: { kind: 'flow', flow } }]);
  }

  private async fallback(match: MatchResult): Promise<void> {
    const candidates = match.candidates
      // Services we do not cover are offered too: picking one gets the honest answer, not a guess.
      .filter((c) => (c.kind === 'faq' || c.kind === 'near-domain') && c.score >= FALLBACK_FLOOR)
      .slice(0, 3)
      .map((c) => this.deps.knowledge.byId.get(c.id)!);
    // "Not something I cover" only when the out-of-scope class itself won; when the question was
    // merely wordy (low coverage) and a topic leads, the honest wording is "not sure which".
    const outOfScope = candidates.length === 0 || outOfScopeClassWon(match);
    this.say(
      this.deps.render('chat/fallback', { outOfScope, hasCandidates: candidates.length > 0, buttons: this.message.choicesAsButtons === true }),
    );
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
    // The flows that declared they can start from this kind of entity, in registration order.
    const flowChoices = (entity: StartEntity): OfferedChoice[] =>
      [...this.deps.flows.values()]
        .filter((flow) => flow.startsFrom.includes(entity))
        .map((flow) => ({ label: this.deps.render('chat/choice-start-flow', { flow: flow.name }), action: { kind: 'flow', flow: flow.name, seed } }));
    const human: OfferedChoice = { label: this.deps.render('chat/choice-human'), action: { kind: 'human' } };
    if (idNumbers.length > 0) {
      this.say(this.deps.render('chat/entity-only', { kind: 'id', masked: maskIdNumber(idNumbers[0]!.value) }));
      this.offer([...flowChoices('idNumber'), human]);
      return true;
    }
    if (phones.length > 0 || emails.length > 0) {
      const masked = phones.length > 0 ? maskPhone(phones[0]!) : maskEmail(emails[0]!);
      this.say(this.deps.render('chat/entity-only', { kind: phones.length > 0 ? 'phone' : 'email', masked }));
      this.offer([...flowChoices(phones.length > 0 ? 'phone' : 'email'), human]);
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
    const options: OfferedChoice[] = [...this.deps.flows.values()]
      .filter((flow) => flow.acceptsImages)
      .map((flow) => ({ label: this.deps.render('chat/choice-start-flow', { flow: flow.name }), action: { kind: 'flow', flow: flow.name } }));
    options.push({ label: this.deps.render('chat/choice-human'), action: { kind: 'human' } });
    this.offer(options);
  }

  // ---- offered choices ----

  private pickOffered(offered: OfferedChoice[], normalized: string): OfferedChoice | undefined {
    if (offered.length === 0 || !normalized) return undefined;
    const number = pickedNumber(normalized);
    if (number !== undefined) return offered[number - 1];
    return offered.find((choice) => normalizeForMatching(choice.label) === normalized);
  }

  /** A click on an offered option, by id: the open menu's, an older one's, or one we no longer know. */
  private async runClicked(choiceId: string, current: PastMenu | undefined): Promise<void> {
    const clicked = findClicked(choiceId, current, this.state);
    if (clicked.kind === 'current') return this.runChoice(clicked.option.action, clicked.menu);
    if (clicked.kind === 'stale' && (await this.runStale(clicked.option, clicked.menu))) return;
    return this.menuGone(current);
  }

  /**
   * An option from a menu that is no longer open. It is answered for what it was when that still
   * means the same thing now; it never stands for the option with its number in a newer menu.
   */
  private async runStale(option: OfferedChoice, menu: PastMenu): Promise<boolean> {
    const top = this.state.flows.at(-1);
    const action = option.action;
    switch (action.kind) {
      case 'topic': {
        const entry = this.deps.knowledge.byId.get(action.topicId);
        if (!entry) return false;
        if (!top) {
          await this.answerWith(entry);
          return true;
        }
        await this.answerInPassing(entry, top);
        return true;
      }
      case 'human':
        await this.startHuman(action.seed);
        return true;
      case 'flow':
        if (top) return false;
        await this.startFlow(action.flow, action.seed ?? { text: '' });
        return true;
      case 'continue':
        if (!top) return false;
        this.promptAgain(this.definition(top), top);
        return true;
      case 'leave':
        return false;
      case 'step': {
        // Still the same question of the same flow: the option means what it meant then.
        if (!top || top.flow !== menu.flow || top.step !== menu.step) return false;
        const now = this.definition(top).choices?.(this.context(), top);
        const same = now ? now.find((choice) => choice.label === option.label) : { number: action.number };
        if (!same) return false;
        await this.continueFlow(undefined, String(same.number));
        return true;
      }
    }
  }

  /** The clicked menu has gone: say so, and show what is open now. */
  private menuGone(current: PastMenu | undefined): void {
    const top = this.state.flows.at(-1);
    const reoffer = !top && current && current.options.every((option) => option.action.kind !== 'step') ? current.options : undefined;
    this.say(this.deps.render('chat/menu-gone', { showingCurrent: Boolean(top || reoffer) }));
    if (top) return this.promptAgain(this.definition(top), top);
    if (reoffer) this.offer(reoffer);
  }

  private async runChoice(action: OfferedChoice['action'], menu?: PastMenu): Promise<void> {
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
        return this.startHuman(action.seed);
      case 'continue': {
        this.state.invalidStreak = 0;
        const top = this.state.flows.at(-1);
        if (top) this.promptAgain(this.definition(top), top);
        return;
      }
      case 'leave':
        return this.leaveFlow();
      case 'step': {
        const top = this.state.flows.at(-1);
        // The flow that offered this menu ended meanwhile (e.g. it expired): the option has gone with it.
        if (!top || top.flow !== menu?.flow || top.step !== menu.step) return this.menuGone(undefined);
        return this.continueFlow(undefined, String(action.number));
      }
    }
  }

  /** The engine's own options, each with what it does. */
  private offer(options: OfferedChoice[]): void {
    this.choiceActions = options;
    this.choices = options.map((option, index) => ({ number: index + 1, label: option.label }));
  }

  /** A flow step's options: picking one hands its number to the step. */
  private showStepChoices(choices: Choice[] | undefined): void {
    this.choiceActions = undefined;
    this.choices = choices ?? [];
  }

  // ---- flows ----

  /** `pickedOption`: the number of a step option the user clicked, given to the step instead of the text. */
  private async continueFlow(command: ReturnType<CommandWords['command']>, pickedOption?: string): Promise<void> {
    const top = this.state.flows.at(-1)!;
    const definition = this.definition(top);
    if (command === 'cancel') return this.leaveFlow();
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
    const secret = definition.secretInput?.(this.context(), top) ?? false;
    if (secret && this.userEntry) this.userEntry.text = this.deps.render('chat/history-secret');
    if (pickedOption === undefined && !secret) {
      const question = this.clearQuestionFor(top, definition);
      if (question) return this.answerInPassing(question, top);
    }
    const analyzed = pickedOption === undefined ? this.analyzed() : this.deps.matcher.analyzer.analyze(pickedOption);
    const outcome = await definition.handle(this.context(), top, {
      kind: 'message',
      text: pickedOption ?? this.text,
      normalized: analyzed.normalized,
      entities: analyzed.entities,
      image: pickedOption === undefined ? this.message.image : undefined,
      aboutOtherTopic: () => pickedOption === undefined && this.plainlyAboutOtherTopic(),
    });
    if (outcome.status === 'invalid' && pickedOption === undefined) return this.handleInvalid(top, definition, outcome);
    this.state.invalidStreak = 0;
    await this.apply(outcome);
    if (outcome.status === 'release' && this.state.flows.length === 0) await this.handleOutsideFlow();
  }

  /** Input the flow could not use: maybe a question to answer in passing, else count the miss. */
  private async handleInvalid(top: FlowState, definition: FlowDefinition, outcome: FlowOutcome & { status: 'invalid' }): Promise<void> {
    const match = this.text && !this.message.image ? this.match() : undefined;
    const best = match?.candidates[0];
    // Not an answer to the step, but something we know (a question, small talk): answer it in passing.
    if (match?.confident && best && best.kind !== 'triage') return this.answerInPassing(this.deps.knowledge.byId.get(best.id)!, top);
    this.state.flows[this.state.flows.length - 1] = outcome.state;
    this.state.invalidStreak += 1;
    this.sayAll(outcome.replies);
    if (outcome.choices) this.showStepChoices(outcome.choices);
    if (this.state.invalidStreak >= INVALID_BEFORE_HUMAN) {
      this.say(this.deps.render('chat/offer-human'));
      this.offer([
        { label: this.deps.render('chat/choice-human'), action: { kind: 'human' } },
        { label: this.deps.render('chat/choice-continue', { flow: top.flow }), action: { kind: 'continue' } },
        { label: this.deps.render('chat/choice-leave', { flow: top.flow }), action: { kind: 'leave' } },
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
        if (outcome.choices) this.showStepChoices(outcome.choices);
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
        if (finished && this.deps.flows.get(finished.flow)?.isHumanHandoff && typeof ticketId === 'string') {
          // The conversation now belongs to a human agent until the ticket is closed.
          this.state.flows = [];
          this.state.handoff = { ticketId, since: this.now.toISOString() };
          this.state.lastTicketId = ticketId;
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
    this.showStepChoices(definition.choices?.(this.context(), state));
  }

  private leaveFlow(): void {
    const top = this.state.flows.at(-1);
    this.state.flows = [];
    this.state.invalidStreak = 0;
    if (top) this.say(this.deps.render('chat/flow-cancelled', { flow: top.flow }));
    else this.say(this.deps.render('chat/nothing-to-cancel'));
  }

  /**
   * A message in a flow that is clearly a new question rather than the step's answer, decided
   * before the step sees it: it is worded as a question, the matcher is sure of it, it names
   * another subject than the flow's own, and it carries nothing the step wants (an entity it
   * expects, an option's number or label). A step that declares what it expects (`expects`) is
   * protected this way for every message; a step that does not, only where a question could be
   * misread as a pick (it offers options and the question shares words with one: "短信验证码收不到
   * 怎么办" at the method menu must not send a code). Everything else goes to the step first; what
   * it cannot use is answered afterwards (`handleInvalid`), and a step may hand a message back
   * (`release`). Small talk is left to the step ("好的" may answer a yes/no question).
   */
  private clearQuestionFor(top: FlowState, definition: FlowDefinition): KnowledgeEntry | undefined {
    if (!this.text || this.message.image) return undefined;
    const expects = definition.expects?.(top);
    if (expects?.freeText || (!expects && definition.isHumanHandoff)) return undefined;
    const options = definition.choices?.(this.context(), top) ?? [];
    if (!expects && options.length === 0) return undefined;
    const analyzed = this.analyzed();
    const { idNumbers, phones, emails, codes } = analyzed.entities;
    const carries = { idNumber: idNumbers.length > 0, phone: phones.length > 0, email: emails.length > 0, code: codes.length > 0 };
    const wanted = expects?.entities ?? (['idNumber', 'phone', 'email', 'code'] as const);
    if (wanted.some((kind) => carries[kind])) return undefined;
    if (pickedNumber(analyzed.normalized) !== undefined) return undefined;
    if (options.some((option) => normalizeForMatching(option.label) === analyzed.normalized)) return undefined;
    // Worded as a question: "不知道用户名" answers the step, "学信网客服电话多少" does not.
    if (!this.deps.commands.looksLikeQuestion(this.text, analyzed.normalized)) return undefined;
    if (!expects && !this.sharesWordWith(options, analyzed)) return undefined;
    const match = this.match();
    const best = match.candidates[0];
    if (!match.confident || !best || best.probability < CLEAR_QUESTION_PROBABILITY) return undefined;
    if (best.kind === 'small-talk' || best.kind === 'triage') return undefined;
    const entry = this.deps.knowledge.byId.get(best.id)!;
    // A question about the flow's own subject ("用户名也忘了" while resetting a password) is the step's business.
    return entry.flow?.name === top.flow ? undefined : entry;
  }

  /**
   * The message is plainly about something else: out of scope, a service we do not cover, or a
   * topic that does not start a flow of its own ("注册时提示手机号码已被注册", "给客服发邮件要写哪些内容").
   * Topics that start a flow at once ("不知道用户名") stay the step's business.
   */
  private plainlyAboutOtherTopic(): boolean {
    if (!this.text || this.message.image) return false;
    const match = this.match();
    const best = match.candidates[0];
    if (match.reason === 'out-of-scope') return outOfScopeClassWon(match);
    if (!match.confident || !best || best.probability < CLEAR_QUESTION_PROBABILITY) return false;
    if (best.kind === 'near-domain') return true;
    return best.kind === 'faq' && this.deps.knowledge.byId.get(best.id)?.flow?.start !== 'auto';
  }

  private sharesWordWith(options: Choice[], analyzed: AnalyzedText): boolean {
    const optionWords = new Set(options.flatMap((option) => this.deps.matcher.analyzer.analyze(option.label).words));
    return analyzed.words.some((word) => optionWords.has(word));
  }

  /**
   * Answers a question asked in the middle of a flow, then asks the step's question again with
   * its options: the user goes on by answering it, or leaves with "取消" (the line says so).
   */
  private async answerInPassing(entry: KnowledgeEntry, top: FlowState): Promise<void> {
    const personal = entry.status ? await lookUpPersonalStatus(entry.status, this.state, this.deps) : undefined;
    this.say(personal?.text ?? this.deps.render('chat/answer', { answer: entry.answer, title: entry.title }));
    if (entry.kind === 'faq') this.topic = entry.id;
    this.say(this.deps.render('chat/flow-resume', { flow: top.flow }));
    this.promptAgain(this.definition(top), top);
  }

  private expireIdleFlow(): void {
    const top = this.state.flows.at(-1);
    if (!top) return;
    const idle = this.now.getTime() - Date.parse(this.state.updatedAt);
    if (idle <= (this.deps.idleTimeoutMs ?? DEFAULT_IDLE_MS)) return;
    // A step waiting for a code stays open for as long as the code the user holds is valid.
    const resumableUntil = this.deps.flows.get(top.flow)?.resumableUntil?.(top);
    if (resumableUntil && Date.parse(resumableUntil) > this.now.getTime()) return;
    this.state.flows = [];
    this.state.invalidStreak = 0;
    this.say(this.deps.render('chat/flow-expired', { flow: top.flow, minutes: Math.round((this.deps.idleTimeoutMs ?? DEFAULT_IDLE_MS) / 60000) }));
  }

  // ---- human help ----

  private async startHuman(seed?: FlowSeed): Promise<void> {
    this.state.flows = [];
    const human = [...this.deps.flows.values()].find((flow) => flow.isHumanHandoff);
    if (this.deps.helpdesk && human) {
      return this.startFlow(human.name, seed ?? { text: '', topic: this.state.recentTopics[0] });
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
      // Flows act for this conversation's user only: the core takes the end user from here, never from input.
      core: this.deps.core.forEndUser(this.state.conversationId, this.message.clientAddress ? { address: this.message.clientAddress } : undefined),
      helpdesk: this.deps.helpdesk,
      publicUrl: this.deps.publicUrl,
      history: this.state.history,
      recentTopics: this.state.recentTopics,
      logger: this.deps.logger ?? SILENT,
      buttons: this.message.choicesAsButtons === true,
      ...(this.message.clientAddress ? { clientAddress: this.message.clientAddress } : {}),
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

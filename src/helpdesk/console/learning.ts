import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { LEARNED_DIR, learnedFileSchema, loadKnowledge, type KnowledgeBase } from '../../knowledge/loader.js';
import type { Matcher } from '../../knowledge/matcher.js';
import type { MessageBus } from '../../coordination/message-bus.js';
import type { CollectionSchema, IndexedCollection, Page, Storage } from '../../storage/types.js';
import type { Result } from '../../domain/result.js';

/**
 * A question from the unanswered report that an agent acted on: attached to a topic as a new
 * example (`proposed`, then `accepted` or `rejected` by an admin), or marked as a content gap.
 */
export interface LearningItem {
  id: string;
  question: string;
  kind: 'example' | 'gap';
  /** The topic the example should teach; `null` for a content gap. */
  topic: string | null;
  state: 'proposed' | 'accepted' | 'rejected' | 'gap';
  proposedBy: string;
  proposedAt: string;
  decidedBy?: string;
  decidedAt?: string;
  /** A note on the gap (what the knowledge base lacks). */
  note?: string;
}

export type LearningKey = 'state' | 'question';

const LEARNING_LIST: CollectionSchema<LearningItem, LearningKey> = {
  keys: ['state', 'question'],
  index: (item) => ({ state: item.state, question: normalizeQuestion(item.question) }),
  order: (item) => item.proposedAt,
};

export const proposalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('example'), question: z.string().trim().min(2).max(500), topic: z.string().trim().min(1).max(100) }).strict(),
  z.object({ kind: z.literal('gap'), question: z.string().trim().min(2).max(500), note: z.string().trim().max(500).optional() }).strict(),
]);
export type Proposal = z.infer<typeof proposalSchema>;

export type LearningFailure = 'unknown-topic' | 'not-found' | 'already-decided' | 'knowledge-invalid';
export type LearningResult<T> = Result<T, LearningFailure, { message: string }>;

export interface LearningDeps {
  storage: Storage;
  knowledgeDir: string;
  /** The running knowledge base and matcher: refreshed in place when an example is accepted. */
  knowledge: KnowledgeBase;
  matcher: Matcher;
  clock: () => Date;
  /**
   * Tells the other instances (sharing the knowledge folder) to reload after an accepted example;
   * absent: this instance only.
   */
  bus?: MessageBus;
  /** Told when a reload announced by another instance fails (the files stay as they are). */
  onReloadError?: (error: unknown) => void;
}

const RELOAD_CHANNEL = 'knowledge-reload';
const reloadNoticeSchema = z.object({ from: z.string() });

/**
 * Learning from unanswered questions. Agents propose; an admin accepts an example, which is
 * appended to `knowledge/learned/<topic>.yaml` (read by the knowledge loader as more questions of
 * that topic), and the matcher reloads at once. A file that would not load is put back as it was.
 */
export class LearningDesk {
  private readonly items: IndexedCollection<LearningItem, LearningKey>;
  private readonly instance = randomUUID();

  constructor(private readonly deps: LearningDeps) {
    this.items = deps.storage.collection('helpdesk-learning', LEARNING_LIST);
  }

  /** Listens for reloads announced by other instances; resolves with the function that stops listening. */
  async listen(): Promise<() => void> {
    if (!this.deps.bus) return () => undefined;
    return this.deps.bus.subscribe(RELOAD_CHANNEL, (message) => {
      const notice = reloadNoticeSchema.safeParse(message);
      if (!notice.success || notice.data.from === this.instance) return;
      try {
        this.reload();
      } catch (error) {
        this.deps.onReloadError?.(error);
      }
    });
  }

  private reload(): void {
    const fresh = loadKnowledge(this.deps.knowledgeDir);
    this.deps.matcher.reload(fresh);
    Object.assign(this.deps.knowledge, fresh);
  }

  async propose(proposal: Proposal, agent: string): Promise<LearningResult<LearningItem>> {
    if (proposal.kind === 'example' && this.deps.knowledge.byId.get(proposal.topic)?.kind !== 'faq') return { ok: false, error: 'unknown-topic' };
    const item: LearningItem = {
      id: randomUUID(),
      question: proposal.question,
      kind: proposal.kind,
      topic: proposal.kind === 'example' ? proposal.topic : null,
      state: proposal.kind === 'example' ? 'proposed' : 'gap',
      proposedBy: agent,
      proposedAt: this.deps.clock().toISOString(),
      ...(proposal.kind === 'gap' && proposal.note ? { note: proposal.note } : {}),
    };
    await this.items.put(item.id, item);
    return { ok: true, value: item };
  }

  /** Newest first, by state. */
  list(state: LearningItem['state'], cursor?: string): Promise<Page<LearningItem>> {
    return this.items.page({ where: { state }, descending: true, limit: 100, cursor });
  }

  /** What was already done with a question (for the unanswered report's marks). */
  async marksOf(questions: string[]): Promise<Map<string, LearningItem>> {
    const marks = new Map<string, LearningItem>();
    await Promise.all(
      questions.map(async (question) => {
        const page = await this.items.page({ where: { question: normalizeQuestion(question) }, descending: true, limit: 1 });
        if (page.items[0]) marks.set(question, page.items[0]);
      }),
    );
    return marks;
  }

  counts(): Promise<Record<string, number>> {
    return this.items.counts('state');
  }

  async decide(id: string, admin: string, accept: boolean): Promise<LearningResult<LearningItem>> {
    const item = await this.items.get(id);
    if (!item || item.kind !== 'example' || !item.topic) return { ok: false, error: 'not-found' };
    if (item.state !== 'proposed') return { ok: false, error: 'already-decided' };
    if (accept) {
      const written = this.writeExample(item.topic, item.question);
      if (!written.ok) return written;
    }
    const decided: LearningItem = { ...item, state: accept ? 'accepted' : 'rejected', decidedBy: admin, decidedAt: this.deps.clock().toISOString() };
    await this.items.put(id, decided);
    if (accept) await this.deps.bus?.publish(RELOAD_CHANNEL, { from: this.instance });
    return { ok: true, value: decided };
  }

  /** Appends the question to the topic's learned file, reloads the knowledge, and rolls back when it does not load. */
  private writeExample(topic: string, question: string): LearningResult<void> {
    const dir = path.join(this.deps.knowledgeDir, LEARNED_DIR);
    const file = path.join(dir, `${topic.replace(/[^\w.-]/g, '_')}.yaml`);
    const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    const current = before === undefined ? { topic, questions: [] } : learnedFileSchema.parse(YAML.parse(before));
    if (!current.questions.includes(question)) current.questions.push(question);
    mkdirSync(dir, { recursive: true });
    const header = '# Questions agents attached to this topic from the unanswered report, accepted in the console.\n';
    writeAtomically(file, header + YAML.stringify(current));
    try {
      this.reload();
      return { ok: true, value: undefined };
    } catch (error) {
      if (before === undefined) rmSync(file, { force: true });
      else writeAtomically(file, before);
      return { ok: false, error: 'knowledge-invalid', message: (error as Error).message };
    }
  }
}

function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text, 'utf8');
  renameSync(temp, file);
}

function normalizeQuestion(question: string): string {
  return question.trim().replace(/\s+/g, ' ').toLowerCase().slice(0, 200);
}

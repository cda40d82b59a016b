import { z } from 'zod';
import { InProcessMessageBus, type MessageBus } from '../../coordination/message-bus.js';
import type { Reply } from '../../conversation/types.js';
import type { DocumentStore } from '../../storage/types.js';

/** An option shown as a button; `id` ties a click to the menu that offered it. */
export interface ChoiceButton {
  id?: string;
  number: number;
  label: string;
}

/**
 * One message on a web chat page: what the user sent, what the assistant answered in that turn,
 * or what an agent sent later. Text is kept as the conversation record keeps it (redacted).
 */
export interface ChatEntry {
  seq: number;
  at: string;
  from: 'user' | 'assistant' | 'agent';
  replies: Reply[];
  choices?: ChoiceButton[];
}

const replySchema = z.union([z.object({ type: z.literal('text'), text: z.string() }), z.object({ type: z.literal('image'), url: z.string() })]);

const entrySchema = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  from: z.enum(['user', 'assistant', 'agent']),
  replies: z.array(replySchema),
  choices: z.array(z.object({ id: z.string().optional(), number: z.number().int(), label: z.string() })).optional(),
});

const historySchema = z.object({ nextSeq: z.number().int().positive(), entries: z.array(entrySchema) });

type HistoryDocument = z.infer<typeof historySchema>;

/** Entries kept per visitor: enough to restore the conversation a page shows. */
const KEEP = 100;

/**
 * The conversation each web chat visitor sees, persisted so a reload shows it again (and a reply
 * an agent sent while the page was closed is there when it opens). Live pages hear about agent
 * messages at once through `subscribe`.
 */
export class WebChatHistory {
  /** Subscriptions still being confirmed, per visitor: reading what was missed waits for them. */
  private readonly subscribing = new Map<string, Promise<unknown>>();

  /**
   * `bus`: how an agent message reaches the visitor's open pages; shared between instances
   * (Redis) so the page may stream from another instance than the one the agent used.
   */
  constructor(
    private readonly store: DocumentStore<unknown>,
    private readonly bus: MessageBus = new InProcessMessageBus(),
    /** Told when a stored history does not parse (that visitor then starts with an empty one). */
    private readonly onUnreadable: () => void = () => {},
  ) {}

  /** Appends entries (their `seq` is assigned here) and returns them as stored. */
  async append(userId: string, entries: Omit<ChatEntry, 'seq'>[]): Promise<ChatEntry[]> {
    const added: ChatEntry[] = [];
    await this.store.update(userId, (current) => {
      const history = this.parse(current);
      for (const entry of entries) {
        const stored = { ...entry, seq: history.nextSeq };
        history.nextSeq += 1;
        history.entries.push(stored);
        added.push(stored);
      }
      history.entries = history.entries.slice(-KEEP);
      return history;
    });
    // The entry is stored: a page that misses the live push (bus unreachable) gets it from /chat/updates.
    for (const entry of added) if (entry.from === 'agent') await this.bus.publish(channelOf(userId), entry).catch(() => undefined);
    return added;
  }

  /** An agent's message, pushed to the visitor's open pages. */
  async pushAgentMessage(userId: string, replies: Reply[], now: Date): Promise<ChatEntry> {
    const [entry] = await this.append(userId, [{ at: now.toISOString(), from: 'agent', replies }]);
    return entry!;
  }

  /** Every kept entry, oldest first. */
  async all(userId: string): Promise<ChatEntry[]> {
    return this.parse(await this.store.get(userId)).entries;
  }

  /** Agent messages with a sequence number above `after` (what a page has not seen yet). */
  async agentMessagesSince(userId: string, after: number): Promise<ChatEntry[]> {
    // A page subscribes and then reads what it missed: once its subscription is live, nothing
    // stored after this read can go unheard.
    await this.subscribing.get(userId)?.catch(() => undefined);
    return (await this.all(userId)).filter((entry) => entry.from === 'agent' && entry.seq > after);
  }

  subscribe(userId: string, listener: (entry: ChatEntry) => void): () => void {
    const subscribed = this.bus.subscribe(channelOf(userId), (message) => {
      const parsed = entrySchema.safeParse(message);
      if (parsed.success) listener(parsed.data);
    });
    this.subscribing.set(userId, subscribed);
    subscribed
      .finally(() => {
        if (this.subscribing.get(userId) === subscribed) this.subscribing.delete(userId);
      })
      .catch(() => undefined);
    return () => void subscribed.then((unsubscribe) => unsubscribe()).catch(() => undefined);
  }

  /** A document that does not parse starts over rather than failing every request of that visitor. */
  private parse(document: unknown): HistoryDocument {
    if (document === undefined) return { nextSeq: 1, entries: [] };
    const parsed = historySchema.safeParse(document);
    if (parsed.success) return parsed.data;
    this.onUnreadable();
    return { nextSeq: 1, entries: [] };
  }
}

function channelOf(userId: string): string {
  return `web-chat:${userId}`;
}

import { EventEmitter } from 'node:events';
import type { Reply } from '../../conversation/types.js';
import type { DocumentStore } from '../../storage/types.js';

/** A message pushed to a web chat user outside a turn (e.g. an agent's reply). */
export interface WebPush {
  seq: number;
  at: string;
  replies: Reply[];
}

interface InboxDocument {
  userId: string;
  nextSeq: number;
  messages: WebPush[];
}

const KEEP = 50;

/**
 * Messages waiting for a web chat user. Persisted, so a reply sent while the page was closed
 * is shown when it opens again; live pages are told at once through `subscribe`.
 */
export class WebInbox {
  private readonly events = new EventEmitter();

  constructor(private readonly store: DocumentStore<InboxDocument>) {
    this.events.setMaxListeners(0);
  }

  async push(userId: string, replies: Reply[], now = new Date()): Promise<WebPush> {
    let pushed: WebPush | undefined;
    await this.store.update(userId, (doc) => {
      const inbox = doc ?? { userId, nextSeq: 1, messages: [] };
      pushed = { seq: inbox.nextSeq, at: now.toISOString(), replies };
      inbox.nextSeq += 1;
      inbox.messages = [...inbox.messages, pushed].slice(-KEEP);
      return inbox;
    });
    this.events.emit(userId, pushed);
    return pushed!;
  }

  /** Messages with a sequence number above `after`. */
  async since(userId: string, after: number): Promise<WebPush[]> {
    const inbox = await this.store.get(userId);
    return (inbox?.messages ?? []).filter((message) => message.seq > after);
  }

  subscribe(userId: string, listener: (message: WebPush) => void): () => void {
    this.events.on(userId, listener);
    return () => this.events.off(userId, listener);
  }
}

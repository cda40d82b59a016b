import type { DocumentStore } from '../../storage/types.js';

/** One pushed message we have accepted, kept just long enough to recognise WeChat's retries. */
export interface DeliveryRecord {
  /** `msg-<MsgId>` or `event-<openid>-<CreateTime>`; also the document id. */
  key: string;
  status: 'processing' | 'answered';
  expiresAt: string;
}

/**
 * How long a MsgId (or event key) is remembered. WeChat retries three times within about 15 s;
 * the window must also outlast the timestamp tolerance (5 minutes), so that a captured request
 * replayed while its timestamp is still accepted is recognised as a duplicate.
 */
export const DELIVERY_TTL_MS = 10 * 60 * 1000;

/** Exactly-once bookkeeping for inbound WeChat messages, in the store, with expiry. */
export class DeliveryLedger {
  constructor(
    private readonly store: DocumentStore<DeliveryRecord>,
    private readonly clock: () => Date,
    private readonly ttlMs = DELIVERY_TTL_MS,
  ) {}

  /** Claims a delivery; `false` when it was seen before and has not expired. Atomic per key. */
  async claim(key: string): Promise<boolean> {
    let claimed = false;
    await this.store.update(key, (current) => {
      if (current && !this.expired(current)) return current;
      claimed = true;
      return { key, status: 'processing', expiresAt: new Date(this.clock().getTime() + this.ttlMs).toISOString() };
    });
    return claimed;
  }

  async markAnswered(key: string): Promise<void> {
    await this.store.update(key, (current) => (current ? { ...current, status: 'answered' } : current));
  }

  /** Deletes expired records, so the store holds only the last few minutes of traffic. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const record of await this.store.list()) {
      if (!this.expired(record)) continue;
      await this.store.update(record.key, (current) => (current && this.expired(current) ? undefined : current));
      removed++;
    }
    return removed;
  }

  private expired(record: DeliveryRecord): boolean {
    return new Date(record.expiresAt).getTime() <= this.clock().getTime();
  }
}

import type { CollectionSchema, IndexedCollection } from '../../storage/types.js';

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

/**
 * Exactly-once bookkeeping for inbound WeChat messages: the document-store ledger below on one
 * instance, a Redis one (src/coordination/redis-delivery-ledger.ts) when several share the traffic.
 */
export interface DeliveryClaims {
  /** Claims a delivery; `false` when it was seen before and has not expired. Atomic per key. */
  claim(key: string): Promise<boolean>;
  markAnswered(key: string): Promise<void>;
  /** Deletes expired records; returns how many. */
  sweep(): Promise<number>;
}

/** Delivery records in expiry order, so a sweep reads only what has expired. */
export const DELIVERY_RECORDS: CollectionSchema<DeliveryRecord, never> = {
  keys: [],
  index: () => ({}),
  order: (record) => record.expiresAt,
};

/** Pages of expired records deleted per sweep step. */
const SWEEP_PAGE = 200;

/** Exactly-once bookkeeping for inbound WeChat messages, in the store, with expiry. */
export class DeliveryLedger implements DeliveryClaims {
  constructor(
    private readonly store: IndexedCollection<DeliveryRecord, never>,
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
    for (;;) {
      const { items } = await this.store.page({ orderBefore: this.clock().toISOString(), limit: SWEEP_PAGE });
      for (const record of items) {
        await this.store.update(record.key, (current) => (current && this.expired(current) ? undefined : current));
        removed++;
      }
      if (items.length < SWEEP_PAGE) return removed;
    }
  }

  private expired(record: DeliveryRecord): boolean {
    return new Date(record.expiresAt).getTime() <= this.clock().getTime();
  }
}

import { z } from 'zod';
import type { ImageMime } from '../../media/image-type.js';
import type { CollectionSchema, IndexedCollection, Storage } from '../../storage/types.js';

/** A screenshot received during the escalate flow, kept until the ticket is created. */
export interface StashedImage {
  id: string;
  name: string;
  type: ImageMime;
  /** Base64. */
  data: string;
}

/** The stash of one conversation, with the time it was last touched (what expiry counts from). */
interface StashDocument {
  conversationId: string;
  images: StashedImage[];
  touchedAt: string;
}

const stashedImageSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['image/png', 'image/jpeg', 'image/gif']),
  data: z.string(),
});
const stashDocumentSchema = z.object({ conversationId: z.string(), images: z.array(stashedImageSchema), touchedAt: z.string() });

/** Stashes untouched this long belong to escalations the user walked away from. */
export const UPLOAD_STASH_TTL_MS = 24 * 60 * 60 * 1000;
/** Stashes deleted per page of a sweep: a sweep never holds more than this many documents. */
const SWEEP_PAGE = 100;

// Listed by the time they were last touched, so a sweep reads only the stashes that have expired.
const STASH_SCHEMA: CollectionSchema<StashDocument, never> = {
  keys: [],
  index: () => ({}),
  order: (stash) => stash.touchedAt,
};

export interface UploadStashOptions {
  clock?: () => Date;
  ttlMs?: number;
}

/**
 * Screenshots of an escalation in progress, one small document per conversation. Images stay
 * out of the conversation state (which is rewritten on every turn); a new escalation replaces
 * whatever an abandoned one left behind, and {@link sweep} removes stashes nobody came back to.
 */
export class UploadStash {
  private readonly store: IndexedCollection<StashDocument, never>;
  private readonly clock: () => Date;
  private readonly ttlMs: number;

  constructor(storage: Storage, options: UploadStashOptions = {}) {
    this.store = storage.collection('helpdesk-upload-stash', STASH_SCHEMA);
    this.clock = options.clock ?? (() => new Date());
    this.ttlMs = options.ttlMs ?? UPLOAD_STASH_TTL_MS;
  }

  async add(conversationId: string, image: StashedImage): Promise<void> {
    await this.store.update(conversationId, (current) => ({
      conversationId,
      images: [...this.imagesOf(current), image],
      touchedAt: this.now(),
    }));
  }

  async remove(conversationId: string, ids: string[]): Promise<void> {
    await this.store.update(conversationId, (current) => {
      const images = this.imagesOf(current).filter((image) => !ids.includes(image.id));
      return images.length > 0 ? { conversationId, images, touchedAt: this.now() } : undefined;
    });
  }

  async take(conversationId: string, ids: string[]): Promise<StashedImage[]> {
    const images = this.imagesOf(await this.store.get(conversationId));
    return ids.flatMap((id) => images.filter((image) => image.id === id));
  }

  async clear(conversationId: string): Promise<void> {
    await this.store.delete(conversationId);
  }

  /**
   * Deletes stashes untouched for longer than the TTL, a page at a time; returns how many. A
   * stash touched again between the read and the delete is kept.
   */
  async sweep(): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - this.ttlMs).toISOString();
    let removed = 0;
    for (;;) {
      const { items } = await this.store.page({ orderBefore: cutoff, limit: SWEEP_PAGE });
      for (const stash of items) {
        let deleted = false;
        await this.store.update(stash.conversationId, (current) => {
          if (current && current.touchedAt >= cutoff) return current;
          deleted = true;
          return undefined;
        });
        if (deleted) removed += 1;
      }
      if (items.length < SWEEP_PAGE) return removed;
    }
  }

  private imagesOf(current: unknown): StashedImage[] {
    // A stash that no longer parses is dropped rather than handed to a ticket.
    const parsed = stashDocumentSchema.safeParse(current);
    return parsed.success ? parsed.data.images : [];
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

import type { ImageMime } from '../../media/image-type.js';
import type { DocumentStore, Storage } from '../../storage/types.js';

/** A screenshot received during the escalate flow, kept until the ticket is created. */
export interface StashedImage {
  id: string;
  name: string;
  type: ImageMime;
  /** Base64. */
  data: string;
}

/**
 * Screenshots of an escalation in progress, one small document per conversation. Images stay
 * out of the conversation state (which is rewritten on every turn); a new escalation replaces
 * whatever an abandoned one left behind.
 */
export class UploadStash {
  private readonly store: DocumentStore<{ images: StashedImage[] }>;

  constructor(storage: Storage) {
    this.store = storage.documents('helpdesk-uploads');
  }

  async add(conversationId: string, image: StashedImage): Promise<void> {
    await this.store.update(conversationId, (current) => ({ images: [...(current?.images ?? []), image] }));
  }

  async remove(conversationId: string, ids: string[]): Promise<void> {
    await this.store.update(conversationId, (current) => {
      const images = (current?.images ?? []).filter((image) => !ids.includes(image.id));
      return images.length > 0 ? { images } : undefined;
    });
  }

  async take(conversationId: string, ids: string[]): Promise<StashedImage[]> {
    const images = (await this.store.get(conversationId))?.images ?? [];
    return ids.flatMap((id) => images.filter((image) => image.id === id));
  }

  async clear(conversationId: string): Promise<void> {
    await this.store.delete(conversationId);
  }
}

import type { DocumentStore } from '../../storage/types.js';

/** Texts WeChat refused to deliver (45015), waiting for the user's next contact. */
export interface HeldMessages {
  texts: string[];
  /** When the oldest text was held. */
  heldAt: string;
}

/** At most this many parts are kept per user; older ones give way (the newest matter most). */
const MAX_HELD_PARTS = 20;
/** Held texts older than this are dropped unread: the conversation they belonged to is long over. */
export const HELD_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** The store of held messages, keyed by openid. */
export class HeldMessageBox {
  constructor(
    private readonly store: DocumentStore<HeldMessages>,
    private readonly clock: () => Date,
  ) {}

  async hold(openid: string, texts: string[]): Promise<void> {
    if (texts.length === 0) return;
    await this.store.update(openid, (current) => {
      const live = current && !this.expired(current) ? current : undefined;
      return {
        texts: [...(live?.texts ?? []), ...texts].slice(-MAX_HELD_PARTS),
        heldAt: live?.heldAt ?? this.clock().toISOString(),
      };
    });
  }

  /** Removes and returns everything held for the user (oldest first). */
  async take(openid: string): Promise<string[]> {
    let taken: HeldMessages | undefined;
    await this.store.update(openid, (current) => {
      taken = current;
      return undefined;
    });
    return taken && !this.expired(taken) ? taken.texts : [];
  }

  private expired(held: HeldMessages): boolean {
    return this.clock().getTime() - new Date(held.heldAt).getTime() > HELD_TTL_MS;
  }
}

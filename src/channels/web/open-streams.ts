/** One key of {@link OpenStreams.openAll} and how many streams it may hold. */
export interface StreamSlot {
  key: string;
  cap: number;
}

/**
 * Counts open event streams per key (a visitor, an IP), so one client cannot hold hundreds of
 * connections. `openAll` answers a release function, or `undefined` when any key is at its cap.
 */
export class OpenStreams {
  private readonly counts = new Map<string, number>();

  /** Takes a slot under every key, or none of them. */
  openAll(slots: StreamSlot[]): (() => void) | undefined {
    if (slots.some((slot) => (this.counts.get(slot.key) ?? 0) >= slot.cap)) return undefined;
    for (const slot of slots) this.counts.set(slot.key, (this.counts.get(slot.key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const slot of slots) {
        const left = (this.counts.get(slot.key) ?? 1) - 1;
        if (left <= 0) this.counts.delete(slot.key);
        else this.counts.set(slot.key, left);
      }
    };
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

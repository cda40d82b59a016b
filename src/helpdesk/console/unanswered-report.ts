import type { Analyzer } from '../../knowledge/analyzer.js';

/** One entry of the unanswered log (`storage.log('unanswered')`). */
export interface UnansweredEntry {
  at: string;
  channel: string;
  text: string;
  candidates: string[];
}

/** Questions that fell back, grouped because they ask much the same thing. */
export interface UnansweredGroup {
  /** The most common wording. */
  example: string;
  count: number;
  /** Up to five other wordings. */
  variants: string[];
  /** Topics the matcher half-suggested, most frequent first. */
  candidates: string[];
  channels: string[];
  firstAt: string;
  lastAt: string;
}

/** Two questions belong together when their character bigrams overlap this much (Jaccard). */
const SIMILARITY = 0.45;
/** Entries read, newest first. */
export const UNANSWERED_WINDOW = 5000;

/**
 * Groups fallen-back questions by similarity (shared words and character bigrams after the
 * matcher's normalisation), largest groups first, so the knowledge base grows where users need it.
 */
export function groupUnanswered(entries: UnansweredEntry[], analyzer: Analyzer, limit = 100): UnansweredGroup[] {
  interface Cluster {
    keys: Set<string>;
    wordings: Map<string, number>;
    candidates: Map<string, number>;
    channels: Set<string>;
    firstAt: string;
    lastAt: string;
    count: number;
  }
  const clusters: Cluster[] = [];
  for (const entry of entries.slice(-UNANSWERED_WINDOW)) {
    const text = entry.text.trim();
    if (!text) continue;
    const analyzed = analyzer.analyze(text);
    const keys = new Set([...analyzed.words, ...analyzed.bigrams]);
    if (keys.size === 0) keys.add(analyzed.normalized || text);
    let best: Cluster | undefined;
    let bestScore = 0;
    for (const cluster of clusters) {
      const score = jaccard(keys, cluster.keys);
      if (score > bestScore) {
        best = cluster;
        bestScore = score;
      }
    }
    if (!best || bestScore < SIMILARITY) {
      best = { keys, wordings: new Map(), candidates: new Map(), channels: new Set(), firstAt: entry.at, lastAt: entry.at, count: 0 };
      clusters.push(best);
    }
    best.count += 1;
    best.wordings.set(text, (best.wordings.get(text) ?? 0) + 1);
    for (const id of entry.candidates) best.candidates.set(id, (best.candidates.get(id) ?? 0) + 1);
    best.channels.add(entry.channel);
    if (entry.at < best.firstAt) best.firstAt = entry.at;
    if (entry.at > best.lastAt) best.lastAt = entry.at;
  }
  return clusters
    .sort((a, b) => b.count - a.count || b.lastAt.localeCompare(a.lastAt))
    .slice(0, limit)
    .map((cluster) => {
      const wordings = [...cluster.wordings.entries()].sort((a, b) => b[1] - a[1]).map(([wording]) => wording);
      return {
        example: wordings[0]!,
        count: cluster.count,
        variants: wordings.slice(1, 6),
        candidates: [...cluster.candidates.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id),
        channels: [...cluster.channels].sort(),
        firstAt: cluster.firstAt,
        lastAt: cluster.lastAt,
      };
    });
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const key of a) if (b.has(key)) shared += 1;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}

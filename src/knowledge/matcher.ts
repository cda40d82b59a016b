import { Analyzer, type AnalyzedText } from './analyzer.js';
import { backgroundIdf } from './background-idf.js';
import type { KnowledgeBase } from './loader.js';
import { buildTopicIndex, type SparseVector, type TopicIndex } from './topic-index.js';

/** A knowledge entry and how well it fits the question (0–1). */
export interface MatchCandidate {
  id: string;
  kind: 'faq' | 'small-talk';
  score: number;
}

export interface MatchResult {
  analyzed: AnalyzedText;
  /** True when the best entry is safe to answer with; otherwise the assistant must not guess. */
  confident: boolean;
  /** Why the matcher declined, when it did. */
  reason: 'confident' | 'empty' | 'out-of-scope' | 'low-score' | 'ambiguous';
  /** Best entries first (help-center topics and small talk). */
  candidates: MatchCandidate[];
  /** How much of the question the knowledge base's vocabulary explains (0–1). */
  coverage: number;
}

/** Weights and thresholds of the ranking; defaults were fitted on phrasings not in the knowledge base. */
export interface MatcherTuning {
  weights: { bestWords: number; bestBigrams: number; centroid: number; phrase: number; coverage: number };
  /** Minimum combined score to answer. */
  threshold: number;
  /** Minimum share of the question's meaning the knowledge base must explain. */
  minCoverage: number;
  /** Minimum lead of the best entry over the runner-up, unless the score is at least `sureScore`. */
  minMargin: number;
  sureScore: number;
}

export const DEFAULT_TUNING: MatcherTuning = {
  weights: { bestWords: 0.35, bestBigrams: 0.3, centroid: 0.15, phrase: 0.1, coverage: 0.1 },
  threshold: 0.34,
  minCoverage: 0.55,
  minMargin: 0.03,
  sureScore: 0.6,
};

/**
 * Ranks knowledge entries for a question: TF-IDF cosine over canonical words and over
 * character bigrams (best single example and whole-topic centroid), key-phrase hits, and
 * vocabulary coverage, combined into one score; then decides whether it is sure enough.
 */
export class Matcher {
  readonly analyzer: Analyzer;
  private readonly index: TopicIndex;

  constructor(
    knowledge: KnowledgeBase,
    private readonly tuning: MatcherTuning = DEFAULT_TUNING,
  ) {
    this.analyzer = new Analyzer(knowledge.lexicon);
    this.index = buildTopicIndex(knowledge.entries, this.analyzer);
  }

  match(text: string): MatchResult {
    return this.rank(this.analyzer.analyze(text));
  }

  rank(analyzed: AnalyzedText): MatchResult {
    const { index, tuning } = this;
    const words = [...new Set(analyzed.words)];
    if (words.length === 0 && analyzed.normalized.length < 2) {
      return { analyzed, confident: false, reason: 'empty', candidates: [], coverage: 0 };
    }
    const query = this.queryVectors(words, analyzed.bigrams);
    const entryCount = index.entries.length;
    const bestWords = new Float64Array(entryCount);
    const bestBigrams = new Float64Array(entryCount);
    bestPerEntry(query.words, index.postingsByWord, index, 'words', bestWords);
    bestPerEntry(query.bigrams, index.postingsByBigram, index, 'bigrams', bestBigrams);

    const scored: MatchCandidate[] = [];
    for (let e = 0; e < entryCount; e += 1) {
      if (bestWords[e] === 0 && bestBigrams[e] === 0) continue;
      const centroid = dot(query.words, index.wordCentroids[e]!);
      const phrase = phraseScore(analyzed.normalized, index.phrases[e]!);
      const coverage = entryCoverage(words, index.entryVocabulary[e]!, query.weights);
      const w = tuning.weights;
      const score =
        w.bestWords * bestWords[e]! +
        w.bestBigrams * bestBigrams[e]! +
        w.centroid * centroid +
        w.phrase * phrase +
        w.coverage * coverage;
      const entry = index.entries[e]!;
      scored.push({ id: entry.id, kind: entry.kind, score: Math.min(1, score) });
    }
    scored.sort((a, b) => b.score - a.score);
    const candidates = scored.slice(0, 5);
    const coverage = query.coverage;
    const [first, second] = candidates;
    let reason: MatchResult['reason'] = 'confident';
    if (!first) reason = 'out-of-scope';
    else if (coverage < tuning.minCoverage) reason = 'out-of-scope';
    else if (first.score < tuning.threshold) reason = 'low-score';
    else if (second && first.score < tuning.sureScore && first.score - second.score < tuning.minMargin) reason = 'ambiguous';
    return { analyzed, confident: reason === 'confident', reason, candidates, coverage };
  }

  /**
   * Query vectors. Words the knowledge base never uses still count in the norm, weighted by
   * how rare they are in general Chinese, so unexplained content lowers every similarity.
   */
  private queryVectors(words: string[], grams: string[]) {
    const { index } = this;
    const weights = new Map<string, number>();
    let known = 0;
    let total = 0;
    for (const word of words) {
      const idf = index.wordIdf.get(word);
      const weight = idf ?? index.maxIdf * Math.min(1.2, Math.max(0.25, backgroundIdf(word) / 10));
      weights.set(word, weight);
      total += weight * weight;
      if (idf !== undefined) known += weight * weight;
    }
    const bigramWeights = new Map<string, number>();
    for (const gram of new Set(grams)) {
      bigramWeights.set(gram, index.bigramIdf.get(gram) ?? index.maxIdf * 0.5);
    }
    return {
      words: normalizedCopy(weights),
      bigrams: normalizedCopy(bigramWeights),
      weights,
      coverage: total === 0 ? 0 : known / total,
    };
  }
}

function bestPerEntry(
  query: SparseVector,
  postings: Map<string, number[]>,
  index: TopicIndex,
  field: 'words' | 'bigrams',
  best: Float64Array,
): void {
  const scores = new Map<number, number>();
  for (const [term, weight] of query) {
    const docs = postings.get(term);
    if (!docs) continue;
    for (const docIndex of docs) {
      scores.set(docIndex, (scores.get(docIndex) ?? 0) + weight * index.documents[docIndex]![field].get(term)!);
    }
  }
  for (const [docIndex, score] of scores) {
    const entryIndex = index.documents[docIndex]!.entryIndex;
    if (score > best[entryIndex]!) best[entryIndex] = score;
  }
}

function dot(a: SparseVector, b: SparseVector): number {
  let sum = 0;
  for (const [term, weight] of a) {
    const other = b.get(term);
    if (other !== undefined) sum += weight * other;
  }
  return sum;
}

function normalizedCopy(weights: Map<string, number>): SparseVector {
  let norm = 0;
  for (const weight of weights.values()) norm += weight * weight;
  norm = Math.sqrt(norm);
  const vector: SparseVector = new Map();
  if (norm === 0) return vector;
  for (const [term, weight] of weights) vector.set(term, weight / norm);
  return vector;
}

/** 1 when the question contains one of the entry's key phrases (or is one), else 0. */
function phraseScore(normalized: string, phrases: string[]): number {
  for (const phrase of phrases) {
    if (normalized.includes(phrase) || (normalized.length >= 4 && phrase.includes(normalized))) return 1;
  }
  return 0;
}

/** Share of the question's word weight that this entry's examples use. */
function entryCoverage(words: string[], vocabulary: Set<string>, weights: Map<string, number>): number {
  let covered = 0;
  let total = 0;
  for (const word of words) {
    const weight = weights.get(word) ?? 0;
    total += weight * weight;
    if (vocabulary.has(word)) covered += weight * weight;
  }
  return total === 0 ? 0 : covered / total;
}

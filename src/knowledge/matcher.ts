import { Analyzer, type AnalyzedText } from './analyzer.js';
import { backgroundIdf, warmBackgroundIdf } from './background-idf.js';
import { SoftmaxClassifier } from './classifier.js';
import type { KnowledgeBase } from './loader.js';
import type { KnowledgeEntry } from './schema.js';
import { buildTopicIndex, type Postings, type SparseVector, type TopicIndex } from './topic-index.js';

/** A knowledge entry and how well it fits the question. */
export interface MatchCandidate {
  id: string;
  kind: KnowledgeEntry['kind'];
  /** Combined ranking score (0–1). */
  score: number;
  /** The classifier's probability for this entry (0–1). */
  probability: number;
  /** Similarity to the entry's examples (0–1). */
  similarity: number;
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
  /** The classifier's probability that the question is outside the catalogue. */
  outOfScope: number;
}

/** A lone word used by this many entries is too vague to answer with one of them. */
const VAGUE_WORD_ENTRIES = 3;

/** How many of the classifier's favourites are also scored by similarity. */
const SIMILARITY_CANDIDATES = 8;

/** Weights and thresholds of the ranking and of the decision to answer. */
export interface MatcherTuning {
  /** Share of the classifier in the combined score; the rest is example similarity. */
  classifierWeight: number;
  similarityWeights: { bestWords: number; bestBigrams: number; centroid: number; phrase: number; coverage: number };
  /** Minimum classifier probability of the best entry. */
  minProbability: number;
  /** Minimum similarity of the best entry to its examples. */
  minSimilarity: number;
  /** Minimum share of the question's meaning the knowledge base must explain. */
  minCoverage: number;
  /** Minimum probability lead over the runner-up. */
  minMargin: number;
}

export const DEFAULT_TUNING: MatcherTuning = {
  classifierWeight: 0.7,
  similarityWeights: { bestWords: 0.35, bestBigrams: 0.3, centroid: 0.15, phrase: 0.1, coverage: 0.1 },
  minProbability: 0.2,
  minSimilarity: 0.15,
  minCoverage: 0.3,
  minMargin: 0.05,
};

/**
 * Ranks knowledge entries for a question and decides whether it is sure enough to answer.
 * Two views are combined: a softmax classifier trained on the knowledge base's examples
 * (with a "none of these" class trained on out-of-scope questions), and TF-IDF similarity
 * over canonical words and character bigrams (best example, topic centroid, key phrases,
 * vocabulary coverage).
 */
export class Matcher {
  // Replaced together by reload(); every holder of this matcher sees the new knowledge.
  analyzer!: Analyzer;
  private index!: TopicIndex;
  private classifier!: SoftmaxClassifier;
  private noneClass!: number;
  /** Scratch space for per-document scores, reused by every (synchronous) ranking. */
  private docScores!: Float64Array;
  /** Per document: its entry's index, as a flat array for the scoring loop. */
  private docEntries!: Int32Array;
  /** Scratch list of the documents a ranking touched. */
  private touched!: Int32Array;

  constructor(
    knowledge: KnowledgeBase,
    private readonly tuning: MatcherTuning = DEFAULT_TUNING,
  ) {
    this.reload(knowledge);
  }

  /**
   * Rebuilds the index and the classifier from `knowledge` (e.g. after an accepted example was
   * written to `knowledge/learned/`), so the running service answers with it without a restart.
   */
  reload(knowledge: KnowledgeBase): void {
    this.analyzer = new Analyzer(knowledge.lexicon);
    this.index = buildTopicIndex(knowledge.entries, this.analyzer);
    this.docScores = new Float64Array(this.index.documents.length);
    this.docEntries = Int32Array.from(this.index.documents, (doc) => doc.entryIndex);
    this.touched = new Int32Array(this.index.documents.length);
    this.noneClass = knowledge.entries.length;
    const examples = knowledge.entries.flatMap((entry, label) =>
      [entry.title, ...entry.questions, ...entry.phrases].map((text) => ({ features: this.features(this.analyzer.analyze(text)), label })),
    );
    for (const question of knowledge.outOfScope) {
      examples.push({ features: this.features(this.analyzer.analyze(question)), label: this.noneClass });
    }
    this.classifier = new SoftmaxClassifier(examples, this.noneClass + 1);
    warmBackgroundIdf();
  }

  match(text: string): MatchResult {
    const { analyzed, thoroughMayDiffer } = this.analyzer.analyzeQuick(text);
    const quick = this.rank(analyzed);
    if (quick.confident || quick.reason === 'empty' || !thoroughMayDiffer) return quick;
    // Unsure: look again for one-character slips before giving up.
    const thorough = this.analyzer.analyze(text, { thorough: true });
    return thorough.normalized === quick.analyzed.normalized ? quick : this.rank(thorough);
  }

  rank(analyzed: AnalyzedText): MatchResult {
    const { index, tuning } = this;
    const words = [...new Set(analyzed.words)];
    if (words.length === 0 && analyzed.normalized.length < 2) {
      return { analyzed, confident: false, reason: 'empty', candidates: [], coverage: 0, outOfScope: 1 };
    }
    const probabilities = this.classifier.predict(this.features(analyzed));
    const query = this.queryVectors(words, analyzed.bigrams);
    const entryCount = index.entries.length;
    // Similarity only matters for entries the classifier considers at all; skip the rest.
    const considered = topIndices(probabilities, entryCount, SIMILARITY_CANDIDATES);
    const bestWords = new Float64Array(entryCount);
    const bestBigrams = new Float64Array(entryCount);
    const scratch = { scores: this.docScores, docEntries: this.docEntries, touched: this.touched };
    bestPerEntry(query.words, index.postingsByWord, considered, scratch, bestWords);
    bestPerEntry(query.bigrams, index.postingsByBigram, considered, scratch, bestBigrams);

    const w = tuning.similarityWeights;
    const scored: MatchCandidate[] = [];
    for (const e of considered) {
      const probability = probabilities[e]!;
      let similarity = 0;
      if (bestWords[e] !== 0 || bestBigrams[e] !== 0) {
        similarity = Math.min(
          1,
          w.bestWords * bestWords[e]! +
            w.bestBigrams * bestBigrams[e]! +
            w.centroid * dot(query.words, index.wordCentroids[e]!) +
            w.phrase * phraseScore(analyzed.normalized, index.phrases[e]!) +
            w.coverage * entryCoverage(words, index.entryVocabulary[e]!, query.weights),
        );
      }
      const entry = index.entries[e]!;
      const score = tuning.classifierWeight * probability + (1 - tuning.classifierWeight) * similarity;
      scored.push({ id: entry.id, kind: entry.kind, score, probability, similarity });
    }
    scored.sort((a, b) => b.score - a.score);
    const candidates = scored.slice(0, 5);
    const outOfScope = probabilities[this.noneClass]!;
    const [first, second] = candidates;
    let reason: MatchResult['reason'] = 'confident';
    if (!first || outOfScope >= first.probability || query.coverage < tuning.minCoverage) reason = 'out-of-scope';
    else if (first.probability < tuning.minProbability || first.similarity < tuning.minSimilarity) reason = 'low-score';
    else if (second && first.probability - second.probability < tuning.minMargin) reason = 'ambiguous';
    else if (this.tooVague(words, analyzed.normalized, candidates)) reason = 'ambiguous';
    return { analyzed, confident: reason === 'confident', reason, candidates, coverage: query.coverage, outOfScope };
  }

  /**
   * A question of one word that several topics share ("邮箱", "审核") names an area, not a
   * question; the classifier is overconfident there, so offer choices unless a key phrase matched.
   */
  private tooVague(words: string[], normalized: string, candidates: MatchCandidate[]): boolean {
    if (words.length !== 1) return false;
    if ((this.index.entriesPerWord.get(words[0]!) ?? 0) < VAGUE_WORD_ENTRIES) return false;
    const best = this.index.entries.findIndex((entry) => entry.id === candidates[0]?.id);
    return phraseScore(normalized, this.index.phrases[best] ?? []) === 0;
  }

  private features(analyzed: AnalyzedText): string[] {
    return [...analyzed.words.map((word) => `w:${word}`), ...analyzed.bigrams.map((gram) => `b:${gram}`)];
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
      // A message of function words only ("你好", "在吗") is judged by its character pairs.
      coverage: total > 0 ? known / total : knownShare([...bigramWeights.keys()], index.bigramIdf),
    };
  }
}

/** Reusable arrays of one ranking (the matcher is synchronous, so one set per matcher). */
interface ScoringScratch {
  /** Per document: its score so far; all zero between rankings. */
  scores: Float64Array;
  /** Per document: its entry's index. */
  docEntries: Int32Array;
  touched: Int32Array;
}

/**
 * Per considered entry, the best dot product of the query with one of its documents. Only the
 * considered entries' runs of each posting list are read: other scores would never be used.
 * Each document's terms are still added in query order, so the sums are the same as a full pass.
 */
function bestPerEntry(
  query: SparseVector,
  postings: Map<string, Postings>,
  considered: number[],
  scratch: ScoringScratch,
  best: Float64Array,
): void {
  const { scores, touched } = scratch;
  let touchedCount = 0;
  for (const [term, weight] of query) {
    const list = postings.get(term);
    if (!list) continue;
    const { docs, weights, entryStarts } = list;
    for (const e of considered) {
      const end = entryStarts[e + 1]!;
      for (let i = entryStarts[e]!; i < end; i += 1) {
        const docIndex = docs[i]!;
        const score = scores[docIndex]!;
        if (score === 0) touched[touchedCount++] = docIndex;
        scores[docIndex] = score + weight * weights[i]!;
      }
    }
  }
  for (let t = 0; t < touchedCount; t += 1) {
    const docIndex = touched[t]!;
    const entryIndex = scratch.docEntries[docIndex]!;
    if (scores[docIndex]! > best[entryIndex]!) best[entryIndex] = scores[docIndex]!;
    scores[docIndex] = 0;
  }
}

/** Indices of the `k` largest values among the first `count`, largest first. */
function topIndices(values: Float64Array, count: number, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < count; i += 1) {
    if (top.length === k && values[i]! <= values[top[k - 1]!]!) continue;
    let at = top.length < k ? top.length : k - 1;
    while (at > 0 && values[top[at - 1]!]! < values[i]!) at -= 1;
    top.splice(at, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
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

/** Share of the terms the knowledge base has seen. */
function knownShare(terms: string[], idf: Map<string, number>): number {
  if (terms.length === 0) return 0;
  return terms.filter((term) => idf.has(term)).length / terms.length;
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

import { Analyzer, type AnalyzedText } from './analyzer.js';
import { backgroundIdf, warmBackgroundIdf } from './background-idf.js';
import { SoftmaxClassifier } from './classifier.js';
import type { KnowledgeBase } from './loader.js';
import type { KnowledgeEntry } from './schema.js';
import { buildTopicIndex, type Postings, type TopicIndex } from './topic-index.js';

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
  /** Everything a ranking needs to know about a word or a character pair, found with one look-up. */
  private wordTerms!: Map<string, TermInfo>;
  private bigramTerms!: Map<string, TermInfo>;
  /** Entry-major dense tables over the index's words (`entry * wordCount + term.id`). */
  private centroidTable!: Float64Array;
  private vocabularyTable!: Uint8Array;
  private wordCount!: number;
  /** Per entry: 1 while a ranking scores its documents. */
  private consideredMask!: Uint8Array;
  /** Per classifier feature: the ranking in which it was last counted (deduplicates without a Set). */
  private featureSeen!: Uint32Array;
  private rankingNumber = 0;

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
    this.buildTermTables();
    warmBackgroundIdf();
  }

  /** Interns the index's and the classifier's terms, so a ranking looks each query term up once. */
  private buildTermTables(): void {
    const { index, classifier } = this;
    // Created with every field already of its final type, so all TermInfos share one hidden
    // class and the scoring loops' property reads stay monomorphic.
    const info = (table: Map<string, TermInfo>, term: string): TermInfo => {
      let found = table.get(term);
      if (!found) table.set(term, (found = { id: -1, indexed: false, idf: 0, postings: EMPTY_POSTINGS, feature: -1 }));
      return found;
    };
    this.wordTerms = new Map();
    this.consideredMask = new Uint8Array(index.entries.length);
    let wordCount = 0;
    for (const [word, idf] of index.wordIdf) {
      const term = info(this.wordTerms, word);
      term.id = wordCount++;
      term.indexed = true;
      term.idf = idf;
      term.postings = index.postingsByWord.get(word) ?? EMPTY_POSTINGS;
    }
    this.bigramTerms = new Map();
    for (const [gram, idf] of index.bigramIdf) {
      const term = info(this.bigramTerms, gram);
      term.indexed = true;
      term.idf = idf;
      term.postings = index.postingsByBigram.get(gram) ?? EMPTY_POSTINGS;
    }
    for (const [prefix, table] of [
      ['w:', this.wordTerms],
      ['b:', this.bigramTerms],
    ] as const) {
      for (const [term, entry] of table) {
        entry.feature = classifier.featureId(prefix + term);
      }
    }
    // Classifier features no indexed example uses (out-of-scope questions' words and pairs).
    for (const [feature, id] of classifier.featureEntries()) {
      const table = feature.startsWith('w:') ? this.wordTerms : this.bigramTerms;
      const term = info(table, feature.slice(2));
      if (term.feature < 0) term.feature = id;
    }
    this.featureSeen = new Uint32Array(classifier.featureCount);
    this.rankingNumber = 0;
    this.wordCount = wordCount;
    const entryCount = index.entries.length;
    this.centroidTable = new Float64Array(entryCount * wordCount);
    this.vocabularyTable = new Uint8Array(entryCount * wordCount);
    for (let e = 0; e < entryCount; e += 1) {
      for (const [word, weight] of index.wordCentroids[e]!) this.centroidTable[e * wordCount + this.wordTerms.get(word)!.id] = weight;
      for (const word of index.entryVocabulary[e]!) this.vocabularyTable[e * wordCount + this.wordTerms.get(word)!.id] = 1;
    }
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
    const grams = [...new Set(analyzed.bigrams)];
    const wordInfo = words.map((word) => this.wordTerms.get(word));
    const gramInfo = grams.map((gram) => this.bigramTerms.get(gram));
    const probabilities = this.classifier.predictIds(
      this.featureIds(wordInfo, gramInfo),
      analyzed.words.length + analyzed.bigrams.length,
    );
    const query = this.queryVectors(words, wordInfo, gramInfo);
    const entryCount = index.entries.length;
    // Similarity only matters for entries the classifier considers at all; skip the rest.
    const considered = topIndices(probabilities, entryCount, SIMILARITY_CANDIDATES);
    const bestWords = new Float64Array(entryCount);
    const bestBigrams = new Float64Array(entryCount);
    const mask = this.consideredMask;
    for (const e of considered) mask[e] = 1;
    const scratch = { scores: this.docScores, docEntries: this.docEntries, touched: this.touched, mask };
    bestPerEntry(query.words, considered, scratch, bestWords);
    bestPerEntry(query.bigrams, considered, scratch, bestBigrams);
    for (const e of considered) mask[e] = 0;

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
            w.centroid * this.centroidDot(query.words, e) +
            w.phrase * phraseScore(analyzed.normalized, index.phrases[e]!) +
            w.coverage * this.entryCoverage(query.words, query.wordTotal, e),
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
   * The classifier's ids of the text's distinct features in order of first occurrence: the same
   * list `features()` gives the classifier, without building the prefixed strings.
   */
  private featureIds(wordInfo: (TermInfo | undefined)[], gramInfo: (TermInfo | undefined)[]): number[] {
    this.rankingNumber = (this.rankingNumber + 1) >>> 0 || 1;
    if (this.rankingNumber === 1) this.featureSeen.fill(0);
    const ids: number[] = [];
    for (const list of [wordInfo, gramInfo]) {
      for (const term of list) {
        if (term === undefined || term.feature < 0 || this.featureSeen[term.feature] === this.rankingNumber) continue;
        this.featureSeen[term.feature] = this.rankingNumber;
        ids.push(term.feature);
      }
    }
    return ids;
  }

  /** The query's word vector times the entry's centroid (terms summed in query order). */
  private centroidDot(query: QueryTerm[], entry: number): number {
    const row = entry * this.wordCount;
    let sum = 0;
    for (const { info, value } of query) {
      if (info === undefined || info.id < 0) continue;
      const other = this.centroidTable[row + info.id]!;
      // Centroid weights are positive; zero means the entry's examples never use the word.
      if (other !== 0) sum += value * other;
    }
    return sum;
  }

  /** Share of the question's word weight that this entry's examples use. */
  private entryCoverage(query: QueryTerm[], total: number, entry: number): number {
    const row = entry * this.wordCount;
    let covered = 0;
    for (const { info, weight } of query) {
      if (info !== undefined && info.id >= 0 && this.vocabularyTable[row + info.id] === 1) covered += weight * weight;
    }
    return total === 0 ? 0 : covered / total;
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
  private queryVectors(words: string[], wordInfo: (TermInfo | undefined)[], gramInfo: (TermInfo | undefined)[]) {
    const { index } = this;
    const wordTerms: QueryTerm[] = [];
    let known = 0;
    let total = 0;
    words.forEach((word, i) => {
      const info = wordInfo[i];
      const idf = info?.indexed ? info.idf : undefined;
      const weight = idf ?? index.maxIdf * Math.min(1.2, Math.max(0.25, backgroundIdf(word) / 10));
      wordTerms.push({ info, weight, value: 0 });
      total += weight * weight;
      if (idf !== undefined) known += weight * weight;
    });
    const bigramTerms: QueryTerm[] = gramInfo.map((info) => ({ info, weight: info?.indexed ? info.idf : index.maxIdf * 0.5, value: 0 }));
    normalize(wordTerms);
    normalize(bigramTerms);
    // The coverage denominator, summed in the same order the per-entry numerators are.
    let wordTotal = 0;
    for (const { weight } of wordTerms) wordTotal += weight * weight;
    return {
      words: wordTerms,
      bigrams: bigramTerms,
      wordTotal,
      // A message of function words only ("你好", "在吗") is judged by its character pairs.
      coverage: total > 0 ? known / total : knownShare(gramInfo),
    };
  }
}

/** What the matcher knows about one word or character pair. */
interface TermInfo {
  /** Position among the index's words (rows of the dense tables); -1 for pairs and unindexed words. */
  id: number;
  /** Whether some indexed example uses it; idf and postings are empty otherwise. */
  indexed: boolean;
  idf: number;
  postings: Postings;
  /** The classifier's feature id; -1 when no training example had it. */
  feature: number;
}

/** One distinct term of the query: its raw weight and its L2-normalised value. */
interface QueryTerm {
  info: TermInfo | undefined;
  weight: number;
  value: number;
}

function normalize(terms: QueryTerm[]): void {
  let norm = 0;
  for (const { weight } of terms) norm += weight * weight;
  norm = Math.sqrt(norm);
  if (norm === 0) return;
  for (const term of terms) term.value = term.weight / norm;
}

/** Reusable arrays of one ranking (the matcher is synchronous, so one set per matcher). */
interface ScoringScratch {
  /** Per document: its score so far; all zero between rankings. */
  scores: Float64Array;
  /** Per document: its entry's index. */
  docEntries: Int32Array;
  touched: Int32Array;
  /** Per entry: 1 when it is among the considered entries. */
  mask: Uint8Array;
}

/** Posting lists this short are read whole rather than by entry run. */
const SHORT_POSTINGS = 16;

const EMPTY_POSTINGS: Postings = { docs: new Int32Array(0), weights: new Float64Array(0), entryStarts: new Int32Array(0) };

/**
 * Per considered entry, the best dot product of the query with one of its documents. Only the
 * considered entries' runs of each posting list are read: other scores would never be used.
 * Each document's terms are still added in query order, so the sums are the same as a full pass.
 */
function bestPerEntry(query: QueryTerm[], considered: number[], scratch: ScoringScratch, best: Float64Array): void {
  const { scores, touched, docEntries, mask } = scratch;
  let touchedCount = 0;
  for (const { info, value: weight } of query) {
    if (info === undefined) continue;
    const { docs, weights, entryStarts } = info.postings;
    if (docs.length <= SHORT_POSTINGS) {
      // Most pairs occur in a few documents: reading them all beats seeking each entry's run.
      for (let i = 0; i < docs.length; i += 1) {
        const docIndex = docs[i]!;
        if (mask[docEntries[docIndex]!] === 0) continue;
        const sum = scores[docIndex]!;
        if (sum === 0) touched[touchedCount++] = docIndex;
        scores[docIndex] = sum + weight * weights[i]!;
      }
      continue;
    }
    for (const e of considered) {
      const end = entryStarts[e + 1]!;
      for (let i = entryStarts[e]!; i < end; i += 1) {
        const docIndex = docs[i]!;
        const sum = scores[docIndex]!;
        if (sum === 0) touched[touchedCount++] = docIndex;
        scores[docIndex] = sum + weight * weights[i]!;
      }
    }
  }
  for (let t = 0; t < touchedCount; t += 1) {
    const docIndex = touched[t]!;
    const entryIndex = docEntries[docIndex]!;
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

/** 1 when the question contains one of the entry's key phrases (or is one), else 0. */
function phraseScore(normalized: string, phrases: string[]): number {
  for (const phrase of phrases) {
    if (normalized.includes(phrase) || (normalized.length >= 4 && phrase.includes(normalized))) return 1;
  }
  return 0;
}

/** Share of the distinct character pairs the knowledge base has seen. */
function knownShare(terms: (TermInfo | undefined)[]): number {
  if (terms.length === 0) return 0;
  return terms.filter((term) => term?.indexed === true).length / terms.length;
}

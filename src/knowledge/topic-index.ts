import type { Analyzer } from './analyzer.js';
import { bigrams } from './analyzer.js';
import type { KnowledgeEntry } from './schema.js';

/** The documents that use a term, with the term's weight in each. */
export interface Postings {
  /** Ascending; documents are numbered entry by entry, so each entry's documents are one run. */
  docs: Int32Array;
  weights: Float64Array;
  /** The run of entry `e` is `docs[entryStarts[e]] … docs[entryStarts[e + 1] - 1]`. */
  entryStarts: Int32Array;
}

/** A sparse TF-IDF vector, L2-normalised. */
export type SparseVector = Map<string, number>;

/** One indexed example (a title, question or phrase) of an entry. */
export interface IndexedDocument {
  entryIndex: number;
  words: SparseVector;
  bigrams: SparseVector;
}

/** Term statistics and vectors for every knowledge entry, built once at start-up. */
export interface TopicIndex {
  entries: KnowledgeEntry[];
  documents: IndexedDocument[];
  /** Per entry: the centroid of its word vectors (normalised). */
  wordCentroids: SparseVector[];
  /** Per entry: every word any of its examples uses. */
  entryVocabulary: Set<string>[];
  /** Per entry: its key phrases, normalised. */
  phrases: string[][];
  wordIdf: Map<string, number>;
  /** How many entries use each word. */
  entriesPerWord: Map<string, number>;
  bigramIdf: Map<string, number>;
  postingsByWord: Map<string, Postings>;
  postingsByBigram: Map<string, Postings>;
  /** IDF given to a term no entry uses (the largest possible). */
  maxIdf: number;
}

/** Indexes titles, questions and phrases of every entry. */
export function buildTopicIndex(entries: KnowledgeEntry[], analyzer: Analyzer): TopicIndex {
  const rawDocs: { entryIndex: number; words: string[]; bigrams: string[] }[] = [];
  const phrases: string[][] = [];
  const vocabulary = new Set<string>();
  entries.forEach((entry, entryIndex) => {
    const texts = [entry.title, ...entry.questions, ...entry.phrases];
    for (const text of texts) {
      const normalized = analyzer.analyze(text).normalized;
      const words = analyzer.words(normalized);
      words.forEach((word) => vocabulary.add(word));
      rawDocs.push({ entryIndex, words, bigrams: bigrams(normalized) });
    }
    phrases.push(entry.phrases.map((phrase) => analyzer.analyze(phrase).normalized).filter((p) => p.length >= 3));
  });
  analyzer.setVocabulary(vocabulary);

  const wordIdf = entryLevelIdf(rawDocs.map((d) => ({ entryIndex: d.entryIndex, terms: d.words })), entries.length);
  const entriesPerWord = new Map<string, number>();
  for (const words of entriesVocabulary(rawDocs, entries.length)) for (const word of words) entriesPerWord.set(word, (entriesPerWord.get(word) ?? 0) + 1);
  const bigramIdf = entryLevelIdf(rawDocs.map((d) => ({ entryIndex: d.entryIndex, terms: d.bigrams })), entries.length);
  const documents: IndexedDocument[] = rawDocs.map((doc) => ({
    entryIndex: doc.entryIndex,
    words: vectorize(doc.words, wordIdf),
    bigrams: vectorize(doc.bigrams, bigramIdf),
  }));
  const wordCentroids = entries.map((_, entryIndex) => {
    const sum: SparseVector = new Map();
    for (const doc of documents) {
      if (doc.entryIndex !== entryIndex) continue;
      for (const [term, weight] of doc.words) sum.set(term, (sum.get(term) ?? 0) + weight);
    }
    return normalize(sum);
  });
  const entryVocabulary = entriesVocabulary(rawDocs, entries.length);
  return {
    entries,
    documents,
    wordCentroids,
    entryVocabulary,
    phrases,
    wordIdf,
    entriesPerWord,
    bigramIdf,
    postingsByWord: postings(documents, 'words', entries.length),
    postingsByBigram: postings(documents, 'bigrams', entries.length),
    maxIdf: Math.log(1 + entries.length),
  };
}

function entriesVocabulary(docs: { entryIndex: number; words: string[] }[], entryCount: number): Set<string>[] {
  const vocabularies = Array.from({ length: entryCount }, () => new Set<string>());
  for (const doc of docs) doc.words.forEach((word) => vocabularies[doc.entryIndex]!.add(word));
  return vocabularies;
}

function entryLevelIdf(docs: { entryIndex: number; terms: string[] }[], entryCount: number): Map<string, number> {
  const entriesByTerm = new Map<string, Set<number>>();
  for (const doc of docs) {
    for (const term of doc.terms) {
      let set = entriesByTerm.get(term);
      if (!set) entriesByTerm.set(term, (set = new Set()));
      set.add(doc.entryIndex);
    }
  }
  const idf = new Map<string, number>();
  for (const [term, set] of entriesByTerm) idf.set(term, Math.log(1 + entryCount / set.size));
  return idf;
}

/** Binary term weights times IDF, L2-normalised. */
export function vectorize(terms: string[], idf: Map<string, number>): SparseVector {
  const vector: SparseVector = new Map();
  for (const term of terms) {
    const weight = idf.get(term);
    if (weight !== undefined) vector.set(term, weight);
  }
  return normalize(vector);
}

function normalize(vector: SparseVector): SparseVector {
  let norm = 0;
  for (const weight of vector.values()) norm += weight * weight;
  norm = Math.sqrt(norm);
  if (norm === 0) return vector;
  for (const [term, weight] of vector) vector.set(term, weight / norm);
  return vector;
}

function postings(documents: IndexedDocument[], field: 'words' | 'bigrams', entryCount: number): Map<string, Postings> {
  const lists = new Map<string, { docs: number[]; weights: number[] }>();
  documents.forEach((doc, index) => {
    for (const [term, weight] of doc[field]) {
      let list = lists.get(term);
      if (!list) lists.set(term, (list = { docs: [], weights: [] }));
      list.docs.push(index);
      list.weights.push(weight);
    }
  });
  const map = new Map<string, Postings>();
  for (const [term, list] of lists) {
    const entryStarts = new Int32Array(entryCount + 1);
    for (const doc of list.docs) {
      const next = documents[doc]!.entryIndex + 1;
      entryStarts[next] = entryStarts[next]! + 1;
    }
    for (let e = 0; e < entryCount; e += 1) entryStarts[e + 1] = entryStarts[e + 1]! + entryStarts[e]!;
    map.set(term, { docs: Int32Array.from(list.docs), weights: Float64Array.from(list.weights), entryStarts });
  }
  return map;
}

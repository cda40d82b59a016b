import { Jieba } from '@node-rs/jieba';
import { dict as defaultDictionary } from '@node-rs/jieba/dict.js';
import Fuse from 'fuse.js';
import { extractEntities, type Entities } from '../text/entities.js';
import { normalizeForMatching } from '../text/normalize.js';
import type { Lexicon } from './loader.js';
import { exactPinyinKey, fuzzyPinyinKey } from './pinyin-key.js';

/** A message prepared for matching. */
export interface AnalyzedText {
  /** Personal data taken out before matching. */
  entities: Entities;
  /** Simplified, half-width, lower-case, no punctuation, entities removed, typos corrected. */
  normalized: string;
  /** Canonical content words (synonyms folded, stopwords dropped). */
  words: string[];
  /** Character bigrams of `normalized` (single characters for one-character texts). */
  bigrams: string[];
}

const SHAPE_CACHE_LIMIT = 5000;
/** Per-token memos (general-dictionary look-ups, splits of unfamiliar words) keep at most this many tokens. */
const TOKEN_CACHE_LIMIT = 20000;

/** The quick pass's result, and whether the thorough pass could read the message differently. */
export interface QuickAnalysis {
  analyzed: AnalyzedText;
  /**
   * False when no stretch of the message reached the one-character-slip check: the thorough
   * pass would then take exactly the same steps and give the same text, so it can be skipped.
   */
  thoroughMayDiffer: boolean;
}

/**
 * The text pipeline shared by indexing and querying: entity extraction, normalisation,
 * spelling variants, homophone and one-character typo correction against the domain
 * vocabulary, jieba segmentation with the domain dictionary, synonym folding.
 */
export class Analyzer {
  private readonly jieba: Jieba;
  private readonly canonical = new Map<string, string>();
  private readonly stopwords: Set<string>;
  private readonly variantPattern: RegExp | undefined;
  private readonly variants: Record<string, string>;
  /** jieba with only its general dictionary: tells real words from typos. */
  private readonly generalSegmenter: Jieba;
  private readonly shapeCache = new Map<string, string | null>();
  /** Whether the general segmenter keeps a token whole; a pure function of the token. */
  private readonly generalWordCache = new Map<string, boolean>();
  /** unfamiliarPieces per token; cleared when the vocabulary changes. */
  private readonly piecesCache = new Map<string, string[]>();
  /** soundAlike per stretch of text; cleared when the vocabulary changes. */
  private readonly soundCache = new Map<string, string | null>();
  private readonly domainWords: Set<string>;
  private vocabulary = new Set<string>();
  private byExactPinyin = new Map<string, string>();
  private byFuzzyPinyin = new Map<string, string>();
  private fuse: Fuse<string> | undefined;
  /** The words fuse.js searches, indexed by every one-character wildcard (see `slipNeighbourIndex`). */
  private slipNeighbours: SlipNeighbours = { patterns: new Map(), words: new Set() };

  constructor(lexicon: Lexicon) {
    this.jieba = Jieba.withDict(defaultDictionary);

    const segmenterWords = new Set<string>(lexicon.dictionary);
    for (const group of lexicon.synonyms.groups) {
      const [head] = group;
      for (const word of group) {
        const normalized = normalizeForMatching(word);
        this.canonical.set(normalized, normalizeForMatching(head!));
        segmenterWords.add(normalized);
      }
    }
    this.jieba.loadDict(Buffer.from([...segmenterWords].map((word) => `${word} 100000 n`).join('\n')));
    this.stopwords = new Set(lexicon.stopwords.map((word) => normalizeForMatching(word)));
    this.variants = Object.fromEntries(
      Object.entries(lexicon.synonyms.variants).map(([from, to]) => [normalizeForMatching(from), normalizeForMatching(to)]),
    );
    const keys = Object.keys(this.variants).sort((a, b) => b.length - a.length);
    this.variantPattern = keys.length > 0 ? new RegExp(keys.map(escapeRegExp).join('|'), 'g') : undefined;
    this.generalSegmenter = generalJieba();
    this.domainWords = new Set([...lexicon.dictionary.map((word) => normalizeForMatching(word))]);
    this.setVocabulary(segmenterWords);
  }

  /**
   * The words typos are corrected towards: the domain dictionary, the synonym groups and every
   * word of the knowledge base. Called once the knowledge base has been segmented.
   */
  setVocabulary(words: Iterable<string>): void {
    this.vocabulary = new Set([...words].filter((word) => word.length >= 2));
    this.piecesCache.clear();
    this.soundCache.clear();
    for (const word of this.canonical.keys()) if (word.length >= 2) this.vocabulary.add(word);
    for (const word of this.domainWords) this.vocabulary.add(word);
    this.byExactPinyin = new Map();
    this.byFuzzyPinyin = new Map();
    for (const word of this.vocabulary) {
      if (!/^\p{Script=Han}+$/u.test(word) || word.length > 5) continue;
      const exact = exactPinyinKey(word);
      if (!this.byExactPinyin.has(exact)) this.byExactPinyin.set(exact, word);
      if (word.length >= 3) {
        const fuzzy = fuzzyPinyinKey(word);
        if (!this.byFuzzyPinyin.has(fuzzy)) this.byFuzzyPinyin.set(fuzzy, word);
      }
    }
    // One-character slips are only corrected towards the curated domain words, which are long
    // and distinctive enough that a single changed character cannot turn one into another.
    const slipTargets = [...this.domainWords].filter((word) => word.length >= 3 && /^\p{Script=Han}+$/u.test(word));
    this.fuse = new Fuse(slipTargets, { includeScore: true, threshold: 0.34, ignoreLocation: true, minMatchCharLength: 2 });
    this.slipNeighbours = slipNeighbourIndex(slipTargets);
  }

  /**
   * Prepares a message for matching. The quick pass corrects homophone typos through pinyin;
   * `thorough` also looks for one-character slips with fuse.js, which costs more and is worth
   * it only when the quick pass left the matcher unsure.
   */
  analyze(message: string, options: { thorough?: boolean } = {}): AnalyzedText {
    return this.analyzeWith(message, options.thorough ?? false).analyzed;
  }

  /** The quick pass, telling whether a thorough pass over the same message could differ. */
  analyzeQuick(message: string): QuickAnalysis {
    return this.analyzeWith(message, false);
  }

  private analyzeWith(message: string, thorough: boolean): QuickAnalysis {
    const { rest, entities } = extractEntities(message);
    const slipCheck = { reached: false };
    const corrected = this.correct(this.applyVariants(normalizeForMatching(rest)), thorough, slipCheck);
    const normalized = corrected.text;
    // Unchanged text segments the same way again; reuse the correction pass's segmentation.
    const words = corrected.tokens ? this.wordsOf(corrected.tokens) : this.words(normalized);
    return {
      analyzed: { entities, normalized, words, bigrams: bigrams(normalized) },
      thoroughMayDiffer: slipCheck.reached,
    };
  }

  /** Segments already-normalised text into canonical content words. */
  words(normalized: string): string[] {
    return this.wordsOf(this.jieba.cut(normalized, false));
  }

  private wordsOf(tokens: string[]): string[] {
    const words: string[] = [];
    for (const token of tokens) {
      // Digits and stray letters are fragments of numbers people paste; they say nothing about the topic.
      if (/^[0-9a-z]+$/.test(token) && !this.canonical.has(token)) continue;
      for (const piece of this.unfamiliarPieces(token)) {
        const word = this.canonical.get(piece) ?? piece;
        if (this.stopwords.has(word) || this.stopwords.has(piece)) continue;
        words.push(word);
      }
    }
    return words;
  }

  /**
   * A long word the knowledge base has never seen ("哪里找", "填成了") is split into the
   * smaller words it contains, so the familiar parts still count and a generic compound does
   * not weigh like an unknown subject.
   */
  private unfamiliarPieces(token: string): string[] {
    if (token.length < 2 || this.vocabulary.size === 0 || this.vocabulary.has(token) || this.canonical.has(token)) return [token];
    if (!/^\p{Script=Han}+$/u.test(token)) return [token];
    let pieces = this.piecesCache.get(token);
    if (pieces === undefined) {
      pieces = this.splitUnfamiliar(token);
      remember(this.piecesCache, token, pieces);
    }
    return pieces;
  }

  private splitUnfamiliar(token: string): string[] {
    const familiar = (piece: string) => this.vocabulary.has(piece) || this.canonical.has(piece) || this.stopwords.has(piece);
    if (token.length === 2) return [...token].every(familiar) ? [...token] : [token];
    const known = this.generalSegmenter.cutForSearch(token, false).filter((piece) => piece !== token && piece.length > 1);
    const pieces: string[] = [];
    for (let at = 0; at < token.length; ) {
      const longest = known.filter((piece) => token.startsWith(piece, at)).sort((a, b) => b.length - a.length)[0];
      const piece = longest ?? token[at]!;
      pieces.push(piece);
      at += piece.length;
    }
    return pieces.some(familiar) ? pieces : [token];
  }

  private applyVariants(text: string): string {
    return this.variantPattern ? text.replace(this.variantPattern, (match) => this.variants[match] ?? match) : text;
  }

  /**
   * Replaces misspelt stretches with the domain word they were meant to be. Only stretches the
   * segmenter could not read as a known word are touched, so ordinary words stay as typed.
   */
  private correct(text: string, thorough: boolean, slipCheck: { reached: boolean }): { text: string; tokens?: string[] } {
    if (text.length < 2) return { text };
    const tokens = this.jieba.cut(text, false);
    let changed = false;
    const out: string[] = [];
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i]!;
      if (this.vocabulary.has(token) || this.stopwords.has(token) || !/\p{Script=Han}/u.test(token)) {
        out.push(token);
        i += 1;
        continue;
      }
      // A general word that sounds exactly like a domain word (身分证 → 身份证).
      if (token.length >= 2 && this.isGeneralWord(token)) {
        const sameSound = token.length >= 3 ? this.byExactPinyin.get(exactPinyinKey(token)) : undefined;
        if (sameSound && sameSound !== token && this.domainWords.has(sameSound)) {
          out.push(sameSound);
          changed = true;
        } else {
          out.push(token);
        }
        i += 1;
        continue;
      }
      // A run of unknown pieces: try the longest window (of up to 4 characters) that sounds like a domain word.
      const fixed = this.fixRun(tokens, i, thorough, slipCheck);
      if (fixed) {
        out.push(fixed.word);
        i = fixed.next;
        changed = true;
      } else {
        out.push(token);
        i += 1;
      }
    }
    return changed ? { text: out.join('') } : { text, tokens };
  }

  private fixRun(
    tokens: string[],
    start: number,
    thorough: boolean,
    slipCheck: { reached: boolean },
  ): { word: string; next: number } | undefined {
    let text = '';
    const ends: number[] = [];
    for (let j = start; j < tokens.length && text.length < 5; j += 1) {
      text += tokens[j];
      ends.push(j + 1);
      if (ends.length > 1 && tokens[j]!.length > 1 && this.isGeneralWord(tokens[j]!)) break;
    }
    for (let k = ends.length - 1; k >= 0; k -= 1) {
      const window = tokens.slice(start, ends[k]).join('');
      // A real word is not a typo, however much it sounds like one.
      if (window.length < 2 || window.length > 5 || this.isGeneralWord(window)) continue;
      const bySound = this.soundAlike(window);
      if (bySound && bySound !== window) return { word: bySound, next: ends[k]! };
      if (window.length >= 3) slipCheck.reached = true;
      if (thorough && window.length >= 3) {
        const byShape = this.closestByOneCharacter(window);
        if (byShape) return { word: byShape, next: ends[k]! };
      }
    }
    return undefined;
  }

  /** The vocabulary word that sounds like `text` (same pinyin, or near pinyin from 3 characters on). */
  private soundAlike(text: string): string | undefined {
    let found = this.soundCache.get(text);
    if (found === undefined) {
      found = this.byExactPinyin.get(exactPinyinKey(text)) ?? (text.length >= 3 ? this.byFuzzyPinyin.get(fuzzyPinyinKey(text)) : undefined) ?? null;
      remember(this.soundCache, text, found);
    }
    return found ?? undefined;
  }

  /** A word of jieba's general dictionary: with HMM off, the segmenter keeps it whole. */
  private isGeneralWord(text: string): boolean {
    let general = this.generalWordCache.get(text);
    if (general === undefined) {
      const cut = this.generalSegmenter.cut(text, false);
      general = cut.length === 1 && cut[0] === text;
      remember(this.generalWordCache, text, general);
    }
    return general;
  }

  /** fuse.js finds near spellings; accept only one substituted character. Results are cached. */
  private closestByOneCharacter(window: string): string | undefined {
    if (this.shapeCache.has(window)) return this.shapeCache.get(window) ?? undefined;
    let found: string | null = null;
    // Only a word of the same length one character away is accepted; when none exists, fuse.js
    // (about a millisecond a search) cannot find one either.
    const searched = hasSlipNeighbour(this.slipNeighbours, window) ? (this.fuse?.search(window, { limit: 3 }) ?? []) : [];
    for (const hit of searched) {
      if (hit.item.length === window.length && differingCharacters(hit.item, window) === 1) {
        found = hit.item;
        break;
      }
    }
    if (this.shapeCache.size >= SHAPE_CACHE_LIMIT) this.shapeCache.delete(this.shapeCache.keys().next().value!);
    this.shapeCache.set(window, found);
    return found ?? undefined;
  }
}

/** Stores a memo, dropping the oldest entry once the map is full. */
function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  if (cache.size >= TOKEN_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
}

/**
 * The words one-character slips are corrected towards, indexed so that "is some word of the same
 * length exactly one character away?" takes one look-up per character: each word is stored once
 * per position with that character replaced by a wildcard (U+0000).
 */
interface SlipNeighbours {
  /** Wildcard pattern → how many target words have it. */
  patterns: Map<string, number>;
  words: Set<string>;
}

function slipNeighbourIndex(words: string[]): SlipNeighbours {
  const patterns = new Map<string, number>();
  for (const word of words) {
    for (let at = 0; at < word.length; at += 1) {
      const pattern = wildcardAt(word, at);
      patterns.set(pattern, (patterns.get(pattern) ?? 0) + 1);
    }
  }
  return { patterns, words: new Set(words) };
}

function hasSlipNeighbour({ patterns, words }: SlipNeighbours, window: string): boolean {
  // A target word shares each of its own patterns with itself, which is not a slip.
  const self = words.has(window) ? 1 : 0;
  for (let at = 0; at < window.length; at += 1) if ((patterns.get(wildcardAt(window, at)) ?? 0) > self) return true;
  return false;
}

function wildcardAt(word: string, at: number): string {
  return `${word.slice(0, at)}\u0000${word.slice(at + 1)}`;
}

function differingCharacters(a: string, b: string): number {
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) diff += 1;
  return diff;
}

/** Character bigrams; a one-character text yields itself. */
export function bigrams(text: string): string[] {
  const chars = [...text];
  if (chars.length === 1) return chars;
  const grams: string[] = [];
  for (let i = 0; i + 1 < chars.length; i += 1) grams.push(chars[i]! + chars[i + 1]!);
  return grams;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let sharedGeneralJieba: Jieba | undefined;

/** One general-dictionary segmenter per process: it is read-only and costly to load. */
function generalJieba(): Jieba {
  sharedGeneralJieba ??= Jieba.withDict(defaultDictionary);
  return sharedGeneralJieba;
}

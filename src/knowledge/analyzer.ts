import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Jieba } from '@node-rs/jieba';
import { dict as defaultDictionary } from '@node-rs/jieba/dict.js';
import Fuse from 'fuse.js';
import { extractEntities, type Entities } from '../text/entities.js';
import { normalizeForMatching } from '../text/normalize.js';
import type { Lexicon } from './loader.js';
import { fuzzyPinyinKey } from './pinyin-key.js';

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

const require = createRequire(import.meta.url);

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
  private readonly generalWords: Set<string>;
  private vocabulary = new Set<string>();
  private byPinyin = new Map<string, string>();
  private fuse: Fuse<string> | undefined;

  constructor(lexicon: Lexicon) {
    this.jieba = Jieba.withDict(defaultDictionary);
    const domainWords = new Set<string>(lexicon.dictionary);
    for (const group of lexicon.synonyms.groups) {
      const [head] = group;
      for (const word of group) {
        const normalized = normalizeForMatching(word);
        this.canonical.set(normalized, normalizeForMatching(head!));
        domainWords.add(normalized);
      }
    }
    this.jieba.loadDict(Buffer.from([...domainWords].map((word) => `${word} 100000 n`).join('\n')));
    this.stopwords = new Set(lexicon.stopwords.map((word) => normalizeForMatching(word)));
    this.variants = Object.fromEntries(
      Object.entries(lexicon.synonyms.variants).map(([from, to]) => [normalizeForMatching(from), normalizeForMatching(to)]),
    );
    const keys = Object.keys(this.variants).sort((a, b) => b.length - a.length);
    this.variantPattern = keys.length > 0 ? new RegExp(keys.map(escapeRegExp).join('|'), 'g') : undefined;
    this.generalWords = loadGeneralWords();
    this.setVocabulary(domainWords);
  }

  /**
   * The words typos are corrected towards: the domain dictionary plus every word of the
   * knowledge base. Called once the knowledge base has been segmented.
   */
  setVocabulary(words: Iterable<string>): void {
    this.vocabulary = new Set([...words].filter((word) => word.length >= 2));
    for (const word of this.canonical.keys()) if (word.length >= 2) this.vocabulary.add(word);
    this.byPinyin = new Map();
    for (const word of this.vocabulary) {
      if (!/^\p{Script=Han}+$/u.test(word) || word.length > 5) continue;
      const key = fuzzyPinyinKey(word);
      if (!this.byPinyin.has(key)) this.byPinyin.set(key, word);
    }
    this.fuse = new Fuse(
      [...this.vocabulary].filter((word) => word.length >= 3 && /^\p{Script=Han}+$/u.test(word)),
      { includeScore: true, threshold: 0.34, ignoreLocation: true, minMatchCharLength: 2 },
    );
  }

  /** Domain vocabulary (for reporting and tests). */
  get vocabularySize(): number {
    return this.vocabulary.size;
  }

  analyze(message: string): AnalyzedText {
    const { rest, entities } = extractEntities(message);
    const normalized = this.correct(this.applyVariants(normalizeForMatching(rest)));
    return { entities, normalized, words: this.words(normalized), bigrams: bigrams(normalized) };
  }

  /** Segments already-normalised text into canonical content words. */
  words(normalized: string): string[] {
    const words: string[] = [];
    for (const token of this.jieba.cut(normalized, false)) {
      const word = this.canonical.get(token) ?? token;
      if (this.stopwords.has(word) || this.stopwords.has(token)) continue;
      words.push(word);
    }
    return words;
  }

  isStopword(word: string): boolean {
    return this.stopwords.has(word);
  }

  isKnown(word: string): boolean {
    return this.vocabulary.has(word);
  }

  private applyVariants(text: string): string {
    return this.variantPattern ? text.replace(this.variantPattern, (match) => this.variants[match] ?? match) : text;
  }

  /**
   * Replaces misspelt stretches with the domain word they were meant to be. Only stretches the
   * segmenter could not read as a known word are touched, so ordinary words stay as typed.
   */
  private correct(text: string): string {
    if (text.length < 2) return text;
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
      if (token.length >= 2 && this.generalWords.has(token)) {
        const sameSound = this.byPinyin.get(fuzzyPinyinKey(token));
        if (sameSound && sameSound !== token && strictSameSound(sameSound, token)) {
          out.push(sameSound);
          changed = true;
        } else {
          out.push(token);
        }
        i += 1;
        continue;
      }
      // A run of unknown pieces: try the longest window (of up to 4 characters) that sounds like a domain word.
      const fixed = this.fixRun(tokens, i);
      if (fixed) {
        out.push(fixed.word);
        i = fixed.next;
        changed = true;
      } else {
        out.push(token);
        i += 1;
      }
    }
    return changed ? out.join('') : text;
  }

  private fixRun(tokens: string[], start: number): { word: string; next: number } | undefined {
    let text = '';
    const ends: number[] = [];
    for (let j = start; j < tokens.length && text.length < 5; j += 1) {
      text += tokens[j];
      ends.push(j + 1);
      if (ends.length > 1 && this.generalWords.has(tokens[j]!) && tokens[j]!.length > 1) break;
    }
    for (let k = ends.length - 1; k >= 0; k -= 1) {
      const window = tokens.slice(start, ends[k]).join('');
      if (window.length < 2 || window.length > 5) continue;
      const bySound = this.byPinyin.get(fuzzyPinyinKey(window));
      if (bySound && bySound !== window) return { word: bySound, next: ends[k]! };
      if (window.length >= 3) {
        const byShape = this.closestByOneCharacter(window);
        if (byShape) return { word: byShape, next: ends[k]! };
      }
    }
    return undefined;
  }

  /** fuse.js finds near spellings; accept only one substituted character. */
  private closestByOneCharacter(window: string): string | undefined {
    const hits = this.fuse?.search(window, { limit: 3 }) ?? [];
    for (const hit of hits) {
      if (hit.item.length === window.length && differingCharacters(hit.item, window) === 1) return hit.item;
    }
    return undefined;
  }
}

function strictSameSound(a: string, b: string): boolean {
  return a.length === b.length;
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

let generalWordsCache: Set<string> | undefined;

/** Multi-character words of jieba's general dictionary: real words, not typos. */
function loadGeneralWords(): Set<string> {
  if (generalWordsCache) return generalWordsCache;
  const file = require.resolve('@node-rs/jieba/dict.txt');
  const words = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const word = line.slice(0, line.indexOf(' '));
    if (word.length >= 2) words.add(word);
  }
  generalWordsCache = words;
  return words;
}

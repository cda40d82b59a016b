import type { Commands } from '../knowledge/schema.js';
import { normalizeForMatching } from '../text/normalize.js';

export type Command = 'cancel' | 'back' | 'human';

/** Recognises the short replies that mean the same thing anywhere in a conversation. */
export class CommandWords {
  private readonly sets: Record<Exclude<keyof Commands, 'question'>, Set<string>>;
  private readonly questionWords: string[];

  constructor(commands: Commands) {
    const toSet = (words: string[]) => new Set(words.map((w) => normalizeForMatching(w)));
    this.sets = {
      cancel: toSet(commands.cancel),
      back: toSet(commands.back),
      human: toSet(commands.human),
      yes: toSet(commands.yes),
      no: toSet(commands.no),
    };
    this.questionWords = [...toSet(commands.question)];
  }

  /** The message asks something: a question mark, or a question word anywhere in it. */
  looksLikeQuestion(text: string, normalized: string): boolean {
    return /[?？]/.test(text) || this.questionWords.some((word) => normalized.includes(word));
  }

  /** A flow command, when the whole message is one. */
  command(normalized: string): Command | undefined {
    if (this.sets.cancel.has(normalized)) return 'cancel';
    if (this.sets.back.has(normalized)) return 'back';
    if (this.sets.human.has(normalized)) return 'human';
    return undefined;
  }

  isYes(normalized: string): boolean {
    return this.sets.yes.has(normalized);
  }

  isNo(normalized: string): boolean {
    return this.sets.no.has(normalized);
  }
}

const CHINESE_NUMERALS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/**
 * The option number in replies like "1", "２", "第一个", "选2", "2号"; `undefined` otherwise.
 * Expects text already normalised (half-width, no punctuation).
 */
export function pickedNumber(normalized: string): number | undefined {
  const match = /^(?:选|选择|第)?([1-9]|[一二两三四五六七八九])(?:个|项|条|号)?$/.exec(normalized);
  if (!match) return undefined;
  const token = match[1]!;
  return CHINESE_NUMERALS[token] ?? Number(token);
}

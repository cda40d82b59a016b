import { pinyin } from 'pinyin-pro';

const charCache = new Map<string, string>();

/** Toneless pinyin of each character: 秘码 and 密码 share "mi ma". */
export function exactPinyinKey(text: string): string {
  let key = '';
  for (const char of text) key += `${syllable(char)} `;
  return key.trimEnd();
}

/**
 * A fuzzy pinyin key for a string of Chinese characters: tones dropped and the sounds that
 * pinyin keyboards and dialects confuse (zh/z, ch/c, sh/s, n/l, -ng/-n) folded together, so
 * homophone and near-homophone typos (秘码, 验正码, 身分证, 注侧) share the key of the intended word.
 */
export function fuzzyPinyinKey(text: string): string {
  let key = '';
  for (const char of text) key += `${fold(syllable(char))} `;
  return key.trimEnd();
}

function syllable(char: string): string {
  let cached = charCache.get(char);
  if (cached === undefined) {
    cached = /\p{Script=Han}/u.test(char) ? pinyin(char, { toneType: 'none' }) : char;
    charCache.set(char, cached);
  }
  return cached;
}

const foldCache = new Map<string, string>();

function fold(syllable: string): string {
  let folded = foldCache.get(syllable);
  if (folded === undefined) {
    folded = foldUncached(syllable);
    foldCache.set(syllable, folded);
  }
  return folded;
}

function foldUncached(syllable: string): string {
  return syllable
    .replace(/^zh/, 'z')
    .replace(/^ch/, 'c')
    .replace(/^sh/, 's')
    .replace(/^l/, 'n')
    .replace(/ng$/, 'n')
    .replace(/v/g, 'u');
}

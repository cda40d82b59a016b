import OpenCC from 'opencc-js';

const toSimplifiedConverter = OpenCC.Converter({ from: 'tw', to: 'cn' });

/** Full-width letters, digits and spaces to half-width (NFKC), keeping CJK text intact. */
export function toHalfWidth(text: string): string {
  return text.normalize('NFKC');
}

/** Traditional Chinese (including Taiwan phrasing) to simplified. */
export function toSimplified(text: string): string {
  // Pure ASCII never needs conversion; skipping it keeps the hot path cheap.
  return /[^\x00-\x7f]/.test(text) ? toSimplifiedConverter(text) : text;
}

const NOISE = /[\p{P}\p{S}\p{Z}\s\p{Extended_Pictographic}\u200b-\u200f\ufe0e\ufe0f]+/gu;

/** Removes punctuation, symbols, spaces and emoji. */
export function stripNoise(text: string): string {
  return text.replace(NOISE, '');
}

/**
 * The canonical form used for matching: half-width, simplified, lower-case, without
 * punctuation, spaces or emoji. Entities should be taken out before calling this.
 */
export function normalizeForMatching(text: string): string {
  return stripNoise(toSimplified(toHalfWidth(text)).toLowerCase());
}

import OpenCC, { type DictGroup, type DictLike } from 'opencc-js';

const toSimplifiedConverter = OpenCC.Converter({ from: 'tw', to: 'cn' });

/**
 * Characters of which every text the converter changes holds at least one: for each entry of its
 * dictionaries that maps to something else, one character of the entry's key (the first one the
 * replacement changes). The converter only changes text where an entry's whole key occurs, so a
 * text with none of these characters converts to itself and its dictionary passes (a tenth of
 * matching a message) can be skipped. Read from the converter's own dictionaries; undefined, which
 * means "always convert", if they are not shaped as expected.
 */
const CHANGED_BY_CONVERSION = changingCharacters('tw2s');

function changingCharacters(configName: string): Set<string> | undefined {
  const config = OpenCC.Locale.configs[configName] as
    { normalizationChain?: readonly DictGroup[]; conversionChain?: readonly DictGroup[] } | undefined;
  if (!config?.conversionChain) return undefined;
  const characters = new Set<string>();
  const add = (key: string, value: string) => {
    if (key === value) return;
    const from = [...key];
    const to = [...value];
    const changed = from.length === to.length ? from.find((char, at) => char !== to[at]) : undefined;
    characters.add(changed ?? from[0]!);
  };
  for (const dict of [...(config.normalizationChain ?? []), ...config.conversionChain].flat() as DictLike[]) {
    if (typeof dict === 'string') {
      for (const entry of dict.split('|')) {
        const [key, value] = entry.split(' ');
        if (!key || value === undefined) return undefined;
        add(key, value);
      }
    } else if (Array.isArray(dict)) {
      for (const [key, value] of dict) add(key, value);
    } else {
      return undefined;
    }
  }
  return characters;
}

function mayChangeInConversion(text: string): boolean {
  if (!CHANGED_BY_CONVERSION) return true;
  for (const char of text) if (CHANGED_BY_CONVERSION.has(char)) return true;
  return false;
}

/** Full-width letters, digits and spaces to half-width (NFKC), keeping CJK text intact. */
export function toHalfWidth(text: string): string {
  return text.normalize('NFKC');
}

/** Traditional Chinese (including Taiwan phrasing) to simplified. */
export function toSimplified(text: string): string {
  // Pure ASCII never needs conversion; skipping it keeps the hot path cheap.
  return /[^\x00-\x7f]/.test(text) && mayChangeInConversion(text) ? toSimplifiedConverter(text) : text;
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

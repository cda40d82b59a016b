import { idf } from '@node-rs/jieba/dict.js';

let table: Map<string, number> | undefined;

/**
 * How rare a word is in general Chinese text (jieba's IDF table). Used to weigh words the
 * knowledge base has never seen: a rare unknown word ("四六级", "天气") says the question is
 * about something else, a common one ("一下") says little.
 */
export function backgroundIdf(word: string): number {
  table ??= parse();
  return table.get(word) ?? DEFAULT_IDF;
}

const DEFAULT_IDF = 11;
/** Rarer words than this are all "rare": keeping only common ones makes the table small and quick to load. */
const RARE_IDF = 9.5;

/** Loads the table now rather than on the first unusual question. */
export function warmBackgroundIdf(): void {
  table ??= parse();
}

function parse(): Map<string, number> {
  const map = new Map<string, number>();
  const text = Buffer.from(idf).toString('utf8');
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const space = text.lastIndexOf(' ', end);
    if (space > start) {
      const value = Number(text.slice(space + 1, end));
      if (value < RARE_IDF) map.set(text.slice(start, space), value);
    }
    start = end + 1;
  }
  return map;
}

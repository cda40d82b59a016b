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

function parse(): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of Buffer.from(idf).toString('utf8').split('\n')) {
    const space = line.lastIndexOf(' ');
    if (space > 0) map.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return map;
}

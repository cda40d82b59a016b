import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

const urgencyWordsSchema = z.object({ words: z.array(z.string().trim().min(1).max(20)).max(200) }).strict();

/** The words that suggest a ticket is urgent, from `knowledge/lexicon/urgency-words.yaml` (none when absent). */
export function loadUrgencyWords(knowledgeDir: string): string[] {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path.join(knowledgeDir, 'lexicon', 'urgency-words.yaml'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`knowledge/lexicon/urgency-words.yaml is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = urgencyWordsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`knowledge/lexicon/urgency-words.yaml is invalid: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data.words;
}

/**
 * The urgency words found in what the user wrote, in the order of the word list, without words
 * that a longer found word contains. Whitespace is
 * ignored so "明天 截止" still counts; a negated "不急" does not count as "急".
 */
export function findUrgencyWords(texts: readonly string[], words: readonly string[]): string[] {
  const haystack = texts.join('\n').replace(/\s+/g, '');
  const calm = haystack.replace(/不(?:着)?急|不赶时间/g, '');
  const found = words.map((word) => word.replace(/\s+/g, '')).filter((word) => word && calm.includes(word));
  // "着急" already says what "急" would: keep the longer words only.
  return [...new Set(found)].filter((word) => !found.some((other) => other !== word && other.includes(word)));
}

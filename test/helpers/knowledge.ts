import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config.js';
import type { LabelledQuestion } from '../../src/knowledge/evaluate.js';
import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/loader.js';
import { Matcher } from '../../src/knowledge/matcher.js';

export const knowledgeDir = path.join(projectRoot, 'knowledge');

let shared: { knowledge: KnowledgeBase; matcher: Matcher } | undefined;

/** The real knowledge base and matcher, built once per test worker (training takes a moment). */
export function sharedMatcher(): { knowledge: KnowledgeBase; matcher: Matcher } {
  if (!shared) {
    const knowledge = loadKnowledge(knowledgeDir);
    shared = { knowledge, matcher: new Matcher(knowledge) };
  }
  return shared;
}

/** The topic catalogue: the shared one beside the checkout when present, else the copy in fixtures. */
export function topicCatalogue(): { id: string; title: string; facts: string[]; flow?: string }[] {
  const sharedFile = path.join(projectRoot, '..', 'shared', 'topics.json');
  const file = existsSync(sharedFile) ? sharedFile : path.join(projectRoot, 'test', 'fixtures', 'topics.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { topics: { id: string; title: string; facts: string[]; flow?: string }[] }).topics;
}

/** A JSONL file of labelled questions. */
export function readLabelled(file: string): LabelledQuestion[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledQuestion);
}

/** The example questions: the shared dev set beside the checkout when present. */
export function devSetFile(): string | undefined {
  const file = path.join(projectRoot, '..', 'shared', 'eval', 'dev.jsonl');
  return existsSync(file) ? file : undefined;
}

import { describe, expect, it } from 'vitest';
import { loadKnowledge } from '../../src/knowledge/loader.js';
import { knowledgeDir, topicCatalogue } from '../helpers/knowledge.js';

const kb = loadKnowledge(knowledgeDir);
const catalogue = topicCatalogue();

/** Figures, contact details and quoted on-screen words that an answer must carry verbatim. */
function verbatimPieces(fact: string): string[] {
  const pieces = new Set<string>();
  for (const match of fact.matchAll(/“([^”]{2,30})”/g)) pieces.add(match[1]!);
  for (const match of fact.matchAll(/[A-Za-z0-9_.@-]*\d[A-Za-z0-9_.@-]*|kefu@chsi\.com\.cn|chsi_chesicc/g)) pieces.add(match[0]);
  return [...pieces].filter((piece) => piece.length >= 1);
}

describe('the knowledge base covers the topic catalogue', () => {
  it('has exactly one entry per catalogue topic, and no FAQ entry outside it', () => {
    const faqIds = kb.entries.filter((e) => e.kind === 'faq').map((e) => e.id).sort();
    expect(faqIds).toEqual(catalogue.map((t) => t.id).sort());
  });

  it.each(catalogue.map((topic) => [topic.id, topic] as const))('%s carries its facts and leads into its flow', (_id, topic) => {
    const entry = kb.byId.get(topic.id)!;
    for (const fact of topic.facts) {
      for (const piece of verbatimPieces(fact)) expect(entry.answer, `fact: ${fact}`).toContain(piece);
    }
    if (topic.flow) expect(entry.flow?.name).toBe(topic.flow);
    expect(entry.questions.length).toBeGreaterThanOrEqual(12);
  });

  it('has small talk for greetings, thanks, who we are and what we can do', () => {
    for (const id of ['smalltalk.greeting', 'smalltalk.thanks', 'smalltalk.identity', 'smalltalk.capabilities']) {
      expect(kb.byId.get(id)?.kind).toBe('small-talk');
    }
  });
});

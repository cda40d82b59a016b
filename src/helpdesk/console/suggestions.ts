import type { KnowledgeBase } from '../../knowledge/loader.js';
import type { Matcher } from '../../knowledge/matcher.js';

/** A knowledge answer that may fit a ticket, offered to the agent as a canned reply. */
export interface SuggestedAnswer {
  topicId: string;
  title: string;
  answer: string;
  /** The matcher's combined score (0–1). */
  score: number;
}

const MIN_SCORE = 0.08;

/**
 * The knowledge entries closest to a ticket's description (or, without one, the user's last
 * words), best first. Unlike the assistant, agents see answers below the confidence bar:
 * they judge them before sending.
 */
export function suggestAnswers(deps: { matcher: Matcher; knowledge: KnowledgeBase }, text: string, limit = 3): SuggestedAnswer[] {
  const question = text.trim().slice(0, 500);
  if (!question) return [];
  const result = deps.matcher.match(question);
  return result.candidates
    .filter((candidate) => candidate.kind === 'faq' && candidate.score >= MIN_SCORE)
    .slice(0, limit)
    .flatMap((candidate) => {
      const entry = deps.knowledge.byId.get(candidate.id);
      return entry ? [{ topicId: entry.id, title: entry.title, answer: entry.answer, score: Math.round(candidate.score * 100) / 100 }] : [];
    });
}

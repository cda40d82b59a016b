import type { Matcher, MatchResult } from './matcher.js';

/** One labelled question: `topic` null means it is out of scope and must be declined. */
export interface LabelledQuestion {
  q: string;
  topic: string | null;
}

export interface EvaluationOutcome {
  question: LabelledQuestion;
  predicted: string | null;
  match: MatchResult;
  correct: boolean;
}

export interface EvaluationReport {
  outcomes: EvaluationOutcome[];
  inScope: number;
  inScopeCorrect: number;
  outOfScope: number;
  outOfScopeRejected: number;
  /** Percentages, 0–100. */
  top1: number;
  oosRejected: number;
  overall: number;
}

/** What the assistant would answer with: a help-center topic, or null (fallback or small talk). */
export function predictedTopic(match: MatchResult): string | null {
  const best = match.candidates[0];
  return match.confident && best?.kind === 'faq' ? best.id : null;
}

/** Scores the matcher on labelled questions, as the FAQ quality gate does. */
export function evaluate(matcher: Matcher, questions: LabelledQuestion[]): EvaluationReport {
  const outcomes = questions.map((question) => {
    const match = matcher.match(question.q);
    const predicted = predictedTopic(match);
    return { question, predicted, match, correct: predicted === question.topic };
  });
  const inScope = outcomes.filter((o) => o.question.topic !== null);
  const outOfScope = outcomes.filter((o) => o.question.topic === null);
  const inScopeCorrect = inScope.filter((o) => o.correct).length;
  const outOfScopeRejected = outOfScope.filter((o) => o.correct).length;
  const percent = (part: number, whole: number) => (whole === 0 ? 100 : (100 * part) / whole);
  return {
    outcomes,
    inScope: inScope.length,
    inScopeCorrect,
    outOfScope: outOfScope.length,
    outOfScopeRejected,
    top1: percent(inScopeCorrect, inScope.length),
    oosRejected: percent(outOfScopeRejected, outOfScope.length),
    overall: percent(inScopeCorrect + outOfScopeRejected, outcomes.length),
  };
}

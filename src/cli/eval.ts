import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { evaluate, type LabelledQuestion } from '../knowledge/evaluate.js';
import { loadKnowledge } from '../knowledge/loader.js';
import { Matcher } from '../knowledge/matcher.js';

/** `npm run eval -- FILE.jsonl`: FAQ matching report; the last line is the contract's summary. */
const lineSchema = z.object({ q: z.string(), topic: z.string().nullable() });

function readQuestions(file: string): LabelledQuestion[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      try {
        return lineSchema.parse(JSON.parse(line));
      } catch (error) {
        throw new Error(`${file}:${number}: not a {"q", "topic"} line (${(error as Error).message.split('\n')[0]})`);
      }
    });
}

function main(): void {
  const files = process.argv.slice(2).filter((arg) => arg !== '--');
  if (files.length === 0) {
    console.error('usage: npm run eval -- FILE.jsonl');
    process.exit(2);
  }
  const config = loadConfig();
  const knowledge = loadKnowledge(config.knowledgeDir);
  for (const id of new Set(files.flatMap(readQuestions).map((q) => q.topic))) {
    if (id !== null && !knowledge.byId.has(id)) console.warn(`warning: topic "${id}" is not in the knowledge base`);
  }
  const matcher = new Matcher(knowledge);
  const report = evaluate(matcher, files.flatMap(readQuestions));

  const misses = new Map<string, string[]>();
  for (const outcome of report.outcomes) {
    if (outcome.correct) continue;
    const key = outcome.question.topic ?? '(out of scope)';
    const top = outcome.match.candidates[0];
    const detail = `${outcome.question.q}  →  ${outcome.predicted ?? 'declined'} [${outcome.match.reason}; best ${top ? `${top.id} ${top.score.toFixed(2)}` : 'none'}; coverage ${outcome.match.coverage.toFixed(2)}]`;
    misses.set(key, [...(misses.get(key) ?? []), detail]);
  }
  if (misses.size > 0) {
    console.log('Misses by expected topic:');
    for (const [topic, lines] of [...misses].sort()) {
      console.log(`  ${topic} (${lines.length})`);
      for (const line of lines) console.log(`    - ${line}`);
    }
  } else {
    console.log('No misses.');
  }
  console.log(`in scope ${report.inScopeCorrect}/${report.inScope}, out of scope rejected ${report.outOfScopeRejected}/${report.outOfScope}`);
  console.log(`top1 ${report.top1.toFixed(1)}% oos-rejected ${report.oosRejected.toFixed(1)}% overall ${report.overall.toFixed(1)}%`);
}

main();

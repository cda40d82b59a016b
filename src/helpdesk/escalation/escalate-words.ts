import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { normalizeForMatching } from '../../text/normalize.js';

const list = z.array(z.string().min(1));
const schema = z
  .object({ skip: list, submit: list, changeUsername: list, changeScreenshot: list, changeDescription: list, usernameLabels: list, labels: list })
  .strict();

type Lists = z.infer<typeof schema>;

/** The input words of the escalate flow (`knowledge/lexicon/escalate-words.yaml`), tested on normalised text. */
export class EscalateWords {
  private readonly lists: Lists;

  constructor(lists: Lists) {
    const norm = (words: string[]) =>
      words
        .map((word) => normalizeForMatching(word))
        .filter(Boolean)
        .sort((a, b) => b.length - a.length);
    this.lists = {
      skip: norm(lists.skip),
      submit: norm(lists.submit),
      changeUsername: norm(lists.changeUsername),
      changeScreenshot: norm(lists.changeScreenshot),
      changeDescription: norm(lists.changeDescription),
      usernameLabels: norm(lists.usernameLabels),
      labels: norm(lists.labels),
    };
  }

  saysSkip(normalized: string): boolean {
    return this.lists.skip.some((word) => normalized.includes(word));
  }

  saysSubmit(normalized: string): boolean {
    return this.lists.submit.some((word) => normalized === word || normalized.startsWith(word));
  }

  /** Which item the user wants to change, if the message names one. */
  change(normalized: string): 'username' | 'screenshot' | 'description' | undefined {
    if (this.lists.changeUsername.some((word) => normalized.includes(word))) return 'username';
    if (this.lists.changeScreenshot.some((word) => normalized.includes(word))) return 'screenshot';
    if (this.lists.changeDescription.some((word) => normalized.includes(word))) return 'description';
    return undefined;
  }

  /** The message says what follows is the username ("用户名是…", "账号是…"). */
  labelsUsername(normalized: string): boolean {
    return this.lists.usernameLabels.some((word) => normalized.startsWith(word));
  }

  /** The message without a leading label such as "问题描述：". */
  stripLabel(normalized: string): string {
    const label = this.lists.labels.find((word) => normalized.startsWith(word));
    return label ? normalized.slice(label.length) : normalized;
  }
}

/** Reads `lexicon/escalate-words.yaml` below the knowledge directory. Throws naming the bad field. */
export function loadEscalateWords(knowledgeDir: string): EscalateWords {
  const file = path.join(knowledgeDir, 'lexicon', 'escalate-words.yaml');
  const parsed = schema.safeParse(YAML.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(`Knowledge file lexicon/escalate-words.yaml is invalid:\n  ${problems.join('\n  ')}`);
  }
  return new EscalateWords(parsed.data);
}

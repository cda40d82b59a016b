import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { normalizeForMatching } from '../../text/normalize.js';

const list = z.array(z.string().min(1));
const schema = z.object({ skip: list, submit: list, changeUsername: list, changeScreenshot: list, changeDescription: list, labels: list }).strict();

const WORDS_FILE = fileURLToPath(new URL('./escalate-words.yaml', import.meta.url));

/** The input words of the escalate flow (`escalate-words.yaml`), tested on normalised text. */
export class EscalateWords {
  private readonly lists: z.infer<typeof schema>;

  constructor(file = WORDS_FILE) {
    const parsed = schema.parse(YAML.parse(readFileSync(file, 'utf8')));
    const norm = (words: string[]) =>
      words
        .map((word) => normalizeForMatching(word))
        .filter(Boolean)
        .sort((a, b) => b.length - a.length);
    this.lists = {
      skip: norm(parsed.skip),
      submit: norm(parsed.submit),
      changeUsername: norm(parsed.changeUsername),
      changeScreenshot: norm(parsed.changeScreenshot),
      changeDescription: norm(parsed.changeDescription),
      labels: norm(parsed.labels),
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

  /** The message without a leading label such as "问题描述：". */
  stripLabel(normalized: string): string {
    const label = this.lists.labels.find((word) => normalized.startsWith(word));
    return label ? normalized.slice(label.length) : normalized;
  }
}

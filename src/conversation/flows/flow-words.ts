import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { normalizeForMatching } from '../../text/normalize.js';
import type { CommandWords } from '../commands.js';

const words = z.array(z.string().min(1));

const flowWordsSchema = z
  .object({
    namePrefixes: words,
    nameLabels: words,
    nameCompanions: words,
    notName: words,
    dontKnow: words,
    resend: words,
    registered: words,
    options: z.record(z.string(), words).default({}),
    /** Per flow name: whole messages that ask for that flow ("绑定账号"), compared in full. */
    startPhrases: z.record(z.string(), words).default({}),
  })
  .strict();

export type FlowWordLists = z.infer<typeof flowWordsSchema>;

/**
 * The input words the guided flows understand (`knowledge/lexicon/flow-words.yaml`), plus the
 * shared yes/no words. Every test is on normalised text.
 */
export class FlowWords {
  /** Written straight before a name ("我叫"), longest first. */
  readonly namePrefixes: string[];
  /** Introduce a name only when set apart from it ("姓名：李明"). */
  readonly nameLabels: Set<string>;
  private readonly nameCompanions: Set<string>;
  private readonly notName: string[];
  private readonly dontKnow: string[];
  private readonly resend: string[];
  private readonly registered: string[];
  private readonly options: Map<string, string[]>;
  private readonly startPhrases: Map<string, Set<string>>;

  constructor(
    lists: FlowWordLists,
    private readonly commands: CommandWords,
  ) {
    const norm = (list: string[]) => list.map((word) => normalizeForMatching(word)).filter((word) => word !== '');
    // Longest first, so "姓名是" is stripped before "姓名".
    this.namePrefixes = norm(lists.namePrefixes).sort((a, b) => b.length - a.length);
    this.nameLabels = new Set(norm(lists.nameLabels));
    this.nameCompanions = new Set(norm(lists.nameCompanions));
    this.notName = norm(lists.notName);
    this.dontKnow = norm(lists.dontKnow);
    this.resend = norm(lists.resend);
    this.registered = norm(lists.registered);
    this.options = new Map(Object.entries(lists.options).map(([id, list]) => [id, norm(list)]));
    this.startPhrases = new Map(Object.entries(lists.startPhrases).map(([flow, list]) => [flow, new Set(norm(list))]));
  }

  isYes(normalized: string): boolean {
    return this.commands.isYes(normalized);
  }

  isNo(normalized: string): boolean {
    return this.commands.isNo(normalized);
  }

  looksLikeQuestion(text: string, normalized: string): boolean {
    return this.commands.looksLikeQuestion(text, normalized);
  }

  /** A word that cannot be part of a name (question words, domain words, yes/no replies). */
  excludesName(normalized: string): boolean {
    return (
      this.isYes(normalized) ||
      this.isNo(normalized) ||
      this.looksLikeQuestion(normalized, normalized) ||
      this.notName.some((word) => normalized.includes(word))
    );
  }

  /** A greeting or field label that may stand next to a name given without a prefix. */
  mayStandNextToName(normalized: string): boolean {
    return this.nameCompanions.has(normalized) || this.nameLabels.has(normalized);
  }

  saysDontKnow(normalized: string): boolean {
    return this.dontKnow.some((word) => normalized.includes(word));
  }

  asksResend(normalized: string): boolean {
    return this.resend.some((word) => normalized.includes(word));
  }

  saysRegistered(normalized: string): boolean {
    return this.registered.some((word) => normalized.includes(word));
  }

  /** The whole message asks for this flow by name (only exact phrases: a question about binding WeChat is not one). */
  asksFor(flow: string, normalized: string): boolean {
    return this.startPhrases.get(flow)?.has(normalized) ?? false;
  }

  /** Keywords that pick the option with this id. */
  optionKeywords(id: string): string[] {
    return this.options.get(id) ?? [];
  }
}

/** Reads `lexicon/flow-words.yaml` below the knowledge directory. Throws naming the bad field. */
export function loadFlowWords(knowledgeDir: string, commands: CommandWords): FlowWords {
  const file = path.join(knowledgeDir, 'lexicon', 'flow-words.yaml');
  const parsed = flowWordsSchema.safeParse(YAML.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(`Knowledge file lexicon/flow-words.yaml is invalid:\n  ${problems.join('\n  ')}`);
  }
  return new FlowWords(parsed.data, commands);
}

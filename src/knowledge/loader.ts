import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z, type ZodType, type ZodTypeDef } from 'zod';
import { commandsSchema, entryListSchema, knowledgeEntrySchema, outOfScopeSchema, synonymsSchema, type Commands, type KnowledgeEntry, type Synonyms } from './schema.js';

/** Everything under `knowledge/`, validated. */
export interface KnowledgeBase {
  entries: KnowledgeEntry[];
  byId: Map<string, KnowledgeEntry>;
  lexicon: Lexicon;
  /** Questions the assistant must decline (`knowledge/out-of-scope.yaml`); they train the "none" class. */
  outOfScope: string[];
}

export interface Lexicon {
  synonyms: Synonyms;
  /** Domain words for the segmenter. */
  dictionary: string[];
  /** Words that carry no meaning for matching. */
  stopwords: string[];
  /** Command words (cancel, back, human, yes, no). */
  commands: Commands;
}

/** A knowledge file that failed validation; the message names the file and the field. */
export class KnowledgeError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Knowledge file ${file} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'KnowledgeError';
  }
}

/**
 * Loads the entries (`topics/`, `small-talk/`, and the triage, near-domain and personal-status
 * lists), the out-of-scope questions and the lexicon files below `knowledge/`.
 * Throws a KnowledgeError at the first broken file.
 */
export function loadKnowledge(dir: string): KnowledgeBase {
  const entries: KnowledgeEntry[] = [];
  const byId = new Map<string, KnowledgeEntry>();
  for (const file of yamlFiles(dir)) {
    const relative = path.relative(dir, file);
    const isEntryFile = ENTRY_DIRS.some((entryDir) => relative.startsWith(`${entryDir}${path.sep}`)) || ENTRY_LIST_FILES.has(relative);
    // Other folders (lexicon/, calendar/, wechat/, ...) hold other kinds of data, read by their own loaders.
    if (!isEntryFile) continue;
    const inFile = ENTRY_LIST_FILES.has(relative) ? parseFile(file, relative, entryListSchema).entries : [parseFile(file, relative, knowledgeEntrySchema)];
    for (const entry of inFile) {
      if (byId.has(entry.id)) throw new KnowledgeError(relative, [`id: "${entry.id}" is already used by another file`]);
      byId.set(entry.id, entry);
      entries.push(entry);
    }
  }
  addLearnedQuestions(dir, byId);
  for (const entry of entries) {
    for (const [index, related] of entry.related.entries()) {
      if (!byId.has(related)) {
        throw new KnowledgeError(`${entry.id}`, [`related[${index}]: unknown topic id "${related}"`]);
      }
    }
    for (const [index, option] of entry.options.entries()) {
      if (option.topic !== undefined && byId.get(option.topic)?.kind !== 'faq') {
        throw new KnowledgeError(`${entry.id}`, [`options[${index}].topic: unknown topic id "${option.topic}"`]);
      }
    }
  }
  const lexiconDir = path.join(dir, 'lexicon');
  const lexicon: Lexicon = {
    synonyms: parseFile(path.join(lexiconDir, 'synonyms.yaml'), 'lexicon/synonyms.yaml', synonymsSchema),
    dictionary: readWordList(path.join(lexiconDir, 'dictionary.txt')),
    stopwords: readWordList(path.join(lexiconDir, 'stopwords.txt')),
    commands: parseFile(path.join(lexiconDir, 'commands.yaml'), 'lexicon/commands.yaml', commandsSchema),
  };
  const outOfScopeFile = path.join(dir, OUT_OF_SCOPE_FILE);
  const outOfScope = existsSync(outOfScopeFile) ? parseFile(outOfScopeFile, OUT_OF_SCOPE_FILE, outOfScopeSchema).questions : [];
  return { entries, byId, lexicon, outOfScope };
}

const OUT_OF_SCOPE_FILE = 'out-of-scope.yaml';
/** Questions agents attached to a topic from the unanswered report, one file per topic, accepted by an admin. */
export const LEARNED_DIR = 'learned';
export const learnedFileSchema = z.object({ topic: z.string().min(1), questions: z.array(z.string().trim().min(1).max(500)) }).strict();

/** Adds the accepted questions of `learned/<topic>.yaml` to their topic's examples. */
function addLearnedQuestions(dir: string, byId: Map<string, KnowledgeEntry>): void {
  const learnedDir = path.join(dir, LEARNED_DIR);
  if (!existsSync(learnedDir)) return;
  for (const name of readdirSync(learnedDir).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const relative = `${LEARNED_DIR}/${name}`;
    const learned = parseFile(path.join(learnedDir, name), relative, learnedFileSchema);
    const entry = byId.get(learned.topic);
    if (!entry) throw new KnowledgeError(relative, [`topic: unknown topic id "${learned.topic}"`]);
    entry.questions = [...new Set([...entry.questions, ...learned.questions])];
  }
}
/** Folders of one-entry files. */
const ENTRY_DIRS = ['topics', 'small-talk'];
/** Files holding several entries (`entries: [...]`) rather than one. */
const ENTRY_LIST_FILES = new Set(['triage.yaml', 'near-domain.yaml', 'personal-status.yaml']);

function parseFile<T>(file: string, relative: string, schema: ZodType<T, ZodTypeDef, unknown>): T {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new KnowledgeError(relative, [`not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new KnowledgeError(
      relative,
      parsed.error.issues.map((issue) => `${formatPath(issue.path) || '(file)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

function formatPath(parts: (string | number)[]): string {
  return parts.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

function yamlFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found.push(...yamlFiles(full));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) found.push(full);
  }
  return found;
}

function readWordList(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}

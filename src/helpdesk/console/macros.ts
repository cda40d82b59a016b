import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import type { CollectionSchema, DocumentStore, IndexedCollection, Storage } from '../../storage/types.js';

/** A canned reply of the team. `{{username}}`-style placeholders are filled from the ticket. */
export interface Macro {
  id: string;
  title: string;
  body: string;
  updatedAt: string;
  updatedBy: string;
}

/** The placeholders a macro may use, and what fills them. */
export const MACRO_PLACEHOLDERS = ['username', 'ticketId', 'agent', 'dueDate'] as const;
export type MacroPlaceholder = (typeof MACRO_PLACEHOLDERS)[number];

export const macroInputSchema = z
  .object({
    title: z.string().trim().min(1).max(60),
    body: z
      .string()
      .trim()
      .min(1)
      .max(5000)
      .refine((body) => unknownPlaceholders(body).length === 0, { message: 'unknown placeholder' }),
  })
  .strict();
export type MacroInput = z.infer<typeof macroInputSchema>;

const starterFileSchema = z.object({ macros: z.array(macroInputSchema).max(50) }).strict();
const macroSchema = z.object({ id: z.string(), title: z.string(), body: z.string(), updatedAt: z.string(), updatedBy: z.string() });

const MACRO_LIST: CollectionSchema<Macro, never> = { keys: [], index: () => ({}), order: (macro) => macro.title };
/** The team's list is small (the console shows it whole); this many at most. */
export const MAX_MACROS = 200;

/**
 * The team's canned replies, kept in the store so admins can change them without a release. The
 * first time the store is opened it gets the starter macros from `templates/console/starter-macros.yaml`.
 */
export class MacroBook {
  private readonly macros: IndexedCollection<Macro, never>;
  private readonly flags: DocumentStore<{ seededAt: string }>;

  constructor(
    storage: Storage,
    private readonly clock: () => Date,
    private readonly starterFile?: string,
  ) {
    this.macros = storage.collection('helpdesk-macros', MACRO_LIST);
    this.flags = storage.documents('helpdesk-macro-flags');
  }

  async list(): Promise<Macro[]> {
    await this.seedOnce();
    const page = await this.macros.page({ limit: MAX_MACROS });
    return page.items.flatMap((item) => {
      const parsed = macroSchema.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    });
  }

  get(id: string): Promise<Macro | undefined> {
    return this.macros.get(id);
  }

  /** Creates (no id) or replaces a macro. */
  async save(input: MacroInput, actor: string, id: string = randomUUID()): Promise<Macro> {
    const macro: Macro = { id, title: input.title, body: input.body, updatedAt: this.clock().toISOString(), updatedBy: actor };
    await this.macros.put(id, macro);
    return macro;
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.macros.get(id))) return false;
    await this.macros.delete(id);
    return true;
  }

  private async seedOnce(): Promise<void> {
    if (!this.starterFile || !existsSync(this.starterFile)) return;
    let seeded = false;
    await this.flags.update('starter', (current) => {
      if (current) return current;
      seeded = true;
      return { seededAt: this.clock().toISOString() };
    });
    if (!seeded) return;
    let raw: unknown;
    try {
      raw = YAML.parse(readFileSync(this.starterFile, 'utf8'));
    } catch {
      return; // a broken starter file leaves the team to write its own macros
    }
    const parsed = starterFileSchema.safeParse(raw);
    if (!parsed.success) return;
    for (const macro of parsed.data.macros) await this.save(macro, 'system');
  }
}

/** Fills the placeholders; an unknown one is left as written so the agent sees it before sending. */
export function fillMacro(body: string, values: Record<MacroPlaceholder, string>): string {
  return body.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    (MACRO_PLACEHOLDERS as readonly string[]).includes(name) ? values[name as MacroPlaceholder] : whole,
  );
}

function unknownPlaceholders(body: string): string[] {
  return [...body.matchAll(/\{\{\s*(\w+)\s*\}\}/g)]
    .map((match) => match[1]!)
    .filter((name) => !(MACRO_PLACEHOLDERS as readonly string[]).includes(name));
}

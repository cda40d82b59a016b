import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { readPreviousLayout } from './previous-layout.js';
import type { Storage, StoredRecord } from './types.js';

const NAME = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/);

/** One line of an export, checked before anything is written. */
const recordSchema: z.ZodType<StoredRecord> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('document'), collection: NAME, id: z.string().min(1).max(1000), doc: z.unknown() }).strict(),
  z.object({ kind: z.literal('log'), log: NAME, at: z.string().datetime(), entry: z.unknown() }).strict(),
  z.object({ kind: z.literal('sequence'), name: NAME, value: z.number().int().min(0) }).strict(),
]) as z.ZodType<StoredRecord>;

export type TransferResult =
  { ok: true; records: number } | { ok: false; problem: 'bad-line'; line: number; reason: string } | { ok: false; problem: 'not-empty' };

/** Writes every stored record to `file` as JSON Lines, a page at a time. */
export async function exportToFile(storage: Storage, file: string): Promise<TransferResult> {
  const out = createWriteStream(file, { mode: 0o600 });
  let records = 0;
  for await (const record of storage.exportRecords()) {
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
    records += 1;
  }
  out.end();
  await once(out, 'finish');
  return { ok: true, records };
}

async function* readRecords(file: string, onLine: (line: number, record: StoredRecord) => void = () => undefined): AsyncGenerator<StoredRecord> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() === '') continue;
    let parsed: z.SafeParseReturnType<unknown, StoredRecord>;
    try {
      parsed = recordSchema.safeParse(JSON.parse(line));
    } catch (error) {
      throw new BadLine(number, (error as Error).message);
    }
    if (!parsed.success) throw new BadLine(number, parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    onLine(number, parsed.data);
    yield parsed.data;
  }
}

class BadLine extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/**
 * Imports an export into an empty store. The whole file is checked first, so a bad line
 * imports nothing; a store that already holds data is refused (records would be duplicated).
 */
export async function importFromFile(storage: Storage, file: string): Promise<TransferResult> {
  try {
    for await (const _record of readRecords(file)) {
      // checking only
    }
  } catch (error) {
    if (error instanceof BadLine) return { ok: false, problem: 'bad-line', line: error.line, reason: error.reason };
    throw error;
  }
  return importInto(storage, () => readRecords(file));
}

/** Imports the previous release's DATA_DIR (see previous-layout.ts) into an empty store. */
export function importPreviousLayout(storage: Storage, dataDir: string): Promise<TransferResult> {
  return importInto(storage, () => readPreviousLayout(dataDir));
}

async function importInto(storage: Storage, records: () => AsyncIterable<StoredRecord>): Promise<TransferResult> {
  for await (const _existing of storage.exportRecords()) return { ok: false, problem: 'not-empty' };
  const { imported } = await storage.importRecords(records());
  return { ok: true, records: imported };
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { StoredRecord } from './types.js';

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Stores of the previous layout that were derived data: rebuilt from the tickets, not imported. */
const DERIVED = new Set(['helpdesk-queue']);

/**
 * Reads a DATA_DIR written by the previous release (a folder of small JSON files per store, a
 * journal per store, and a JSON Lines file per log) as export records, so
 * `npm run data -- import-previous DIR` upgrades it without losing anything acknowledged.
 */
export async function* readPreviousLayout(dataDir: string): AsyncGenerator<StoredRecord> {
  const entries = (await fs.readdir(dataDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.isDirectory() && NAME_PATTERN.test(entry.name) && !DERIVED.has(entry.name)) {
      const docs = await readDocumentFolder(path.join(dataDir, entry.name));
      if (entry.name === 'helpdesk-counters') {
        // Per-day ticket counters ({next}) become the sequences that number tickets now.
        for (const [day, doc] of docs) {
          const next = (doc as { next?: unknown } | null)?.next;
          if (typeof next === 'number' && next > 1) yield { kind: 'sequence', name: `ticket-${day}`, value: next - 1 };
        }
        continue;
      }
      for (const [id, doc] of docs) if (doc !== null) yield { kind: 'document', collection: entry.name, id, doc };
    } else if (entry.isFile() && entry.name.endsWith('.jsonl') && NAME_PATTERN.test(entry.name.slice(0, -6))) {
      const file = path.join(dataDir, entry.name);
      const fallbackAt = (await fs.stat(file)).mtime.toISOString();
      for (const line of await readLines(file)) {
        const at = typeof (line as { at?: unknown }).at === 'string' && !Number.isNaN(Date.parse((line as { at: string }).at));
        yield { kind: 'log', log: entry.name.slice(0, -6), at: at ? new Date((line as { at: string }).at).toISOString() : fallbackAt, entry: line };
      }
    }
  }
}

/** Document files first, then the journals in the order they were written: the last word on an id wins. */
async function readDocumentFolder(dir: string): Promise<Map<string, unknown>> {
  const docs = new Map<string, unknown>();
  const names = await fs.readdir(dir);
  for (const name of names.filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort()) {
    try {
      const envelope = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as { id?: unknown; doc?: unknown } | null;
      if (envelope && typeof envelope.id === 'string') docs.set(envelope.id, envelope.doc ?? null);
    } catch {
      // A file torn by a crash was never acknowledged: its write is in the journal.
    }
  }
  const journals = [
    ...names.filter((name) => /^journal-\d+\.jsonl$/.test(name)).sort(),
    ...(names.includes('journal.jsonl') ? ['journal.jsonl'] : []),
  ];
  for (const journal of journals) {
    for (const record of await readLines(path.join(dir, journal))) {
      const { id, doc } = record as { id?: unknown; doc?: unknown };
      if (typeof id === 'string') docs.set(id, doc ?? null);
    }
  }
  return docs;
}

/** JSON Lines; a torn last line (a crash mid-append, never acknowledged) is skipped. */
async function readLines(file: string): Promise<unknown[]> {
  const lines: unknown[] = [];
  for (const line of (await fs.readFile(file, 'utf8')).split('\n')) {
    if (line.trim() === '') continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // torn tail
    }
  }
  return lines;
}

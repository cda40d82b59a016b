import { createHash } from 'node:crypto';
import { promises as fs, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import { DurableJsonFile, syncDirectory } from './durable-json-file.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { AppendLog, DocumentStore, Storage } from './types.js';

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * lowdb-backed storage. Each document is its own small file (named by a hash of its id, so no
 * phone or ID number ever appears in a file name), which keeps the cost of a write independent
 * of how many users or tickets exist: lowdb rewrites a whole file per write.
 */
export function createLowdbStorage(dataDir: string): Storage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const documents = new Map<string, DocumentStore<unknown>>();
  const logs = new Map<string, AppendLog<unknown>>();
  return {
    documents<T>(name: string): DocumentStore<T> {
      assertName(name);
      if (!documents.has(name)) documents.set(name, new LowdbDocumentStore<unknown>(path.join(dataDir, name)));
      return documents.get(name) as DocumentStore<T>;
    },
    log<T>(name: string): AppendLog<T> {
      assertName(name);
      if (!logs.has(name)) logs.set(name, new JsonLinesLog<unknown>(path.join(dataDir, `${name}.jsonl`)));
      return logs.get(name) as AppendLog<T>;
    },
  };
}

function assertName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new Error(`Invalid store name "${name}"`);
}

interface Envelope<T> {
  id: string;
  doc: T;
}

class LowdbDocumentStore<T> implements DocumentStore<T> {
  private readonly mutex = new KeyedMutex();
  private readonly ready: Promise<void>;

  constructor(private readonly dir: string) {
    this.ready = fs.mkdir(dir, { recursive: true, mode: 0o700 }).then(() => undefined);
  }

  async get(id: string): Promise<T | undefined> {
    await this.ready;
    return (await this.open(id).then(readEnvelope<T>))?.doc;
  }

  put(id: string, doc: T): Promise<void> {
    return this.mutex.run(id, () => this.write(id, doc));
  }

  update(id: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
    return this.mutex.run(id, async () => {
      await this.ready;
      const current = (await this.open(id).then(readEnvelope<T>))?.doc;
      const next = await change(current === undefined ? undefined : structuredClone(current));
      if (next === undefined) {
        if (current !== undefined) await this.remove(id);
      } else {
        await this.write(id, next);
      }
      return next;
    });
  }

  delete(id: string): Promise<void> {
    return this.mutex.run(id, () => this.remove(id));
  }

  async list(): Promise<T[]> {
    await this.ready;
    const names = (await fs.readdir(this.dir)).filter((name) => name.endsWith('.json') && !name.startsWith('.'));
    const docs: T[] = [];
    for (const name of names) {
      const envelope = await readEnvelope<T>(new Low<Envelope<T> | null>(new DurableJsonFile(path.join(this.dir, name)), null));
      if (envelope) docs.push(envelope.doc);
    }
    return docs;
  }

  private async open(id: string): Promise<Low<Envelope<T> | null>> {
    return new Low<Envelope<T> | null>(new DurableJsonFile(this.fileFor(id)), null);
  }

  private async write(id: string, doc: T): Promise<void> {
    await this.ready;
    const db = await this.open(id);
    db.data = { id, doc };
    await db.write();
  }

  private async remove(id: string): Promise<void> {
    await this.ready;
    await fs.rm(this.fileFor(id), { force: true });
    await syncDirectory(this.dir);
  }

  private fileFor(id: string): string {
    return path.join(this.dir, `${createHash('sha256').update(id).digest('hex').slice(0, 40)}.json`);
  }
}

async function readEnvelope<T>(db: Low<Envelope<T> | null>): Promise<Envelope<T> | undefined> {
  await db.read();
  return db.data ?? undefined;
}

/**
 * Append-only JSON Lines file. Each append is one write() on an O_APPEND descriptor followed by
 * fdatasync, so acknowledged entries survive a crash; a torn final line is skipped on read.
 */
class JsonLinesLog<T> implements AppendLog<T> {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly filename: string) {}

  append(entry: T): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    return this.mutex.run('append', async () => {
      const handle = await fs.open(this.filename, 'a', 0o600);
      try {
        await handle.write(line);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
  }

  async readAll(): Promise<T[]> {
    let text: string;
    try {
      text = await fs.readFile(this.filename, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: T[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch {
        // A crash during an append can leave one torn line at the end; it was never acknowledged.
      }
    }
    return entries;
  }
}

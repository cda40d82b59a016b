import { createHash } from 'node:crypto';
import { promises as fs, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import { DurableJsonFile, syncDirectory } from './durable-json-file.js';
import { GroupCommitFile, readJsonLines } from './group-commit-file.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { AppendLog, DocumentStore, Storage } from './types.js';

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export interface LowdbStorageOptions {
  /**
   * How often dirty documents are checkpointed from the journal into their files (default 30 s):
   * a document written many times in between is written to its file once.
   */
  checkpointIntervalMs?: number;
  /** Journal size that triggers an early checkpoint. */
  checkpointBytes?: number;
  /** Clean documents kept in memory per store. */
  cacheLimit?: number;
}

/**
 * lowdb-backed storage for one process. Each document lives in its own small lowdb file, named
 * by a hash of its id so no phone or ID number appears in a file name. Writes are first
 * group-committed to a per-store journal (one fdatasync for many concurrent writes) and later
 * checkpointed into the document files, so the cost of a write does not grow with the number
 * of users or tickets, and every acknowledged write survives a crash.
 */
export function createLowdbStorage(dataDir: string, options: LowdbStorageOptions = {}): Storage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const releaseLock = lockDataDir(dataDir);
  const documents = new Map<string, JournaledDocumentStore<unknown>>();
  const logs = new Map<string, JsonLinesLog<unknown>>();
  return {
    documents<T>(name: string): DocumentStore<T> {
      assertName(name);
      if (!documents.has(name)) documents.set(name, new JournaledDocumentStore<unknown>(path.join(dataDir, name), options));
      return documents.get(name) as DocumentStore<T>;
    },
    log<T>(name: string): AppendLog<T> {
      assertName(name);
      if (!logs.has(name)) logs.set(name, new JsonLinesLog<unknown>(path.join(dataDir, `${name}.jsonl`)));
      return logs.get(name) as AppendLog<T>;
    },
    async close(): Promise<void> {
      await Promise.all([...documents.values()].map((store) => store.close()));
      await Promise.all([...logs.values()].map((log) => log.close()));
      releaseLock();
    },
  };
}

/**
 * One process per data directory: each keeps journals and caches that another process would
 * not see. A lock file holds the owner's pid; a lock left by a dead process is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, '.lock');
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new Error(`DATA_DIR ${dataDir} is in use by process ${owner}; stop it or use another DATA_DIR`);
      }
      rmSync(file, { force: true });
    }
  }
  return () => {
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function assertName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new Error(`Invalid store name "${name}"`);
}

interface Envelope<T> {
  id: string;
  doc: T;
}

interface JournalRecord<T> {
  id: string;
  /** `null` marks a deletion. */
  doc: T | null;
}

/**
 * A cached document, kept serialised: serialising once serves both the journal and the cache,
 * and every read parses a fresh copy, so callers can never change what is stored.
 * `json: null` means the document does not exist (known absent, or deleted).
 */
interface CacheEntry {
  json: string | null;
  dirty: boolean;
  version: number;
}

const JOURNAL = 'journal.jsonl';

class JournaledDocumentStore<T> implements DocumentStore<T> {
  private readonly mutex = new KeyedMutex();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly journal: GroupCommitFile;
  private readonly ready: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private checkpointing: Promise<void> | undefined;
  private version = 0;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly options: LowdbStorageOptions,
  ) {
    this.journal = new GroupCommitFile(path.join(dir, JOURNAL));
    this.ready = this.recover();
    this.timer = setInterval(() => void this.checkpoint(), options.checkpointIntervalMs ?? 30_000);
    this.timer.unref();
  }

  async get(id: string): Promise<T | undefined> {
    await this.ready;
    return this.read(id);
  }

  put(id: string, doc: T): Promise<void> {
    return this.mutex.run(id, async () => {
      await this.ready;
      await this.write(id, doc);
    });
  }

  update(id: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
    return this.mutex.run(id, async () => {
      await this.ready;
      const current = await this.read(id);
      const next = await change(current);
      if (next !== undefined) await this.write(id, next);
      else if (current !== undefined) await this.write(id, null);
      return next;
    });
  }

  delete(id: string): Promise<void> {
    return this.mutex.run(id, async () => {
      await this.ready;
      if ((await this.read(id)) !== undefined) await this.write(id, null);
    });
  }

  async list(): Promise<T[]> {
    await this.ready;
    const seen = new Set<string>();
    const docs: T[] = [];
    for (const [id, entry] of this.cache) {
      seen.add(id);
      if (entry.json !== null) docs.push(JSON.parse(entry.json) as T);
    }
    for (const name of await fs.readdir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const envelope = await readEnvelope<T>(path.join(this.dir, name));
      if (envelope && !seen.has(envelope.id)) docs.push(envelope.doc);
    }
    return docs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.ready;
    await this.checkpoint();
    await this.journal.close();
  }

  /** A fresh copy of the document, from the cache or its file (absence is cached too). */
  private async read(id: string): Promise<T | undefined> {
    let cached = this.cache.get(id);
    if (!cached) {
      const envelope = await readEnvelope<T>(this.fileFor(id));
      cached = { json: envelope ? JSON.stringify(envelope.doc) : null, dirty: false, version: this.version };
      // Another write may have landed while the file was read; it wins.
      if (!this.cache.has(id)) this.remember(id, cached);
      else cached = this.cache.get(id)!;
    }
    return cached.json === null ? undefined : (JSON.parse(cached.json) as T);
  }

  private async write(id: string, doc: T | null): Promise<void> {
    if (this.closed) throw new Error(`Store ${this.dir} is closed`);
    const json = doc === null ? null : JSON.stringify(doc);
    await this.journal.append(`{"id":${JSON.stringify(id)},"doc":${json ?? 'null'}}\n`);
    this.version += 1;
    this.remember(id, { json, dirty: true, version: this.version });
    if ((await this.journal.size()) > (this.options.checkpointBytes ?? 8 * 1024 * 1024)) void this.checkpoint();
  }

  private remember(id: string, entry: CacheEntry): void {
    this.cache.delete(id);
    this.cache.set(id, entry);
    const limit = this.options.cacheLimit ?? 20000;
    if (this.cache.size <= limit) return;
    for (const [key, value] of this.cache) {
      if (this.cache.size <= limit) break;
      if (!value.dirty) this.cache.delete(key);
    }
  }

  /** Replays journals left by a crash (a rotated one first), then checkpoints them. */
  private async recover(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const rotated = (await fs.readdir(this.dir)).filter((name) => /^journal-\d+\.jsonl$/.test(name)).sort();
    for (const name of [...rotated, JOURNAL]) {
      for (const record of await readJsonLines<JournalRecord<T>>(path.join(this.dir, name))) {
        this.version += 1;
        this.remember(record.id, { json: record.doc === null ? null : JSON.stringify(record.doc), dirty: true, version: this.version });
      }
    }
    if (this.cache.size > 0 || rotated.length > 0) await this.runCheckpoint(rotated);
  }

  private checkpoint(): Promise<void> {
    this.checkpointing ??= this.runCheckpoint([]).finally(() => {
      this.checkpointing = undefined;
    });
    return this.checkpointing;
  }

  /** Moves the journal aside, writes every dirty document to its file, then drops the old journal. */
  private async runCheckpoint(alreadyRotated: string[]): Promise<void> {
    const dirty = [...this.cache].filter(([, entry]) => entry.dirty);
    if (dirty.length === 0 && alreadyRotated.length === 0) return;
    const segment = path.join(this.dir, `journal-${Date.now()}${String(this.version).padStart(12, '0')}.jsonl`);
    // Rotation waits for in-flight appends, so every entry in `dirty` is in the rotated segment or earlier.
    const rotated = await this.journal.rotateTo(segment);
    for (const [id, entry] of dirty) {
      if (entry.json === null) await fs.rm(this.fileFor(id), { force: true });
      else await writeEnvelope(this.fileFor(id), { id, doc: JSON.parse(entry.json) as T });
      const current = this.cache.get(id);
      if (current && current.version === entry.version) current.dirty = false;
    }
    await syncDirectory(this.dir);
    for (const name of alreadyRotated) await fs.rm(path.join(this.dir, name), { force: true });
    if (rotated) await fs.rm(segment, { force: true });
  }

  private fileFor(id: string): string {
    return path.join(this.dir, `${createHash('sha256').update(id).digest('hex').slice(0, 40)}.json`);
  }
}

async function readEnvelope<T>(file: string): Promise<Envelope<T> | undefined> {
  const db = new Low<Envelope<T> | null>(new DurableJsonFile(file), null);
  await db.read();
  return db.data ?? undefined;
}

/** Writes a document file during a checkpoint; the checkpoint syncs the directory once at the end. */
async function writeEnvelope<T>(file: string, envelope: Envelope<T>): Promise<void> {
  const db = new Low<Envelope<T> | null>(new DurableJsonFile(file, { syncDirectory: false }), envelope);
  await db.write();
}

/** Append-only JSON Lines file with group commit; a torn final line is skipped on read. */
class JsonLinesLog<T> implements AppendLog<T> {
  private readonly file: GroupCommitFile;

  constructor(private readonly filename: string) {
    this.file = new GroupCommitFile(filename);
  }

  append(entry: T): Promise<void> {
    return this.file.append(`${JSON.stringify(entry)}\n`);
  }

  readAll(): Promise<T[]> {
    return readJsonLines<T>(this.filename);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

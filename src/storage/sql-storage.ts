import { z } from 'zod';
import { KeyedMutex } from './keyed-mutex.js';
import { exportRecords, importRecords } from './sql-export.js';
import { pruneLogs, SqlLog } from './sql-log.js';
import { MIGRATIONS_TABLE, migrationsFor } from './sql-migrations.js';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver.js';
import { assertName, BATCH, pageLimit, storedJson, type Database } from './sql-shared.js';
import {
  MAX_KEYS,
  MAX_LOG_KEYS,
  StorageQueryError,
  type AppendLog,
  type CollectionSchema,
  type DocumentStore,
  type IndexedCollection,
  type ListQuery,
  type LogSchema,
  type Page,
  type Storage,
} from './types.js';

/** How often expired log entries are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** An update retries this often when other instances keep changing the same document. */
const MAX_ATTEMPTS = 100;

/** PostgreSQL's deadlock_detected and serialization_failure. */
const RETRYABLE_SQL_STATES = new Set(['40P01', '40001']);

const documentCursor = z.tuple([z.string(), z.string()]);

export interface SqlStorageOptions {
  engine: Storage['engine'];
  /** Log entries appended more than this many days ago are deleted (hourly). Unset: kept. */
  logRetentionDays?: number;
  clock?: () => Date;
  /**
   * Called when a stored document no longer parses: it has been moved to `quarantined_documents`
   * and reads as absent, so the one record is lost to the request instead of failing it forever.
   */
  onQuarantine?: (event: { collection: string; id: string; reason: string }) => void;
}

export { StorageQueryError };

/**
 * The stores on a SQL engine. Writes are short transactions that never wait on callers:
 * `update` reads the document with its version, lets the caller compute the next one, and
 * writes it only if the version is unchanged, retrying otherwise. A per-process mutex keeps
 * callers in one process from retrying against each other; the version check is what makes
 * several processes or instances safe on one database.
 */
export function createSqlStorage(driver: SqlDriver, options: SqlStorageOptions): Storage {
  const clock = options.clock ?? (() => new Date());
  const db: Database = { driver, ready: migrate(driver), onQuarantine: options.onQuarantine };
  const collections = new Map<string, SqlCollection<unknown, string>>();
  const logs = new Map<string, SqlLog<unknown, string>>();
  let closed = false;

  const prune = (before: Date) => pruneLogs(db, before);
  const retentionMs = options.logRetentionDays === undefined ? undefined : options.logRetentionDays * 24 * 60 * 60 * 1000;
  const pruneExpired = async () => {
    if (retentionMs === undefined || closed) return;
    await prune(new Date(clock().getTime() - retentionMs)).catch(() => undefined);
  };
  const pruneTimer = retentionMs === undefined ? undefined : setInterval(() => void pruneExpired(), PRUNE_INTERVAL_MS);
  pruneTimer?.unref();
  // Open means migrated, and the log backlog past retention already gone.
  const opened = db.ready.then(pruneExpired);
  opened.catch(() => undefined);

  function collectionHandle(name: string): SqlCollection<unknown, string> {
    assertName(name);
    let handle = collections.get(name);
    if (!handle) collections.set(name, (handle = new SqlCollection(db, name)));
    return handle;
  }

  return {
    engine: options.engine,
    ready: () => opened,
    documents<T>(name: string): DocumentStore<T> {
      return collectionHandle(name) as unknown as DocumentStore<T>;
    },
    collection<T, K extends string>(name: string, schema: CollectionSchema<T, K>): IndexedCollection<T, K> {
      if (schema.keys.length > MAX_KEYS) throw new Error(`Collection ${name} declares more than ${MAX_KEYS} keys`);
      const handle = collectionHandle(name);
      handle.useSchema(schema as unknown as CollectionSchema<unknown, string>);
      return handle as unknown as IndexedCollection<T, K>;
    },
    log<T, K extends string = never>(name: string, schema?: LogSchema<T, K>): AppendLog<T, K> {
      assertName(name);
      if (schema && schema.keys.length > MAX_LOG_KEYS) throw new Error(`Log ${name} declares more than ${MAX_LOG_KEYS} keys`);
      let handle = logs.get(name);
      if (!handle) logs.set(name, (handle = new SqlLog(db, name, clock)));
      if (schema) handle.schema = schema as unknown as LogSchema<unknown, string>;
      return handle as unknown as AppendLog<T, K>;
    },
    async nextNumber(sequence: string): Promise<number> {
      assertName(sequence);
      await db.ready;
      const rows = await driver.transaction((tx) =>
        tx.all<{ value: number | string }>(
          'INSERT INTO sequences (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value',
          [sequence],
        ),
      );
      return Number(rows[0]!.value);
    },
    pruneLogs: prune,
    exportRecords: () => exportRecords(db),
    importRecords: (records) => importRecords(db, records),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (pruneTimer) clearInterval(pruneTimer);
      await opened.catch(() => undefined);
      // Re-indexing started by a collection opened just before must finish on an open database.
      await Promise.all([...collections.values()].map((collection) => collection.whenReady().catch(() => undefined)));
      await driver.close();
    },
  };
}

async function migrate(driver: SqlDriver): Promise<void> {
  await driver.transaction(async (tx) => {
    // Instances starting together on one PostgreSQL take turns; SQLite's write lock does the same.
    if (driver.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(7243001)');
    await tx.run(MIGRATIONS_TABLE);
    const applied = new Set((await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => Number(row.version)));
    for (const migration of migrationsFor(driver.dialect)) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [migration.version, new Date().toISOString()]);
    }
  });
}

interface IndexValues {
  keys: (string | null)[];
  ord: string | null;
}

const SLOTS = Array.from({ length: MAX_KEYS }, (_, index) => index);
const KEY_COLUMNS = SLOTS.map((slot) => `k${slot + 1}`).join(', ');
const KEY_ASSIGNMENTS = SLOTS.map((slot) => `k${slot + 1} = ?`).join(', ');
const KEY_PLACEHOLDERS = SLOTS.map(() => '?').join(', ');

type StoredRow = { version: number | string } & Record<string, string | null | number>;

class SqlCollection<T, K extends string> implements IndexedCollection<T, K> {
  private readonly mutex = new KeyedMutex();
  private schema: CollectionSchema<T, K> | undefined;
  private ready: Promise<void>;

  constructor(
    private readonly db: Database,
    private readonly name: string,
  ) {
    this.ready = db.ready;
  }

  /** Declares how the collection is listed; re-indexes stored documents when that changed. */
  useSchema(schema: CollectionSchema<T, K>): void {
    if (this.schema === schema) return;
    this.schema = schema;
    this.ready = this.db.ready.then(() => this.reindexIfChanged(schema));
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  async get(id: string): Promise<T | undefined> {
    await this.ready;
    const rows = await this.db.driver.all<{ doc: unknown }>('SELECT doc FROM documents WHERE collection = ? AND id = ?', [this.name, id]);
    return rows[0] ? this.decodeOrQuarantine(id, rows[0].doc) : undefined;
  }

  /** The stored document, or `undefined` after moving aside one that no longer parses. */
  private async decodeOrQuarantine(id: string, raw: unknown): Promise<T | undefined> {
    try {
      return this.db.driver.readJson(raw) as T;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.db.driver.transaction(async (tx) => {
        await tx.run('INSERT INTO quarantined_documents (collection, id, doc, reason, at) VALUES (?, ?, ?, ?, ?)', [
          this.name,
          id,
          typeof raw === 'string' ? raw : String(raw),
          reason.slice(0, 500),
          Date.now(),
        ]);
        await this.writeRow(tx, id, undefined, 'any');
      });
      this.db.onQuarantine?.({ collection: this.name, id, reason });
      return undefined;
    }
  }

  put(id: string, doc: T): Promise<void> {
    return this.mutex.run(id, async () => {
      await this.ready;
      await this.writeUntilApplied(id, () => ({ doc }));
    });
  }

  update(id: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
    return this.mutex.run(id, async () => {
      await this.ready;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const rows = await this.db.driver.all<{ doc: unknown; version: number | string }>(
          'SELECT doc, version FROM documents WHERE collection = ? AND id = ?',
          [this.name, id],
        );
        let row = rows[0];
        const current = row ? await this.decodeOrQuarantine(id, row.doc) : undefined;
        if (row && current === undefined) row = undefined; // moved aside: the document starts over
        const next = await change(current);
        if (next === undefined && current === undefined) return undefined;
        const written = await this.write(id, next, row ? Number(row.version) : 0);
        if (written) return next;
      }
      throw new Error(`Document ${this.name}/${id} kept changing under ${MAX_ATTEMPTS} attempts to update it`);
    });
  }

  delete(id: string): Promise<void> {
    return this.mutex.run(id, async () => {
      await this.ready;
      await this.writeUntilApplied(id, () => ({ doc: undefined }));
    });
  }

  async page(query: ListQuery<K>): Promise<Page<T>> {
    await this.ready;
    const limit = pageLimit(query.limit);
    const { conditions, params } = this.filter(query);
    if (query.cursor !== undefined) {
      const [ord, id] = decodeCursor(query.cursor);
      conditions.push(query.descending ? '(ord, id) < (?, ?)' : '(ord, id) > (?, ?)');
      params.push(ord, id);
    }
    const direction = query.descending ? 'DESC' : 'ASC';
    const rows = await this.db.driver.all<{ id: string; ord: string; doc: unknown }>(
      `SELECT id, ord, doc FROM documents WHERE ${conditions.join(' AND ')} ORDER BY ord ${direction}, id ${direction} LIMIT ?`,
      [...params, limit + 1],
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const decoded = await Promise.all(items.map((row) => this.decodeOrQuarantine(row.id, row.doc)));
    return {
      items: decoded.filter((doc): doc is Awaited<T> => doc !== undefined) as T[],
      cursor: rows.length > limit && last ? encodeCursor([last.ord, last.id]) : null,
    };
  }

  async counts(key: K): Promise<Record<string, number>> {
    await this.ready;
    this.slotOf(key);
    const rows = await this.db.driver.all<{ value: string; n: number | string }>(
      'SELECT value, n FROM key_counts WHERE collection = ? AND key = ? AND n > 0',
      [this.name, key],
    );
    return Object.fromEntries(rows.map((row) => [row.value, Number(row.n)]));
  }

  async count(query: Omit<ListQuery<K>, 'limit' | 'cursor' | 'descending'>, cap: number): Promise<number> {
    await this.ready;
    const { conditions, params } = this.filter(query);
    const rows = await this.db.driver.all<{ n: number | string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM documents WHERE ${conditions.join(' AND ')} LIMIT ?) AS capped`,
      [...params, Math.max(0, Math.floor(cap))],
    );
    return Number(rows[0]?.n ?? 0);
  }

  private filter(query: Omit<ListQuery<K>, 'limit' | 'cursor' | 'descending'>): { conditions: string[]; params: SqlValue[] } {
    const conditions = ['collection = ?', 'ord IS NOT NULL'];
    const params: SqlValue[] = [this.name];
    for (const [key, value] of Object.entries(query.where ?? {}) as [K, string | undefined][]) {
      if (value === undefined) continue;
      conditions.push(`k${this.slotOf(key)} = ?`);
      params.push(value);
    }
    if (query.orderFrom !== undefined) {
      conditions.push('ord >= ?');
      params.push(query.orderFrom);
    }
    if (query.orderBefore !== undefined) {
      conditions.push('ord < ?');
      params.push(query.orderBefore);
    }
    return { conditions, params };
  }

  private slotOf(key: K): number {
    const slot = this.schema?.keys.indexOf(key) ?? -1;
    if (slot < 0) throw new StorageQueryError(`Collection ${this.name} has no key "${key}"`);
    return slot + 1;
  }

  private async writeUntilApplied(id: string, next: () => { doc: T | undefined }): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await this.write(id, next().doc, 'any')) return;
    }
    throw new Error(`Document ${this.name}/${id} could not be written`);
  }

  /** A collection without keys needs no counts: one statement per write, no transaction. */
  private write(id: string, doc: T | undefined, expected: number | 'any'): Promise<boolean> {
    if (!this.schema) return this.writePlain(id, doc, expected);
    // A deadlock or serialization failure PostgreSQL broke off is a conflict like any other: read again and retry.
    return this.db.driver
      .transaction((tx) => this.writeRow(tx, id, doc, expected))
      .catch((error: unknown) => {
        if (RETRYABLE_SQL_STATES.has((error as { code?: unknown }).code as string)) return false;
        throw error;
      });
  }

  private async writePlain(id: string, doc: T | undefined, expected: number | 'any'): Promise<boolean> {
    const { driver } = this.db;
    const version = expected === 'any' ? '' : ' AND version = ?';
    const versionParams = expected === 'any' ? [] : [expected];
    if (doc === undefined) {
      const deleted = await driver.run(`DELETE FROM documents WHERE collection = ? AND id = ?${version}`, [this.name, id, ...versionParams]);
      return expected === 'any' || deleted > 0;
    }
    const json = storedJson(doc);
    if (expected === 'any') {
      await driver.run(
        `INSERT INTO documents (collection, id, doc, version) VALUES (?, ?, ${driver.jsonParam}, 1)
         ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc, version = documents.version + 1`,
        [this.name, id, json],
      );
      return true;
    }
    if (expected === 0) {
      const inserted = await driver.run(
        `INSERT INTO documents (collection, id, doc, version) VALUES (?, ?, ${driver.jsonParam}, 1) ON CONFLICT (collection, id) DO NOTHING`,
        [this.name, id, json],
      );
      return inserted > 0;
    }
    const updated = await driver.run(
      `UPDATE documents SET doc = ${driver.jsonParam}, version = version + 1 WHERE collection = ? AND id = ? AND version = ?`,
      [json, this.name, id, expected],
    );
    return updated > 0;
  }

  /**
   * Writes (or deletes, `doc` undefined) one document and keeps its key counts in step.
   * `expected`: the version read before (0: absent), or `any`. Resolves `false` on a conflict.
   */
  private async writeRow(tx: SqlExecutor, id: string, doc: T | undefined, expected: number | 'any'): Promise<boolean> {
    const lock = this.db.driver.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const [old] = await tx.all<StoredRow>(`SELECT version, ${KEY_COLUMNS} FROM documents WHERE collection = ? AND id = ?${lock}`, [this.name, id]);
    if (expected !== 'any' && (old ? Number(old.version) : 0) !== expected) return false;
    const values = doc === undefined ? undefined : this.indexValues(doc);
    if (values === undefined) {
      if (old) await tx.run('DELETE FROM documents WHERE collection = ? AND id = ?', [this.name, id]);
    } else if (old) {
      await tx.run(
        `UPDATE documents SET doc = ${this.db.driver.jsonParam}, version = version + 1, ${KEY_ASSIGNMENTS}, ord = ? WHERE collection = ? AND id = ?`,
        [storedJson(doc), ...values.keys, values.ord, this.name, id],
      );
    } else {
      const inserted = await tx.run(
        `INSERT INTO documents (collection, id, doc, version, ${KEY_COLUMNS}, ord) VALUES (?, ?, ${this.db.driver.jsonParam}, 1, ${KEY_PLACEHOLDERS}, ?)
         ON CONFLICT (collection, id) DO NOTHING`,
        [this.name, id, storedJson(doc), ...values.keys, values.ord],
      );
      // Another instance inserted it first: read again and retry.
      if (inserted === 0) return false;
    }
    if (this.schema) await this.adjustCounts(tx, old, values);
    return true;
  }

  /**
   * Moves each changed key value's count from the old value to the new one. The counter rows are
   * touched in one fixed order (key, then value), so two transactions moving counts in opposite
   * directions (open → closed and closed → open) never wait on each other in a cycle.
   */
  private async adjustCounts(tx: SqlExecutor, old: StoredRow | undefined, next: IndexValues | undefined): Promise<void> {
    const keys = this.schema!.keys;
    const changes: { key: string; value: string; delta: 1 | -1 }[] = [];
    for (let slot = 0; slot < keys.length; slot++) {
      const before = old ? ((old[`k${slot + 1}`] as string | null) ?? null) : null;
      const after = next ? (next.keys[slot] ?? null) : null;
      if (before === after) continue;
      if (before !== null) changes.push({ key: keys[slot]!, value: before, delta: -1 });
      if (after !== null) changes.push({ key: keys[slot]!, value: after, delta: 1 });
    }
    changes.sort((a, b) => (a.key === b.key ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.key < b.key ? -1 : 1));
    for (const change of changes) {
      if (change.delta < 0) {
        await tx.run('UPDATE key_counts SET n = n - 1 WHERE collection = ? AND key = ? AND value = ?', [this.name, change.key, change.value]);
      } else {
        await tx.run(
          'INSERT INTO key_counts (collection, key, value, n) VALUES (?, ?, ?, 1) ON CONFLICT (collection, key, value) DO UPDATE SET n = key_counts.n + 1',
          [this.name, change.key, change.value],
        );
      }
    }
  }

  private indexValues(doc: T): IndexValues {
    const schema = this.schema;
    if (!schema) return { keys: SLOTS.map(() => null), ord: null };
    let values: Record<string, string | null>;
    let ord: string | null;
    try {
      values = schema.index(doc);
      ord = schema.order?.(doc) ?? '';
    } catch {
      // A stored document the schema cannot read is kept but not listed.
      return { keys: SLOTS.map(() => null), ord: null };
    }
    const keys = SLOTS.map((slot) => {
      const key = schema.keys[slot];
      return key === undefined ? null : (values[key] ?? null);
    });
    return { keys, ord };
  }

  /** Fills the key columns and counts anew when the collection's keys or order changed since last start. */
  private async reindexIfChanged(schema: CollectionSchema<T, K>): Promise<void> {
    const signature = JSON.stringify({ keys: schema.keys, order: Boolean(schema.order), version: schema.version ?? 1 });
    const { driver } = this.db;
    const [stored] = await driver.all<{ signature: string }>('SELECT signature FROM collection_schemas WHERE collection = ?', [this.name]);
    if (stored?.signature === signature) return;
    let after = '';
    for (;;) {
      const rows = await driver.all<{ id: string; doc: unknown }>(
        'SELECT id, doc FROM documents WHERE collection = ? AND id > ? ORDER BY id LIMIT ?',
        [this.name, after, BATCH],
      );
      if (rows.length === 0) break;
      await driver.transaction(async (tx) => {
        for (const row of rows) {
          const values = this.indexValues(driver.readJson(row.doc) as T);
          await tx.run(`UPDATE documents SET ${KEY_ASSIGNMENTS}, ord = ? WHERE collection = ? AND id = ?`, [
            ...values.keys,
            values.ord,
            this.name,
            row.id,
          ]);
        }
      });
      after = rows[rows.length - 1]!.id;
    }
    await driver.transaction(async (tx) => {
      // Instances starting together rebuild the counts one at a time; a later one finds the work done.
      if (driver.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(7243002)');
      const [done] = await tx.all<{ signature: string }>('SELECT signature FROM collection_schemas WHERE collection = ?', [this.name]);
      if (done?.signature === signature) return;
      await tx.run('DELETE FROM key_counts WHERE collection = ?', [this.name]);
      for (const [slot, key] of schema.keys.entries()) {
        await tx.run(
          `INSERT INTO key_counts (collection, key, value, n)
           SELECT ?, ?, k${slot + 1}, count(*) FROM documents WHERE collection = ? AND k${slot + 1} IS NOT NULL GROUP BY k${slot + 1}`,
          [this.name, key, this.name],
        );
      }
      await tx.run(
        'INSERT INTO collection_schemas (collection, signature) VALUES (?, ?) ON CONFLICT (collection) DO UPDATE SET signature = excluded.signature',
        [this.name, signature],
      );
    });
  }
}

function encodeCursor(position: [string, string]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed = documentCursor.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the error below
  }
  throw new StorageQueryError('Malformed cursor');
}

import { z } from 'zod';
import { BATCH, pageLimit, storedJson, type Database } from './sql-shared.js';
import type { SqlValue } from './sql-driver.js';
import { StorageQueryError, type AppendLog, type LogSchema, type Page } from './types.js';

const logCursor = z.coerce.number().int().positive();

/** A log on the `log_entries` table: a sequence number orders it, an append time bounds its retention. */
export class SqlLog<T, K extends string> implements AppendLog<T, K> {
  schema: LogSchema<T, K> | undefined;

  constructor(
    private readonly db: Database,
    private readonly name: string,
    private readonly clock: () => Date,
  ) {}

  async append(entry: T): Promise<void> {
    await this.db.ready;
    const keys = this.keyValues(entry);
    await this.db.driver.run(`INSERT INTO log_entries (log, at, k1, k2, entry) VALUES (?, ?, ?, ?, ${this.db.driver.jsonParam})`, [
      this.name,
      this.clock().getTime(),
      ...keys,
      storedJson(entry),
    ]);
  }

  async page(query: { where?: Partial<Record<K, string>>; limit: number; cursor?: string }): Promise<Page<T>> {
    await this.db.ready;
    const limit = pageLimit(query.limit);
    const conditions = ['log = ?'];
    const params: SqlValue[] = [this.name];
    for (const [key, value] of Object.entries(query.where ?? {}) as [K, string | undefined][]) {
      if (value === undefined) continue;
      const slot = this.schema?.keys.indexOf(key) ?? -1;
      if (slot < 0) throw new StorageQueryError(`Log ${this.name} has no key "${key}"`);
      conditions.push(`k${slot + 1} = ?`);
      params.push(value);
    }
    if (query.cursor !== undefined) {
      const parsed = logCursor.safeParse(query.cursor);
      if (!parsed.success) throw new StorageQueryError('Malformed cursor');
      conditions.push('seq < ?');
      params.push(parsed.data);
    }
    const rows = await this.db.driver.all<{ seq: number | string; entry: unknown }>(
      `SELECT seq, entry FROM log_entries WHERE ${conditions.join(' AND ')} ORDER BY seq DESC LIMIT ?`,
      [...params, limit + 1],
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => this.db.driver.readJson(row.entry) as T),
      cursor: rows.length > limit && last ? String(last.seq) : null,
    };
  }

  private keyValues(entry: T): (string | null)[] {
    if (!this.schema) return [null, null];
    const values = this.schema.index(entry) as Record<string, string | null>;
    return [0, 1].map((slot) => {
      const key = this.schema!.keys[slot];
      return key === undefined ? null : (values[key] ?? null);
    });
  }
}

export async function pruneLogs(db: Database, before: Date): Promise<number> {
  await db.ready;
  let removed = 0;
  for (;;) {
    // In batches, so a long backlog never holds the write lock for long.
    const batch = await db.driver.run('DELETE FROM log_entries WHERE seq IN (SELECT seq FROM log_entries WHERE at < ? ORDER BY seq LIMIT ?)', [
      before.getTime(),
      BATCH * 10,
    ]);
    removed += batch;
    if (batch < BATCH * 10) return removed;
  }
}

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers';
import Database from 'better-sqlite3';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver.js';

export interface SqliteDriverOptions {
  /** The database file, or `:memory:`. */
  file: string;
  /** A passive WAL checkpoint runs this often, besides SQLite's own size-triggered one. */
  checkpointIntervalMs?: number;
  /** WAL size (pages) that makes SQLite checkpoint by itself (default 1000 pages, about 4 MB). */
  autocheckpointPages?: number;
}

interface Job {
  work: (tx: SqlExecutor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * better-sqlite3 in WAL mode with `synchronous = FULL`: a transaction is on disk when COMMIT
 * returns, so an acknowledged write survives `kill -9` and power loss. better-sqlite3 is
 * synchronous, so transactions that arrive while the process is busy are committed together
 * (each in its own savepoint, so one failing does not undo the others): one fsync for many
 * writes, and the event loop is not held once per write.
 */
export function createSqliteDriver(options: SqliteDriverOptions): SqlDriver {
  if (options.file !== ':memory:') mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(options.autocheckpointPages ?? 1000))}`);
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const executor: SqlExecutor = {
    async all<R>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
      const statement = prepare(sql);
      if (statement.reader) return statement.all(...params) as R[];
      statement.run(...params);
      return [];
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      return prepare(sql).run(...params).changes;
    },
  };

  let pending: Job[] = [];
  let scheduled = false;
  let flushing = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    nextMacrotask(() => void flush());
  };

  async function flush(): Promise<void> {
    scheduled = false;
    if (flushing) return schedule();
    const jobs = pending;
    pending = [];
    if (jobs.length === 0) return;
    if (!db.open) {
      for (const job of jobs) job.reject(new Error('The storage is closed'));
      return;
    }
    flushing = true;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const job of jobs) {
        db.exec('SAVEPOINT job');
        try {
          outcomes.push({ ok: true, value: await job.work(executor) });
          db.exec('RELEASE job');
        } catch (error) {
          db.exec('ROLLBACK TO job');
          db.exec('RELEASE job');
          outcomes.push({ ok: false, error });
        }
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.open && db.inTransaction) db.exec('ROLLBACK');
      for (const job of jobs) job.reject(error);
      return;
    } finally {
      flushing = false;
      if (pending.length > 0) schedule();
    }
    jobs.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }

  const transaction = <R>(work: (tx: SqlExecutor) => Promise<R>): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      if (!db.open) return reject(new Error('The storage is closed'));
      pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      schedule();
    });

  const timer =
    options.file === ':memory:' ? undefined : setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), options.checkpointIntervalMs ?? 30_000);
  timer?.unref();

  return {
    dialect: 'sqlite',
    jsonParam: '?',
    readJson: (value) => JSON.parse(value as string) as unknown,
    all: executor.all,
    run: (sql, params) => transaction((tx) => tx.run(sql, params)),
    transaction,
    async close(): Promise<void> {
      while (pending.length > 0 || flushing || scheduled) await new Promise((resolve) => nextMacrotask(resolve));
      if (timer) clearInterval(timer);
      if (db.open) db.close();
    },
  };
}

import { closeSync, fstatSync, fsync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
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
 * better-sqlite3 in WAL mode. Every write is on disk before its caller hears of it, so an
 * acknowledged write survives `kill -9` and power loss: COMMIT appends the transaction to the
 * WAL (`synchronous = NORMAL`, which does not wait for the disk), then the WAL is fsynced on
 * libuv's thread pool, and a batch's promises settle only after an fsync that began after its
 * COMMIT. That is what `synchronous = FULL` guarantees, without holding the event loop for the
 * disk flush (about 1–2 ms, which otherwise stalled every other request). better-sqlite3 is
 * synchronous, so transactions that arrive while the process is busy are committed together
 * (each in its own savepoint, so one failing does not undo the others), and commits made while
 * an fsync is running share the next one: one fsync for many writes.
 */
export function createSqliteDriver(options: SqliteDriverOptions): SqlDriver {
  if (options.file !== ':memory:') mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  const walFile = options.file === ':memory:' ? undefined : `${options.file}-wal`;
  // An in-memory database has nothing to make durable; a file's commits are fsynced by walSync below.
  db.pragma(walFile ? 'synchronous = NORMAL' : 'synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(options.autocheckpointPages ?? 1000))}`);
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  // Prepared once: db.exec would compile each of these again for every batch.
  const control = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    savepoint: db.prepare('SAVEPOINT job'),
    release: db.prepare('RELEASE job'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO job'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
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
    // A lone job needs no savepoint: if it fails, rolling back the transaction undoes just it.
    const alone = jobs.length === 1;
    try {
      control.begin.run();
      for (const job of jobs) {
        if (!alone) control.savepoint.run();
        try {
          outcomes.push({ ok: true, value: await job.work(executor) });
          if (!alone) control.release.run();
        } catch (error) {
          if (alone) throw error;
          control.rollbackToSavepoint.run();
          control.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      control.commit.run();
    } catch (error) {
      if (db.open && db.inTransaction) control.rollback.run();
      for (const job of jobs) job.reject(error);
      return;
    } finally {
      flushing = false;
      if (pending.length > 0) schedule();
    }
    walSync.afterCommit((syncError) => {
      jobs.forEach((job, index) => {
        const outcome = outcomes[index]!;
        // Committed but not known to be on disk: the caller must not take it as stored.
        if (syncError) job.reject(syncError);
        else if (outcome.ok) job.resolve(outcome.value);
        else job.reject(outcome.error);
      });
    });
  }

  /** Settles each batch once the WAL holding its COMMIT is on disk. */
  const walSync = createWalSync(walFile);

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
      while (pending.length > 0 || flushing || scheduled || walSync.busy()) await new Promise((resolve) => nextMacrotask(resolve));
      walSync.close();
      if (timer) clearInterval(timer);
      if (db.open) db.close();
    },
  };
}

interface WalSync {
  /** Calls `done` after an fsync of the WAL that started after this call. */
  afterCommit(done: (error: Error | undefined) => void): void;
  busy(): boolean;
  close(): void;
}

/**
 * fsyncs the WAL on the thread pool. Commits made while an fsync runs wait for the next one,
 * so under load one fsync covers many batches. The WAL's directory is synced once, when the
 * file is first opened, as SQLite does for a new journal.
 */
function createWalSync(walFile: string | undefined): WalSync {
  let fd: number | undefined;
  let running = false;
  let waiting: ((error: Error | undefined) => void)[] = [];

  const openWal = (): number => {
    // The WAL is recreated only if every connection closed; reopen if it is not the file we hold.
    if (fd !== undefined && fstatSync(fd).ino === statSync(walFile!).ino) return fd;
    if (fd !== undefined) closeSync(fd);
    fd = openSync(walFile!, 'r');
    const directory = openSync(path.dirname(walFile!), 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
    return fd;
  };

  const start = () => {
    const batch = waiting;
    waiting = [];
    running = true;
    const finish = (error: Error | null | undefined) => {
      running = false;
      for (const done of batch) done(error ?? undefined);
      if (waiting.length > 0) start();
    };
    try {
      fsync(openWal(), finish);
    } catch (error) {
      finish(error instanceof Error ? error : new Error(String(error)));
    }
  };

  return {
    afterCommit(done) {
      if (!walFile) return done(undefined);
      waiting.push(done);
      if (!running) start();
    },
    busy: () => running || waiting.length > 0,
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/**
 * The little the storage needs from a SQL engine. SQLite and PostgreSQL each provide one, so
 * the stores themselves (sql-storage.ts) are written once. Statements use `?` placeholders;
 * the PostgreSQL driver numbers them.
 */
export interface SqlExecutor {
  all<R>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export type SqlValue = string | number | null;

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Runs `work` in one transaction and resolves once it is durably committed. `work` must only
   * touch the database through `tx`; it never waits on anything else (no user callbacks), so a
   * driver may group several transactions into one commit.
   */
  transaction<R>(work: (tx: SqlExecutor) => Promise<R>): Promise<R>;
  /** A parameter placeholder for a JSON document (`?::jsonb` on PostgreSQL). */
  jsonParam: string;
  /** A stored JSON document as read back (text on SQLite, already parsed on PostgreSQL). */
  readJson(value: unknown): unknown;
  close(): Promise<void>;
}

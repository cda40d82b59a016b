/**
 * The store interfaces every feature talks to. Three engines implement them: SQLite (the
 * embedded default, one file in DATA_DIR), PostgreSQL (DATABASE_URL, several instances) and an
 * in-memory SQLite database for tests. No interface reads "everything": lists come in pages.
 */

/** A collection of JSON documents addressed by id. Writes are durable when the promise resolves. */
export interface DocumentStore<T> {
  get(id: string): Promise<T | undefined>;
  /** Replaces the document. */
  put(id: string, doc: T): Promise<void>;
  /**
   * Reads, changes and writes one document atomically: no other write to the same id, from
   * this process or another instance, lands in between. Returning `undefined` deletes the
   * document. `change` may run again when another instance wrote the document meanwhile, so it
   * should do nothing but compute the new document.
   */
  update(id: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined>;
  delete(id: string): Promise<void>;
}

/**
 * How an indexed collection is listed. `keys` names the fields a list filters on by equality
 * (at most {@link MAX_KEYS}); `index` reads them from a document when it is written (`null`: the
 * document is not listed under that key). `order` is the sort value of a page (compared as
 * plain strings, e.g. ISO dates; `null` sorts first). Counts per key value are kept as the
 * documents are written, so reading them costs the same at 1k and at 100k documents.
 */
export interface CollectionSchema<T, K extends string = string> {
  keys: readonly K[];
  index(doc: T): { [key in K]: string | null };
  order?(doc: T): string | null;
  /** Bump when `index` or `order` read documents differently, so stored documents are re-indexed at start. */
  version?: number;
}

/** Equality filters and a range on the order value. Every filter must hold. */
export interface ListQuery<K extends string = string> {
  where?: Partial<Record<K, string>>;
  /** Inclusive lower bound of the order value. */
  orderFrom?: string;
  /** Exclusive upper bound of the order value. */
  orderBefore?: string;
  /** Highest order value first. */
  descending?: boolean;
  /** Page size, 1–500. */
  limit: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

/** One page of a list; `cursor` reads the next one, `null` when this was the last. */
export interface Page<T> {
  items: T[];
  cursor: string | null;
}

/** Documents that are listed: by key, in order, a page at a time. */
export interface IndexedCollection<T, K extends string = string> extends DocumentStore<T> {
  page(query: ListQuery<K>): Promise<Page<T>>;
  /** How many documents carry each value of `key`, e.g. `{ open: 12, closed: 340 }`. */
  counts(key: K): Promise<Record<string, number>>;
  /**
   * How many documents match, counting no further than `cap` (a range count over a large
   * backlog is shown as "cap or more" rather than paid for in full).
   */
  count(query: Omit<ListQuery<K>, 'limit' | 'cursor' | 'descending'>, cap: number): Promise<number>;
}

/** How a log is filtered: up to {@link MAX_LOG_KEYS} named fields read from each entry. */
export interface LogSchema<T, K extends string = string> {
  keys: readonly K[];
  index(entry: T): { [key in K]: string | null };
}

/**
 * An append-only log (audit, outbox, sent mail, unanswered questions). Appends are durable
 * when resolved. Entries are read newest first, a page at a time, and dropped after the
 * retention period the operator sets (LOG_RETENTION_DAYS).
 */
export interface AppendLog<T, K extends string = string> {
  append(entry: T): Promise<void>;
  /** Newest first. */
  page(query: { where?: Partial<Record<K, string>>; limit: number; cursor?: string }): Promise<Page<T>>;
}

/** Hands out named stores; one instance per process. Names: lower case, digits and dashes. */
export interface Storage {
  /** Which engine holds the data, for logs and `/metrics`. */
  readonly engine: 'sqlite' | 'postgres' | 'memory';
  /** Resolves once the database is open and migrated; rejects when it cannot be. */
  ready(): Promise<void>;
  documents<T>(name: string): DocumentStore<T>;
  collection<T, K extends string>(name: string, schema: CollectionSchema<T, K>): IndexedCollection<T, K>;
  log<T, K extends string = never>(name: string, schema?: LogSchema<T, K>): AppendLog<T, K>;
  /** The next number of a named counter: unique across every instance on the same database, starting at 1. */
  nextNumber(sequence: string): Promise<number>;
  /** Deletes log entries appended before `before`; returns how many. Runs by itself per LOG_RETENTION_DAYS. */
  pruneLogs(before: Date): Promise<number>;
  /** Everything stored, for `npm run data -- export`, read a page at a time. */
  exportRecords(): AsyncIterable<StoredRecord>;
  /** Writes exported records; collections are re-indexed when their schema is next opened. */
  importRecords(records: AsyncIterable<StoredRecord>): Promise<{ imported: number }>;
  /** Finishes pending writes and releases the database. */
  close(): Promise<void>;
}

/** One line of an export (JSON Lines). */
export type StoredRecord =
  | { kind: 'document'; collection: string; id: string; doc: unknown }
  | { kind: 'log'; log: string; at: string; entry: unknown }
  | { kind: 'sequence'; name: string; value: number };

/** A list query that names a key the store does not have, a bad page size, or a malformed cursor. */
export class StorageQueryError extends Error {}

export const MAX_KEYS = 8;
export const MAX_LOG_KEYS = 2;
export const MAX_PAGE = 500;

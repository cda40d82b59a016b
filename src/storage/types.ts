/**
 * Small store interfaces. Every feature talks to these, never to lowdb directly, so a
 * PostgreSQL or Redis implementation can take over without touching callers.
 */

/** A collection of JSON documents addressed by id. Writes are durable when the promise resolves. */
export interface DocumentStore<T> {
  get(id: string): Promise<T | undefined>;
  /** Replaces the document. */
  put(id: string, doc: T): Promise<void>;
  /**
   * Reads, changes and writes one document atomically with respect to other `update`, `put`
   * and `delete` calls on the same id. Returning `undefined` deletes the document.
   */
  update(id: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined>;
  delete(id: string): Promise<void>;
  /** Every document. Not for hot paths: implementations may scan. */
  list(): Promise<T[]>;
}

/** An append-only log of JSON entries (audit, outbox, unanswered questions). Appends are durable when resolved. */
export interface AppendLog<T> {
  append(entry: T): Promise<void>;
  /** Every entry, oldest first. */
  readAll(): Promise<T[]>;
}

/** Hands out named stores; one instance per process and data directory. */
export interface Storage {
  documents<T>(name: string): DocumentStore<T>;
  log<T>(name: string): AppendLog<T>;
  /** Flushes pending work (checkpoints) and releases files. */
  close(): Promise<void>;
}

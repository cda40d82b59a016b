import { MAX_PAGE, StorageQueryError } from './types.js';
import type { SqlDriver } from './sql-driver.js';

/** What every store on one database shares: the driver, and the migrations it waits for. */
export interface Database {
  driver: SqlDriver;
  ready: Promise<void>;
  /** Told about each document that no longer parsed and was moved aside. */
  onQuarantine?: (event: { collection: string; id: string; reason: string }) => void;
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Rows read or written per statement batch by re-indexing, export, import and pruning. */
export const BATCH = 500;

export function assertName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new Error(`Invalid store name "${name}"`);
}

/**
 * A document as stored. A NUL character (which PostgreSQL's JSONB cannot hold) becomes U+FFFD on
 * every engine, so pasted binary junk never fails a write and both engines keep the same text.
 */
export function storedJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
}

export function pageLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new StorageQueryError(`Page size must be 1–${MAX_PAGE}`);
  return limit;
}

import { createSqlStorage } from './sql-storage.js';
import { createSqliteDriver } from './sqlite-driver.js';
import type { Storage } from './types.js';

/**
 * Storage for tests: SQLite in memory. The same engine and queries as the embedded default,
 * so a test's store behaves exactly like production's, without a second hand-written store.
 */
export function createMemoryStorage(options: { clock?: () => Date; logRetentionDays?: number } = {}): Storage {
  return createSqlStorage(createSqliteDriver({ file: ':memory:' }), { engine: 'memory', ...options });
}

import path from 'node:path';
import type { Config } from '../config.js';
import { createPostgresDriver } from './postgres-driver.js';
import { createSqlStorage } from './sql-storage.js';
import { createSqliteDriver } from './sqlite-driver.js';
import type { Storage } from './types.js';

/** The embedded database's file name inside DATA_DIR. */
export const SQLITE_FILE = 'assistant.db';

/** SQLite in `dataDir` (what `openStorage` opens without DATABASE_URL), for tools and tests that need no config. */
export function createSqliteStorage(dataDir: string, options: { clock?: () => Date; logRetentionDays?: number } = {}): Storage {
  return createSqlStorage(createSqliteDriver({ file: path.join(dataDir, SQLITE_FILE) }), { engine: 'sqlite', ...options });
}

/**
 * The configured storage, open and migrated: PostgreSQL when DATABASE_URL is set, otherwise
 * SQLite in DATA_DIR.
 */
export async function openStorage(
  config: Pick<Config, 'dataDir' | 'storage'>,
  options: {
    clock?: () => Date;
    onError?: (error: Error) => void;
    onQuarantine?: (event: { collection: string; id: string; reason: string }) => void;
  } = {},
): Promise<Storage> {
  const { storage: settings } = config;
  const storage = settings.databaseUrl
    ? createSqlStorage(createPostgresDriver({ url: settings.databaseUrl, poolSize: settings.poolSize, onError: options.onError }), {
        engine: 'postgres',
        logRetentionDays: settings.logRetentionDays,
        clock: options.clock,
        onQuarantine: options.onQuarantine,
      })
    : createSqlStorage(
        createSqliteDriver({
          file: path.join(config.dataDir, SQLITE_FILE),
          checkpointIntervalMs: settings.sqliteCheckpointSeconds * 1000,
          autocheckpointPages: settings.sqliteAutocheckpointPages,
        }),
        { engine: 'sqlite', logRetentionDays: settings.logRetentionDays, clock: options.clock, onQuarantine: options.onQuarantine },
      );
  try {
    await storage.ready();
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw error;
  }
  return storage;
}

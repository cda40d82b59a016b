import path from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from './open-storage.js';

/**
 * A consistent copy of the embedded database while the service keeps running (SQLite's online
 * backup API): readers and writers are not stopped, and the copy is one moment's state.
 */
export async function backUpSqlite(dataDir: string, destination: string): Promise<{ pages: number }> {
  const source = new Database(path.join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
  try {
    const result = await source.backup(destination);
    return { pages: result.totalPages };
  } finally {
    source.close();
  }
}

import { loadConfig } from '../config.js';
import { openStorage } from '../storage/open-storage.js';
import { backUpSqlite } from '../storage/sqlite-backup.js';
import { exportToFile, importFromFile, importPreviousLayout, type TransferResult } from '../storage/transfer.js';

/**
 * `npm run data -- export FILE` / `npm run data -- import FILE`: moves everything the service
 * stores between engines as JSON Lines. Each command works on the configured store: SQLite in
 * DATA_DIR, or PostgreSQL when DATABASE_URL is set. Stop the service before exporting, so the
 * file is one consistent moment. `npm run data -- backup FILE` copies the embedded database
 * while the service runs (PostgreSQL is backed up with pg_dump). `npm run data -- import-previous DIR`
 * brings in a DATA_DIR written by the previous release (per-store JSON files and journals).
 */
async function main(): Promise<number> {
  const [command, file, ...rest] = process.argv.slice(2).filter((arg) => arg !== '--');
  if (!['export', 'import', 'backup', 'import-previous'].includes(command ?? '') || !file || rest.length > 0) {
    console.error('usage: npm run data -- export FILE.jsonl | import FILE.jsonl | backup FILE.db | import-previous OLD_DATA_DIR');
    return 2;
  }
  const config = loadConfig();
  if (command === 'backup') {
    if (config.storage.databaseUrl) {
      console.error('refused: DATABASE_URL is set; back up PostgreSQL with pg_dump (see docs/deploy.md)');
      return 1;
    }
    const { pages } = await backUpSqlite(config.dataDir, file);
    console.log(`backed up ${pages} pages of ${config.dataDir} to ${file}`);
    return 0;
  }
  const where = config.storage.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite in ${config.dataDir}`;
  const storage = await openStorage(config);
  try {
    const result: TransferResult =
      command === 'export'
        ? await exportToFile(storage, file)
        : command === 'import'
          ? await importFromFile(storage, file)
          : await importPreviousLayout(storage, file);
    if (result.ok) {
      console.log(`${command === 'export' ? 'exported' : 'imported'} ${result.records} records ${command === 'export' ? 'from' : 'into'} ${where}`);
      return 0;
    }
    if (result.problem === 'not-empty') console.error(`refused: ${where} already holds data; import into an empty store`);
    else console.error(`refused: ${file} line ${result.line} is not an export record (${result.reason}); nothing was imported`);
    return 1;
  } finally {
    await storage.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

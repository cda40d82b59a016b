/**
 * Versioned schema changes, applied in order at start. A version is never edited once
 * released: a change is a new version. Both dialects share the numbering.
 *
 * Documents live in one table; an indexed collection fills the key columns `k1`..`k8` and the
 * order column `ord` from its schema, and each key column has a partial index (collection, key,
 * order, id) so a filtered page is an index range. Counts per key value are kept in
 * `key_counts` as documents change. Log entries get a sequence number, an append time for
 * retention and two key columns.
 */
export interface Migration {
  version: number;
  statements: string[];
}

function schema(dialect: 'sqlite' | 'postgres'): Migration[] {
  const text = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  const json = dialect === 'postgres' ? 'JSONB' : 'TEXT';
  const serial = dialect === 'postgres' ? 'BIGSERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  const slots = [1, 2, 3, 4, 5, 6, 7, 8];
  const keyIndexes = slots.map((slot) => `CREATE INDEX documents_k${slot} ON documents (collection, k${slot}, ord, id) WHERE k${slot} IS NOT NULL`);
  return [
    {
      version: 1,
      statements: [
        `CREATE TABLE documents (
          collection ${text} NOT NULL, id ${text} NOT NULL, doc ${json} NOT NULL, version BIGINT NOT NULL,
          ${slots.map((slot) => `k${slot} ${text}`).join(', ')}, ord ${text},
          PRIMARY KEY (collection, id))`,
        ...keyIndexes,
        'CREATE INDEX documents_ord ON documents (collection, ord, id) WHERE ord IS NOT NULL',
        `CREATE TABLE collection_schemas (collection ${text} PRIMARY KEY, signature TEXT NOT NULL)`,
        `CREATE TABLE key_counts (collection ${text} NOT NULL, key ${text} NOT NULL, value ${text} NOT NULL, n BIGINT NOT NULL,
          PRIMARY KEY (collection, key, value))`,
        `CREATE TABLE log_entries (seq ${serial}, log ${text} NOT NULL, at BIGINT NOT NULL, k1 ${text}, k2 ${text}, entry ${json} NOT NULL)`,
        'CREATE INDEX log_entries_log ON log_entries (log, seq)',
        'CREATE INDEX log_entries_k1 ON log_entries (log, k1, seq) WHERE k1 IS NOT NULL',
        'CREATE INDEX log_entries_k2 ON log_entries (log, k2, seq) WHERE k2 IS NOT NULL',
        'CREATE INDEX log_entries_at ON log_entries (at)',
        `CREATE TABLE sequences (name ${text} PRIMARY KEY, value BIGINT NOT NULL)`,
      ],
    },
    {
      // Documents that no longer parse are moved here, named in the log, and kept for a person to look at.
      version: 2,
      statements: [
        `CREATE TABLE quarantined_documents (seq ${serial}, collection ${text} NOT NULL, id ${text} NOT NULL, doc TEXT NOT NULL, reason TEXT NOT NULL, at BIGINT NOT NULL)`,
      ],
    },
  ];
}

export function migrationsFor(dialect: 'sqlite' | 'postgres'): Migration[] {
  return schema(dialect);
}

export const MIGRATIONS_TABLE = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)';

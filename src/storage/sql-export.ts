import { BATCH, assertName, storedJson, type Database } from './sql-shared.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';
import type { StoredRecord } from './types.js';

/** Everything stored, a page at a time: documents by collection and id, logs by sequence, then sequences. */
export async function* exportRecords(db: Database): AsyncGenerator<StoredRecord> {
  await db.ready;
  const { driver } = db;
  let after: [string, string] = ['', ''];
  for (;;) {
    const rows = await driver.all<{ collection: string; id: string; doc: unknown }>(
      'SELECT collection, id, doc FROM documents WHERE (collection, id) > (?, ?) ORDER BY collection, id LIMIT ?',
      [...after, BATCH],
    );
    for (const row of rows) yield { kind: 'document', collection: row.collection, id: row.id, doc: driver.readJson(row.doc) };
    if (rows.length < BATCH) break;
    const last = rows[rows.length - 1]!;
    after = [last.collection, last.id];
  }
  let seq = 0;
  for (;;) {
    const rows = await driver.all<{ seq: number | string; log: string; at: number | string; entry: unknown }>(
      'SELECT seq, log, at, entry FROM log_entries WHERE seq > ? ORDER BY seq LIMIT ?',
      [seq, BATCH],
    );
    for (const row of rows) yield { kind: 'log', log: row.log, at: new Date(Number(row.at)).toISOString(), entry: driver.readJson(row.entry) };
    if (rows.length < BATCH) break;
    seq = Number(rows[rows.length - 1]!.seq);
  }
  for (const row of await driver.all<{ name: string; value: number | string }>('SELECT name, value FROM sequences ORDER BY name')) {
    yield { kind: 'sequence', name: row.name, value: Number(row.value) };
  }
}

export async function importRecords(db: Database, records: AsyncIterable<StoredRecord>): Promise<{ imported: number }> {
  await db.ready;
  const { driver } = db;
  const touched = new Set<string>();
  let imported = 0;
  let batch: StoredRecord[] = [];
  const flush = async () => {
    const writing = batch;
    batch = [];
    await driver.transaction(async (tx) => {
      for (const record of writing) await importOne(tx, driver, record);
    });
    imported += writing.length;
  };
  for await (const record of records) {
    if (record.kind === 'document') {
      assertName(record.collection);
      touched.add(record.collection);
    } else if (record.kind === 'log') assertName(record.log);
    else assertName(record.name);
    batch.push(record);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  // Imported documents carry no key values yet: their collections re-index when next opened.
  await driver.transaction(async (tx) => {
    for (const collection of touched) await tx.run('DELETE FROM collection_schemas WHERE collection = ?', [collection]);
  });
  return { imported };
}

async function importOne(tx: SqlExecutor, driver: SqlDriver, record: StoredRecord): Promise<void> {
  if (record.kind === 'document') {
    await tx.run(
      `INSERT INTO documents (collection, id, doc, version) VALUES (?, ?, ${driver.jsonParam}, 1)
       ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc, version = documents.version + 1`,
      [record.collection, record.id, storedJson(record.doc)],
    );
  } else if (record.kind === 'log') {
    await tx.run(`INSERT INTO log_entries (log, at, entry) VALUES (?, ?, ${driver.jsonParam})`, [
      record.log,
      Date.parse(record.at),
      storedJson(record.entry),
    ]);
  } else {
    await tx.run(
      'INSERT INTO sequences (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = CASE WHEN sequences.value > excluded.value THEN sequences.value ELSE excluded.value END',
      [record.name, record.value],
    );
  }
}

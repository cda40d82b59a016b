import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../src/storage/open-storage.js';
import { createSqlStorage } from '../../src/storage/sql-storage.js';
import { createSqliteDriver } from '../../src/storage/sqlite-driver.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startEngine } from '../helpers/transcript.js';

/** Overwrites one stored document with bytes that are not JSON, as a disk fault or a careless edit would. */
function corrupt(dataDir: string, collection: string, id: string): void {
  const db = new Database(path.join(dataDir, SQLITE_FILE));
  try {
    const changed = db.prepare('UPDATE documents SET doc = \'{"flows": [\' WHERE collection = ? AND id = ?').run(collection, id).changes;
    expect(changed).toBe(1);
  } finally {
    db.close();
  }
}

function quarantined(dataDir: string): { collection: string; id: string; doc: string }[] {
  const db = new Database(path.join(dataDir, SQLITE_FILE), { readonly: true });
  try {
    return db.prepare('SELECT collection, id, doc FROM quarantined_documents').all() as { collection: string; id: string; doc: string }[];
  } finally {
    db.close();
  }
}

describe('storage that fails loudly and heals', () => {
  it('a conversation whose stored state no longer parses is moved aside; the user carries on instead of a 500 on every message', async () => {
    const dataDir = tempDir();
    const engine = await startEngine({ dataDir });
    const chat = engine.chat('visitor-1');
    await chat.user('忘记用户名了怎么办').expects(/用户名/);
    corrupt(dataDir, 'sessions', 'web:visitor-1');

    await chat.user('忘记用户名了怎么办').expects(/用户名/);
    await chat.user('谢谢');
    expect(quarantined(dataDir)).toEqual([{ collection: 'sessions', id: 'web:visitor-1', doc: '{"flows": [' }]);
  });

  it('names the document it moved aside, keeps the kept counts right, and lets the id be written again', async () => {
    const dataDir = tempDir();
    const events: { collection: string; id: string }[] = [];
    const storage = createSqlStorage(createSqliteDriver({ file: path.join(dataDir, SQLITE_FILE) }), {
      engine: 'sqlite',
      onQuarantine: ({ collection, id }) => events.push({ collection, id }),
    });
    const tickets = storage.collection<{ status: string }, 'status'>('tickets', {
      keys: ['status'],
      index: (t) => ({ status: t.status }),
      order: () => 'x',
    });
    await tickets.put('T1', { status: 'open' });
    await tickets.put('T2', { status: 'open' });
    expect(await tickets.counts('status')).toEqual({ open: 2 });
    await storage.close();
    corrupt(dataDir, 'tickets', 'T1');

    const reopened = createSqlStorage(createSqliteDriver({ file: path.join(dataDir, SQLITE_FILE) }), {
      engine: 'sqlite',
      onQuarantine: ({ collection, id }) => events.push({ collection, id }),
    });
    const again = reopened.collection<{ status: string }, 'status'>('tickets', {
      keys: ['status'],
      index: (t) => ({ status: t.status }),
      order: () => 'x',
    });
    const page = await again.page({ where: { status: 'open' }, limit: 10 });
    expect(page.items).toEqual([{ status: 'open' }]);
    expect(events).toEqual([{ collection: 'tickets', id: 'T1' }]);
    expect(await again.counts('status')).toEqual({ open: 1 });
    await again.put('T1', { status: 'closed' });
    expect(await again.get('T1')).toEqual({ status: 'closed' });
    await reopened.close();
  });
});

import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLowdbStorage } from '../../src/storage/lowdb-storage.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import type { Storage } from '../../src/storage/types.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Counter {
  n: number;
  owner: string;
}

describe.each([
  ['lowdb', (dir: string) => createLowdbStorage(dir, { checkpointIntervalMs: 50 })],
  ['memory', () => createMemoryStorage()],
])('%s document store', (_name, make: (dir: string) => Storage) => {
  it('stores, updates, lists and deletes documents', async () => {
    const storage = make(tempDir());
    const store = storage.documents<Counter>('counters');
    await store.put('a', { n: 1, owner: 'x' });
    await store.update('a', (c) => ({ ...c!, n: c!.n + 1 }));
    await store.put('b', { n: 5, owner: 'y' });
    expect(await store.get('a')).toEqual({ n: 2, owner: 'x' });
    expect((await store.list()).map((c) => c.n).sort()).toEqual([2, 5]);
    await store.delete('a');
    expect(await store.get('a')).toBeUndefined();
    await storage.close();
  });

  it('loses no update when many run concurrently on one document', async () => {
    const storage = make(tempDir());
    const store = storage.documents<Counter>('counters');
    await Promise.all(Array.from({ length: 200 }, () => store.update('hot', (c) => ({ n: (c?.n ?? 0) + 1, owner: 'z' }))));
    expect((await store.get('hot'))?.n).toBe(200);
    await storage.close();
  });

  it('hands out copies, so callers cannot change stored data by accident', async () => {
    const storage = make(tempDir());
    const store = storage.documents<Counter>('counters');
    const doc = { n: 1, owner: 'x' };
    await store.put('a', doc);
    doc.n = 99;
    const read = await store.get('a');
    read!.n = 42;
    expect(await store.get('a')).toEqual({ n: 1, owner: 'x' });
    await storage.close();
  });
});

describe('lowdb storage durability', () => {
  it('keeps every acknowledged write after a crash (no close, no checkpoint)', async () => {
    const dir = tempDir();
    const first = createLowdbStorage(dir, { checkpointIntervalMs: 60_000 });
    const store = first.documents<Counter>('sessions');
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(`user-${i}`, { n: i, owner: 'u' })));
    await store.delete('user-3');
    // Simulate a crash: a torn, unacknowledged line at the end of the journal, and no close().
    appendFileSync(path.join(dir, 'sessions', 'journal.jsonl'), '{"id":"user-99","doc":{"n":');

    const second = createLowdbStorage(dir);
    const reopened = second.documents<Counter>('sessions');
    expect(await reopened.get('user-49')).toEqual({ n: 49, owner: 'u' });
    expect(await reopened.get('user-3')).toBeUndefined();
    expect(await reopened.get('user-99')).toBeUndefined();
    expect(await reopened.list()).toHaveLength(49);
    await second.close();
  });

  it('checkpoints into per-document files named by hash, never by the id itself', async () => {
    const dir = tempDir();
    const storage = createLowdbStorage(dir, { checkpointIntervalMs: 60_000 });
    const store = storage.documents<{ idNumber: string }>('accounts');
    await store.put('110105200101011235', { idNumber: '110105200101011235' });
    await storage.close();
    const files = readdirSync(path.join(dir, 'accounts'));
    expect(files.some((f) => f.includes('110105'))).toBe(false);
    const docFile = files.find((f) => f.endsWith('.json'))!;
    expect(JSON.parse(readFileSync(path.join(dir, 'accounts', docFile), 'utf8')).doc.idNumber).toBe('110105200101011235');
    expect(files).not.toContain('journal.jsonl');
  });

  it('recovers a journal that was rotated but not yet checkpointed', async () => {
    const dir = tempDir();
    const storage = createLowdbStorage(dir, { checkpointIntervalMs: 60_000 });
    const store = storage.documents<Counter>('s');
    await store.put('a', { n: 1, owner: 'o' });
    await storage.close();
    // A crash during a checkpoint leaves a rotated segment next to the live journal.
    appendFileSync(path.join(dir, 's', 'journal-0000000000001000000000001.jsonl'), '{"id":"a","doc":{"n":2,"owner":"o"}}\n');
    appendFileSync(path.join(dir, 's', 'journal.jsonl'), '{"id":"a","doc":{"n":3,"owner":"o"}}\n');
    const again = createLowdbStorage(dir).documents<Counter>('s');
    expect((await again.get('a'))?.n).toBe(3);
  });

  it('appends log entries durably and skips a torn last line', async () => {
    const dir = tempDir();
    const storage = createLowdbStorage(dir);
    const log = storage.log<{ i: number }>('audit');
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append({ i })));
    appendFileSync(path.join(dir, 'audit.jsonl'), '{"i":');
    expect((await createLowdbStorage(dir).log<{ i: number }>('audit').readAll()).length).toBe(20);
    await storage.close();
  });
});

describe('data directory lock', () => {
  it('refuses a data directory another live process is using, and takes over a stale lock', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const dir = tempDir();
    const other = spawn('sleep', ['30']);
    try {
      writeFileSync(path.join(dir, '.lock'), String(other.pid));
      expect(() => createLowdbStorage(dir)).toThrowError(/in use by process/);
    } finally {
      other.kill();
    }
    writeFileSync(path.join(dir, '.lock'), '999999999');
    const storage = createLowdbStorage(dir);
    expect(readFileSync(path.join(dir, '.lock'), 'utf8')).toBe(String(process.pid));
    await storage.close();
    expect(readdirSync(dir)).not.toContain('.lock');
  });
});

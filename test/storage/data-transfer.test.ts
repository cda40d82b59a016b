// Moving from the embedded store to another one: `npm run data -- export FILE` then `import FILE`.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { projectRoot } from '../../src/config.js';
import { TicketStore } from '../../src/helpdesk/tickets/ticket-store.js';
import type { Ticket } from '../../src/helpdesk/tickets/ticket-types.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { createSqliteStorage } from '../../src/storage/open-storage.js';
import { createPostgresDriver } from '../../src/storage/postgres-driver.js';
import { createSqlStorage } from '../../src/storage/sql-storage.js';
import { exportToFile, importFromFile, importPreviousLayout } from '../../src/storage/transfer.js';
import type { Storage } from '../../src/storage/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import { freshPostgresSchema, testDatabaseUrl } from './postgres-fixture.js';

const run = promisify(execFile);

/** `npm run data -- …` as an operator runs it, with the store named by the environment. */
function dataCommand(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'data.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'silent', ...env },
  });
}

function ticket(n: number, status: Ticket['status']): Ticket {
  const at = `2026-11-2${n}T02:00:00.000Z`;
  return {
    id: `T2026112${n}0001`,
    status,
    channel: 'web',
    userId: `web-user-${n}`,
    conversationId: `web:web-user-${n}`,
    username: '13912345678',
    description: '登录时提示账号已注销',
    topics: [],
    screenshots: [],
    transcript: [],
    createdAt: at,
    updatedAt: at,
    sla: { startedAt: at, dueAt: `2026-11-2${n + 3}T02:00:00.000Z` },
    assignee: null,
    waitingOn: 'agent',
  };
}

async function seed(storage: Storage): Promise<void> {
  const store = new TicketStore(storage);
  for (let n = 1; n <= 4; n++) await store.insertTicket(ticket(n, n === 4 ? 'closed' : 'open'));
  await storage.documents('sessions').put('web:web-user-1', { step: 'handoff' });
  await storage.log('unanswered').append({ text: '毕业证丢了怎么补办' });
  await store.nextTicketId(new Date('2026-11-30T02:00:00Z'));
}

describe('npm run data -- export | import', () => {
  it('moves tickets, conversations, logs and numbers from SQLite to another store, where the queue works again', async () => {
    const source = tempDir('chsi-export-');
    const embedded = createSqliteStorage(source);
    await seed(embedded);
    await embedded.close();
    const file = path.join(tempDir('chsi-dump-'), 'dump.jsonl');

    const exported = await dataCommand(['export', file], { DATA_DIR: source });
    expect(exported.stdout).toContain('exported 7 records from SQLite');

    const targetUrl = testDatabaseUrl ? await freshPostgresSchema() : undefined;
    const targetDir = tempDir('chsi-import-');
    const imported = await dataCommand(['import', file], { DATA_DIR: targetDir, ...(targetUrl ? { DATABASE_URL: targetUrl } : {}) });
    expect(imported.stdout).toContain(`imported 7 records into ${targetUrl ? 'PostgreSQL' : 'SQLite'}`);

    const target = targetUrl
      ? createSqlStorage(createPostgresDriver({ url: targetUrl, poolSize: 2 }), { engine: 'postgres' })
      : createSqliteStorage(targetDir);
    onTestFinished(() => target.close());
    const store = new TicketStore(target);
    expect((await store.page({ where: { status: 'open' }, limit: 10 })).items.map((t) => t.id)).toEqual([
      'T202611210001',
      'T202611220001',
      'T202611230001',
    ]);
    expect(await store.tickets.counts('status')).toEqual({ open: 3, closed: 1 });
    expect(await target.documents('sessions').get('web:web-user-1')).toEqual({ step: 'handoff' });
    expect((await target.log('unanswered').page({ limit: 5 })).items).toEqual([{ text: '毕业证丢了怎么补办' }]);
    expect(await store.nextTicketId(new Date('2026-11-30T02:00:00Z'))).toBe('T202611300002');
  }, 60_000);

  it('refuses a file with a bad line and imports nothing from it', async () => {
    const file = path.join(tempDir('chsi-dump-'), 'dump.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ kind: 'document', collection: 'sessions', id: 'web:a', doc: { step: 'start' } }),
        '{"kind":"document","collection":"Sessions!","id":"x","doc":{}}',
      ].join('\n'),
    );
    const storage = createMemoryStorage();
    onTestFinished(() => storage.close());
    const result = await importFromFile(storage, file);
    expect(result).toMatchObject({ ok: false, problem: 'bad-line', line: 2 });
    expect(await storage.documents('sessions').get('web:a')).toBeUndefined();
  });

  it('refuses to import into a store that already holds data, and leaves that data alone', async () => {
    const source = createMemoryStorage();
    onTestFinished(() => source.close());
    await seed(source);
    const file = path.join(tempDir('chsi-dump-'), 'dump.jsonl');
    expect(await exportToFile(source, file)).toEqual({ ok: true, records: 7 });

    const busy = createMemoryStorage();
    onTestFinished(() => busy.close());
    await busy.documents('sessions').put('web:web-user-1', { step: 'mine' });
    expect(await importFromFile(busy, file)).toEqual({ ok: false, problem: 'not-empty' });
    expect(await busy.documents('sessions').get('web:web-user-1')).toEqual({ step: 'mine' });
  });
});

describe('npm run data -- backup', () => {
  it('copies the embedded database while it is open, and the copy holds the tickets', async () => {
    const dataDir = tempDir('chsi-live-');
    const live = createSqliteStorage(dataDir);
    onTestFinished(() => live.close());
    await seed(live);
    const copyDir = tempDir('chsi-backup-');
    const backedUp = await dataCommand(['backup', path.join(copyDir, 'assistant.db')], { DATA_DIR: dataDir });
    expect(backedUp.stdout).toContain('backed up');

    const copy = createSqliteStorage(copyDir);
    onTestFinished(() => copy.close());
    expect(await new TicketStore(copy).tickets.counts('status')).toEqual({ open: 3, closed: 1 });
  }, 60_000);
});

describe('npm run data -- import-previous', () => {
  it('brings in the previous release’s files: the journal’s last word wins, torn lines are skipped, day counters become sequences', async () => {
    const old = tempDir('chsi-previous-');
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(old, file)), { recursive: true });
      writeFileSync(path.join(old, file), text);
    };
    write('sessions/0a1b.json', JSON.stringify({ id: 'web:a', doc: { step: 'checkpointed' } }));
    write('sessions/0c2d.json', JSON.stringify({ id: 'web:gone', doc: { step: 'old' } }));
    write(
      'sessions/journal.jsonl',
      [JSON.stringify({ id: 'web:a', doc: { step: 'newer' } }), JSON.stringify({ id: 'web:gone', doc: null }), '{"id":"web:torn","doc":{"st'].join(
        '\n',
      ),
    );
    write('helpdesk-counters/journal.jsonl', `${JSON.stringify({ id: '20261123', doc: { next: 3 } })}\n`);
    write('helpdesk-queue/9f.json', JSON.stringify({ id: 'open', doc: { open: {} } }));
    write('helpdesk-audit.jsonl', `${JSON.stringify({ at: '2026-11-23T02:00:00.000Z', actor: 'admin', action: 'login' })}\n{"torn`);

    const storage = createMemoryStorage();
    onTestFinished(() => storage.close());
    expect(await importPreviousLayout(storage, old)).toEqual({ ok: true, records: 3 });
    expect(await storage.documents('sessions').get('web:a')).toEqual({ step: 'newer' });
    expect(await storage.documents('sessions').get('web:gone')).toBeUndefined();
    expect(await storage.documents('helpdesk-queue').get('open')).toBeUndefined();
    expect((await storage.log('helpdesk-audit').page({ limit: 5 })).items).toEqual([
      { at: '2026-11-23T02:00:00.000Z', actor: 'admin', action: 'login' },
    ]);
    expect(await new TicketStore(storage).nextTicketId(new Date('2026-11-23T02:00:00Z'))).toBe('T202611230003');
  });
});

// One contract for every storage engine: memory, SQLite and PostgreSQL run the same cases.
import { describe, expect, it, onTestFinished } from 'vitest';
import { StorageQueryError } from '../../src/storage/sql-storage.js';
import type { CollectionSchema, Storage, StoredRecord } from '../../src/storage/types.js';

/** A new, empty database; `open` connects one more instance (process) to it. */
export interface EmptyDatabase {
  open(options?: { clock?: () => Date; logRetentionDays?: number }): Promise<Storage>;
}

export interface StorageEngineFixture {
  /** Creates an empty database, removed when the test ends. */
  create(): Promise<EmptyDatabase>;
  /** Whether several `open` calls reach the same data (false for the in-memory engine). */
  persistent: boolean;
}

interface Ticket {
  id: string;
  status: 'open' | 'closed';
  assignee: string | null;
  dueAt: string | null;
}

type TicketKey = 'status' | 'assignee';

const ticketSchema: CollectionSchema<Ticket, TicketKey> = {
  keys: ['status', 'assignee'],
  index: (ticket) => ({ status: ticket.status, assignee: ticket.status === 'open' ? (ticket.assignee ?? '-') : null }),
  order: (ticket) => ticket.dueAt,
};

function ticket(n: number, overrides: Partial<Ticket> = {}): Ticket {
  const day = String(1 + (n % 28)).padStart(2, '0');
  return { id: `T${String(n).padStart(4, '0')}`, status: 'open', assignee: null, dueAt: `2026-12-${day}T02:00:00.000Z`, ...overrides };
}

async function opened(db: EmptyDatabase, options?: Parameters<EmptyDatabase['open']>[0]): Promise<Storage> {
  const storage = await db.open(options);
  onTestFinished(() => storage.close());
  return storage;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

export function describeStorageContract(engine: string, fixture: StorageEngineFixture): void {
  describe(`storage contract: ${engine}`, () => {
    it('keeps a document until it is replaced or deleted, and hands out copies', async () => {
      const storage = await opened(await fixture.create());
      const sessions = storage.documents<{ step: string; turns: number }>('sessions');
      expect(await sessions.get('wechat:o-1')).toBeUndefined();

      await sessions.put('wechat:o-1', { step: 'ask-phone', turns: 1 });
      const copy = (await sessions.get('wechat:o-1'))!;
      copy.turns = 99;
      expect(await sessions.get('wechat:o-1')).toEqual({ step: 'ask-phone', turns: 1 });

      expect(await sessions.update('wechat:o-1', (state) => state && { ...state, turns: state.turns + 1 })).toEqual({ step: 'ask-phone', turns: 2 });
      expect(await sessions.update('wechat:o-1', () => undefined)).toBeUndefined();
      expect(await sessions.get('wechat:o-1')).toBeUndefined();

      await sessions.update('web:new', (state) => state ?? { step: 'start', turns: 0 });
      await sessions.delete('web:new');
      await sessions.delete('web:never-there');
      expect(await sessions.get('web:new')).toBeUndefined();
    });

    it('stores pasted binary junk: a NUL character becomes U+FFFD, a written backslash stays', async () => {
      const storage = await opened(await fixture.create());
      const sessions = storage.documents<{ text: string }>('sessions');
      await sessions.put('web:junk', { text: 'a\u0000b \\u0000 c\\\u0000' });
      expect(await sessions.get('web:junk')).toEqual({ text: 'a\ufffdb \\u0000 c\\\ufffd' });
      await sessions.put('web:user\u0000', { text: 'id with junk' });
      expect(await sessions.get('web:user\u0000')).toEqual({ text: 'id with junk' });
      await storage.log('unanswered').append({ text: '\u0000' });
      expect((await storage.log<{ text: string }>('unanswered').page({ limit: 1 })).items).toEqual([{ text: '\ufffd' }]);
    });

    it('applies concurrent updates of one document one after another', async () => {
      const storage = await opened(await fixture.create());
      const counters = storage.documents<{ n: number }>('counters');
      await Promise.all(Array.from({ length: 40 }, () => counters.update('c', async (current) => ({ n: (current?.n ?? 0) + 1 }))));
      expect(await counters.get('c')).toEqual({ n: 40 });
    });

    it('lists a collection a page at a time, by key and order, with every document exactly once', async () => {
      const storage = await opened(await fixture.create());
      const tickets = storage.collection('tickets', ticketSchema);
      for (let n = 1; n <= 45; n++)
        await tickets.put(ticket(n).id, ticket(n, { status: n % 3 === 0 ? 'closed' : 'open', dueAt: n === 7 ? null : ticket(n).dueAt }));

      const seen: Ticket[] = [];
      let cursor: string | undefined;
      do {
        const page = await tickets.page({ where: { status: 'open' }, limit: 8, cursor });
        expect(page.items.length).toBeLessThanOrEqual(8);
        seen.push(...page.items);
        cursor = page.cursor ?? undefined;
      } while (cursor);
      expect(seen).toHaveLength(30);
      expect(new Set(seen.map((t) => t.id)).size).toBe(30);
      // No deadline first (it needs a person's eye), then by deadline, then by id.
      expect(seen[0]!.id).toBe('T0007');
      const keys = seen.slice(1).map((t) => `${t.dueAt}|${t.id}`);
      expect(keys).toEqual([...keys].sort());

      const newestFirst = await tickets.page({ where: { status: 'closed' }, descending: true, limit: 3 });
      expect(newestFirst.items.map((t) => t.dueAt)).toEqual([...newestFirst.items.map((t) => t.dueAt)].sort().reverse());
      const early = await tickets.page({ orderFrom: '2026-12-01', orderBefore: '2026-12-03', limit: 50 });
      expect(early.items.every((t) => t.dueAt! >= '2026-12-01' && t.dueAt! < '2026-12-03')).toBe(true);
      expect(early.items.length).toBeGreaterThan(0);
      expect((await tickets.page({ limit: 500 })).items).toHaveLength(45);
    });

    it('keeps counts per key value as documents change, and caps a range count', async () => {
      const storage = await opened(await fixture.create());
      const tickets = storage.collection('tickets', ticketSchema);
      for (let n = 1; n <= 6; n++) await tickets.put(ticket(n).id, ticket(n));
      expect(await tickets.counts('status')).toEqual({ open: 6 });
      expect(await tickets.counts('assignee')).toEqual({ '-': 6 });

      await tickets.update('T0001', (t) => t && { ...t, assignee: 'li.wei' });
      await tickets.update('T0002', (t) => t && { ...t, status: 'closed' });
      await tickets.delete('T0003');
      expect(await tickets.counts('status')).toEqual({ open: 4, closed: 1 });
      expect(await tickets.counts('assignee')).toEqual({ '-': 3, 'li.wei': 1 });
      expect((await tickets.page({ where: { assignee: 'li.wei' }, limit: 10 })).items.map((t) => t.id)).toEqual(['T0001']);

      expect(await tickets.count({ where: { status: 'open' } }, 100)).toBe(4);
      expect(await tickets.count({ where: { status: 'open' } }, 2)).toBe(2);
      expect(await tickets.count({ where: { status: 'open' }, orderBefore: '2026-12-06' }, 100)).toBe(2);
    });

    it('refuses a malformed cursor or an unknown key with a clear error, and keeps the data', async () => {
      const storage = await opened(await fixture.create());
      const tickets = storage.collection('tickets', ticketSchema);
      await tickets.put('T0001', ticket(1));
      await expect(tickets.page({ limit: 5, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(StorageQueryError);
      await expect(tickets.page({ limit: 5, where: { nope: 'x' } as never })).rejects.toBeInstanceOf(StorageQueryError);
      await expect(tickets.page({ limit: 0 })).rejects.toBeInstanceOf(StorageQueryError);
      expect(() => storage.documents('Bad Name')).toThrow(/Invalid store name/);
      expect(await tickets.get('T0001')).toEqual(ticket(1));
    });

    it('hands out numbers that never repeat, even when asked for all at once', async () => {
      const storage = await opened(await fixture.create());
      const numbers = await Promise.all(Array.from({ length: 30 }, () => storage.nextNumber('ticket-20261130')));
      expect(new Set(numbers).size).toBe(30);
      expect(Math.min(...numbers)).toBe(1);
      expect(await storage.nextNumber('ticket-20261201')).toBe(1);
    });

    it('reads a log newest first, a page at a time and by key, and drops entries past retention', async () => {
      let now = new Date('2026-11-01T00:00:00Z');
      const storage = await opened(await fixture.create(), { clock: () => now });
      const audit = storage.log('audit', { keys: ['actor'], index: (entry: { actor: string; n: number }) => ({ actor: entry.actor }) });
      for (let n = 1; n <= 12; n++) {
        now = new Date(Date.UTC(2026, 10, n));
        await audit.append({ actor: n % 2 ? 'admin' : 'li.wei', n });
      }
      const first = await audit.page({ limit: 5 });
      expect(first.items.map((e) => e.n)).toEqual([12, 11, 10, 9, 8]);
      const second = await audit.page({ limit: 5, cursor: first.cursor! });
      expect(second.items.map((e) => e.n)).toEqual([7, 6, 5, 4, 3]);
      expect((await audit.page({ limit: 50, where: { actor: 'li.wei' } })).items.map((e) => e.n)).toEqual([12, 10, 8, 6, 4, 2]);

      expect(await storage.pruneLogs(new Date(Date.UTC(2026, 10, 6)))).toBe(5);
      expect((await audit.page({ limit: 50 })).items.map((e) => e.n)).toEqual([12, 11, 10, 9, 8, 7, 6]);
    });

    it('exports everything and imports it into another database, where lists and counts work again', async () => {
      const source = await opened(await fixture.create());
      const tickets = source.collection('tickets', ticketSchema);
      for (let n = 1; n <= 12; n++) await tickets.put(ticket(n).id, ticket(n, { status: n > 9 ? 'closed' : 'open' }));
      await source.documents('sessions').put('web:v1', { step: 'start' });
      await source.log('unanswered').append({ text: '毕业证丢了怎么办' });
      await source.nextNumber('ticket-20261130');
      await source.nextNumber('ticket-20261130');
      const records = await collect(source.exportRecords());
      expect(records.filter((r) => r.kind === 'document')).toHaveLength(13);

      const target = await opened(await fixture.create());
      async function* replay(): AsyncGenerator<StoredRecord> {
        yield* records;
      }
      expect(await target.importRecords(replay())).toEqual({ imported: records.length });
      const imported = target.collection('tickets', ticketSchema);
      expect(await imported.counts('status')).toEqual({ open: 9, closed: 3 });
      expect((await imported.page({ where: { status: 'closed' }, limit: 10 })).items.map((t) => t.id)).toEqual(['T0010', 'T0011', 'T0012']);
      expect(await target.documents('sessions').get('web:v1')).toEqual({ step: 'start' });
      expect((await target.log<{ text: string }>('unanswered').page({ limit: 5 })).items).toEqual([{ text: '毕业证丢了怎么办' }]);
      expect(await target.nextNumber('ticket-20261130')).toBe(3);
    });

    it.runIf(fixture.persistent)('deletes log entries older than the retention period when it opens', async () => {
      const db = await fixture.create();
      let now = new Date('2026-01-01T00:00:00Z');
      const before = await db.open({ clock: () => now });
      await before.log('audit').append({ action: 'login', n: 1 });
      now = new Date('2026-06-01T00:00:00Z');
      await before.log('audit').append({ action: 'login', n: 2 });
      await before.close();

      const after = await opened(db, { clock: () => new Date('2026-06-02T00:00:00Z'), logRetentionDays: 30 });
      await after.ready();
      expect((await after.log('audit').page({ limit: 10 })).items).toEqual([{ action: 'login', n: 2 }]);
    });

    it.runIf(fixture.persistent)('re-indexes documents written before their collection declared its keys', async () => {
      const db = await fixture.create();
      const before = await db.open();
      for (let n = 1; n <= 5; n++) await before.documents<Ticket>('tickets').put(ticket(n).id, ticket(n, { status: n === 5 ? 'closed' : 'open' }));
      await before.close();

      const after = await opened(db);
      const tickets = after.collection('tickets', ticketSchema);
      expect(await tickets.counts('status')).toEqual({ open: 4, closed: 1 });
      expect((await tickets.page({ where: { status: 'closed' }, limit: 5 })).items.map((t) => t.id)).toEqual(['T0005']);
    });

    it.runIf(fixture.persistent)('two instances on one database: no lost update, no repeated number', async () => {
      const db = await fixture.create();
      const [a, b] = [await opened(db), await opened(db)];
      const increment = (storage: Storage) =>
        storage.documents<{ n: number }>('counters').update('shared', async (current) => ({ n: (current?.n ?? 0) + 1 }));
      await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 ? a : b)));
      expect(await a.documents('counters').get('shared')).toEqual({ n: 20 });

      const numbers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).nextNumber('review')));
      expect(new Set(numbers).size).toBe(20);
    });

    it.runIf(fixture.persistent)('two instances closing and reopening tickets at once keep the counts exact', async () => {
      const db = await fixture.create();
      const [a, b] = [(await opened(db)).collection('tickets', ticketSchema), (await opened(db)).collection('tickets', ticketSchema)];
      for (let n = 1; n <= 10; n++) await a.put(ticket(n).id, ticket(n, { status: n % 2 ? 'open' : 'closed' }));
      const flip = (t: Ticket | undefined) => t && { ...t, status: t.status === 'open' ? ('closed' as const) : ('open' as const) };
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).update(ticket(1 + (i % 10)).id, async (t) => flip(t))));
      const statuses = await Promise.all(Array.from({ length: 10 }, async (_, i) => (await a.get(ticket(i + 1).id))!.status));
      const open = statuses.filter((status) => status === 'open').length;
      expect(await b.counts('status')).toEqual({ open, closed: 10 - open });
    });
  });
}

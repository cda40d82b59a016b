import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadConfig, type Config } from '../config.js';
import type { ConversationState } from '../conversation/types.js';
import { TicketStore } from '../helpdesk/tickets/ticket-store.js';
import type { Ticket } from '../helpdesk/tickets/ticket-types.js';
import { createService, type Service } from '../service.js';
import { openStorage, SQLITE_FILE } from '../storage/open-storage.js';
import type { StoredRecord } from '../storage/types.js';

/**
 * `npm run bench -- --scale`: the cost of the four operations that must stay flat as the data
 * grows (a chat turn, a ticket creation, the queue's first page, one ticket), measured after
 * seeding 1k, 10k and 100k tickets and conversations into the same database, on SQLite and, when
 * DATABASE_URL is set, on a scratch database of that PostgreSQL server.
 *
 * Every operation goes through the running service: chat turns and agent reads over HTTP on
 * loopback, ticket creation through the help desk's port (the call the escalation flow makes).
 * Requests are sent one at a time, interleaved, so each figure is a latency, not a throughput.
 */
export interface ScaleOptions {
  sizes: number[];
  samples: number;
  questions: string[];
}

type Operation = 'chat turn' | 'ticket creation' | 'queue first page' | 'one ticket';
const OPERATIONS: Operation[] = ['chat turn', 'ticket creation', 'queue first page', 'one ticket'];

interface Figures {
  p50: number;
  p99: number;
}

interface EngineResult {
  engine: string;
  /** size → operation → figures (ms). */
  bySize: Map<number, Map<Operation, Figures>>;
  seedSeconds: Map<number, number>;
}

const CHAT_TOKEN = 'bench-chat-token';
const ADMIN = { username: 'bench-admin', password: 'Bench-admin-2026' };
const WARM_UP_ROUNDS = 20;

export async function runScaleBench(options: ScaleOptions): Promise<void> {
  const serverUrl = loadConfig().storage.databaseUrl;
  const results: EngineResult[] = [await benchEngine('SQLite', undefined, options)];
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl);
    try {
      results.push(await benchEngine('PostgreSQL', scratch.url, options));
    } finally {
      await scratch.drop();
    }
  } else {
    console.log('\n(DATABASE_URL not set: PostgreSQL skipped)');
  }
  printTable(results, options);
}

async function benchEngine(engine: string, databaseUrl: string | undefined, options: ScaleOptions): Promise<EngineResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chsi-bench-scale-'));
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
    LOG_LEVEL: 'warn',
    SMTP_PORT: '0',
    CHAT_API_TOKEN: CHAT_TOKEN,
    ADMIN_USER: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  });
  const result: EngineResult = { engine, bySize: new Map(), seedSeconds: new Map() };
  let service: Service | undefined;
  try {
    service = await createService({ config, listeners: false });
    const baseUrl = `http://127.0.0.1:${await service.listen()}`;
    const templates = await makeTemplates(service, options.questions);
    const agentCookie = await agentLogin(baseUrl);
    let seeded = 0;
    for (const size of options.sizes) {
      const started = process.hrtime.bigint();
      await seed(config, templates, seeded, size);
      await settle(config);
      seeded = size;
      result.seedSeconds.set(size, Number(process.hrtime.bigint() - started) / 1e9);
      console.log(`${engine}: ${size} tickets and conversations seeded (${result.seedSeconds.get(size)!.toFixed(1)} s); measuring…`);
      result.bySize.set(size, await measure(service, baseUrl, agentCookie, size, options));
    }
  } finally {
    await service?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}

interface Templates {
  ticket: Ticket;
  conversation: ConversationState;
}

/** One real ticket and one real conversation, made through the assistant, cloned to seed. */
async function makeTemplates(service: Service, questions: string[]): Promise<Templates> {
  const talk = (userId: string, text: string) => service.assistant.handle({ channel: 'web', userId, text });
  for (const text of questions.slice(0, 3)) await talk('bench-chat-template', text);
  for (const text of ['转人工', '我的用户名是13912345678，登录时一直提示密码错误', '没有截图', '1']) await talk('bench-ticket-template', text);
  const store = new TicketStore(service.context.storage);
  const ticket = (await store.ticketsOf('web', 'bench-ticket-template')).items[0];
  const conversation = await service.context.storage.documents<ConversationState>('sessions').get('web:bench-chat-template');
  if (!ticket || !conversation) throw new Error('could not make the seed templates (is the help desk module running?)');
  return { ticket, conversation };
}

/**
 * Seeds tickets and conversations number `from` to `to - 1` with the store's own bulk import (the
 * one `npm run data -- import` uses), through a second connection to the same database; opening
 * the ticket collection there afterwards builds the imported tickets' index rows and counts.
 */
async function seed(config: Config, templates: Templates, from: number, to: number): Promise<void> {
  const now = Date.now();
  async function* records(): AsyncIterable<StoredRecord> {
    for (let n = from; n < to; n++) {
      const userId = `seed-${n}`;
      const ticket = seededTicket(templates.ticket, n, now);
      yield { kind: 'document', collection: 'helpdesk-tickets', id: ticket.id, doc: ticket };
      yield {
        kind: 'document',
        collection: 'sessions',
        id: `web:${userId}`,
        doc: { ...templates.conversation, conversationId: `web:${userId}`, userId },
      };
    }
  }
  const seeding = await openStorage(config);
  try {
    await seeding.importRecords(records());
    await new TicketStore(seeding).tickets.counts('status');
  } finally {
    await seeding.close();
  }
}

/**
 * What an operator's database looks like some minutes after a bulk import: SQLite's WAL folded
 * back into the database file, PostgreSQL's new rows vacuumed and its planner statistics fresh.
 * Without this the first samples after seeding time the import's own aftermath (a 100k-row
 * checkpoint, autovacuum), not the operations.
 */
async function settle(config: Config): Promise<void> {
  const url = config.storage.databaseUrl;
  if (!url) {
    const db = new Database(path.join(config.dataDir, SQLITE_FILE));
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.pragma('optimize');
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}

/** A third of the seeded tickets are open, with deadlines spread over two weeks around now. */
function seededTicket(template: Ticket, n: number, now: number): Ticket {
  const day = 24 * 60 * 60 * 1000;
  const createdAt = new Date(now - (n % 30) * day - (n % 997) * 60_000).toISOString();
  const dueAt = new Date(now + ((n % 14) - 7) * day + (n % 1009) * 60_000).toISOString();
  const open = n % 3 === 0;
  return {
    ...template,
    id: seededTicketId(n),
    userId: `seed-${n}`,
    conversationId: `web:seed-${n}`,
    status: open ? 'open' : 'closed',
    createdAt,
    updatedAt: createdAt,
    sla: { startedAt: createdAt, dueAt, ...(open ? {} : { respondedAt: createdAt }) },
    ...(open ? {} : { closedAt: createdAt, closedBy: ADMIN.username }),
    screenshots: [],
  };
}

/** Ticket numbers in the service's format on days of their own, so they never meet real ones. */
function seededTicketId(n: number): string {
  return `T2001${String(101 + Math.floor(n / 10_000)).padStart(4, '0')}${String(n % 10_000).padStart(4, '0')}`;
}

async function agentLogin(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/agent/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (!response.ok) throw new Error(`agent login failed: ${response.status}`);
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .join('; ');
}

async function measure(
  service: Service,
  baseUrl: string,
  agentCookie: string,
  size: number,
  options: ScaleOptions,
): Promise<Map<Operation, Figures>> {
  const helpdesk = service.context.helpdesk;
  if (!helpdesk) throw new Error('the help desk is not running');
  const pick = () => Math.floor(Math.random() * size);
  let asked = 0;
  const expectOk = async (response: Promise<Response>) => {
    const answer = await response;
    const body = await answer.text();
    if (!answer.ok) throw new Error(`${answer.url}: HTTP ${answer.status} ${body.slice(0, 300)}`);
  };
  const run: Record<Operation, () => Promise<unknown>> = {
    'chat turn': () =>
      expectOk(
        fetch(`${baseUrl}/api/chat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CHAT_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ userId: `seed-${pick()}`, text: options.questions[asked++ % options.questions.length] }),
        }),
      ),
    'ticket creation': () => {
      const n = pick();
      return helpdesk.createTicket({
        channel: 'web',
        userId: `seed-${n}`,
        conversationId: `web:seed-${n}`,
        username: '13912345678',
        description: '登录时一直提示密码错误，重置密码也收不到短信',
        screenshots: [],
        transcript: [],
        topics: [],
      });
    },
    'queue first page': () => expectOk(fetch(`${baseUrl}/api/agent/tickets?status=open`, { headers: { cookie: agentCookie } })),
    'one ticket': () => expectOk(fetch(`${baseUrl}/api/agent/tickets/${seededTicketId(pick())}`, { headers: { cookie: agentCookie } })),
  };
  const samples = new Map<Operation, number[]>(OPERATIONS.map((operation) => [operation, []]));
  for (let round = 0; round < WARM_UP_ROUNDS + options.samples; round++) {
    for (const operation of OPERATIONS) {
      const started = process.hrtime.bigint();
      try {
        await run[operation]();
      } catch (error) {
        // A failure is reported, not timed: the figures must not hide it.
        console.log(`FAILED ${operation} at ${size}: ${(error as Error).message}`);
        continue;
      }
      if (round >= WARM_UP_ROUNDS) samples.get(operation)!.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return new Map(
    OPERATIONS.map((operation) => {
      const sorted = samples.get(operation)!.sort((x, y) => x - y);
      return [operation, { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) }];
    }),
  );
}

function printTable(results: EngineResult[], options: ScaleOptions): void {
  const sizes = options.sizes;
  const label = (size: number) => (size >= 1000 ? `${size / 1000}k` : String(size));
  const first = sizes[0]!;
  const last = sizes.at(-1)!;
  console.log(
    `\n== Scale: latency in ms (p50 / p99 of ${options.samples} requests each), growth ${label(first)} → ${label(last)} (target ≤ 1.5×) ==\n`,
  );
  console.log(`| engine | operation | ${sizes.map((size) => `${label(size)} p50 / p99`).join(' | ')} | growth p50 | growth p99 |`);
  console.log(`| --- | --- | ${sizes.map(() => '---').join(' | ')} | --- | --- |`);
  for (const result of results) {
    for (const operation of OPERATIONS) {
      const cells = sizes.map((size) => {
        const figures = result.bySize.get(size)!.get(operation)!;
        return `${figures.p50.toFixed(2)} / ${figures.p99.toFixed(2)}`;
      });
      const from = result.bySize.get(first)!.get(operation)!;
      const to = result.bySize.get(last)!.get(operation)!;
      const growth = (a: number, b: number) => `${(b / Math.max(a, 0.001)).toFixed(2)}×${b / Math.max(a, 0.001) <= 1.5 ? '' : ' ✗'}`;
      console.log(`| ${result.engine} | ${operation} | ${cells.join(' | ')} | ${growth(from.p50, to.p50)} | ${growth(from.p99, to.p99)} |`);
    }
  }
  for (const result of results) {
    console.log(`${result.engine} seeding: ${sizes.map((size) => `${label(size)} in ${result.seedSeconds.get(size)!.toFixed(1)} s`).join(', ')}`);
  }
}

/**
 * A database of the bench's own on the DATABASE_URL server, dropped afterwards: the bench seeds
 * 100k rows and must never write into the database the operator actually uses.
 */
async function createScratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chsi_bench_${process.pid}_${Date.now()}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await run(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(`the scale bench needs to create a scratch database on DATABASE_URL's server (CREATEDB): ${(error as Error).message}`);
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

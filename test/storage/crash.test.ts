// The real service, killed with SIGKILL in the middle of 20,000 chat turns: after a restart every
// acknowledged conversation state and ticket is there. WAL checkpoints run along the way, by
// size (a small autocheckpoint) and by time (every second).
import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ConversationState } from '../../src/conversation/types.js';
import type { Ticket } from '../../src/helpdesk/tickets/ticket-types.js';
import { createSqliteStorage } from '../../src/storage/open-storage.js';
import { createPostgresDriver } from '../../src/storage/postgres-driver.js';
import { createSqlStorage } from '../../src/storage/sql-storage.js';
import type { Storage } from '../../src/storage/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import { freshPostgresSchema, testDatabaseUrl } from './postgres-fixture.js';
import { startServiceProcess, stopServiceProcess, type ServiceProcess } from './service-process.js';

const TURNS = 20_000;
const CONCURRENCY = 24;
const TOKEN = 'crash-test-token-0123456789abcdef';
const QUESTIONS = ['忘记用户名怎么办', '学历认证报告怎么申请', '手机号换了怎么办', '怎么修改密码', '学籍信息有错误'];
/** A user who asks for a person: four turns, the last one opens a ticket. */
const TICKET_SCRIPT = ['人工', '我的账号 liming@example.com 登录时提示账号已注销，不知道怎么回事', '没有截图', '确认'];

interface Acknowledged {
  /** userId → the last text whose reply came back. */
  turns: Map<string, string>;
  tickets: Map<string, string>;
  count: number;
}

// A keep-alive agent: the load generator shares the two cores with the service, so it stays light.
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function postChat(baseUrl: string, message: { userId: string; text: string }): Promise<unknown> {
  const body = JSON.stringify(message);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${baseUrl}/api/chat`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${TOKEN}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}: ${text}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Users send their scripts with bounded concurrency; at `TURNS` acknowledged turns the service is killed with SIGKILL. */
async function chatUntilKilled(service: ServiceProcess): Promise<Acknowledged> {
  const scripts: { userId: string; texts: string[] }[] = [];
  for (let n = 0; scripts.length < TURNS + 2000; n++) {
    scripts.push(n % 80 === 0 ? { userId: `ticket-${n}`, texts: TICKET_SCRIPT } : { userId: `user-${n}`, texts: [QUESTIONS[n % QUESTIONS.length]!] });
  }
  const acknowledged: Acknowledged = { turns: new Map(), tickets: new Map(), count: 0 };
  let next = 0;
  let killed = false;
  const worker = async () => {
    while (!killed && next < scripts.length) {
      const script = scripts[next++]!;
      for (const text of script.texts) {
        let body: { replies: { type: string; text?: string }[] };
        try {
          body = (await postChat(service.baseUrl, { userId: script.userId, text })) as typeof body;
        } catch (error) {
          if (killed) return;
          throw error;
        }
        if (killed) return;
        acknowledged.turns.set(script.userId, text);
        acknowledged.count += 1;
        const ticketId = body.replies.map((reply) => /工单号 (T\d{12})/.exec(reply.text ?? '')?.[1]).find(Boolean);
        if (ticketId) acknowledged.tickets.set(ticketId, script.userId);
        if (acknowledged.count >= TURNS) {
          killed = true;
          service.child.kill('SIGKILL');
          return;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await service.exited;
  return acknowledged;
}

async function expectEverythingAcknowledgedIsStored(storage: Storage, acknowledged: Acknowledged): Promise<void> {
  const sessions = storage.documents<ConversationState>('sessions');
  const missing: string[] = [];
  for (const [userId, text] of acknowledged.turns) {
    const state = await sessions.get(`web:${userId}`);
    if (!state) missing.push(userId);
    else if (userId.startsWith('user-') && !state.history.some((entry) => entry.from === 'user' && entry.text === text)) missing.push(userId);
  }
  expect(missing).toEqual([]);
  const tickets = storage.documents<Ticket>('helpdesk-tickets');
  for (const [ticketId, userId] of acknowledged.tickets) expect((await tickets.get(ticketId))?.userId).toBe(userId);
}

async function crashAndRestart(env: Record<string, string>, reopen: () => Promise<Storage>): Promise<void> {
  const settings = {
    ...env,
    CHAT_API_TOKEN: TOKEN,
    CORE_API_TOKEN: 'crash-test-core-token-0123456789',
    SQLITE_CHECKPOINT_SECONDS: '1',
    SQLITE_AUTOCHECKPOINT_PAGES: '64',
  };
  const first = await startServiceProcess(settings);
  onTestFinished(() => stopServiceProcess(first));
  const acknowledged = await chatUntilKilled(first);
  expect(acknowledged.count).toBe(TURNS);
  expect(acknowledged.tickets.size).toBeGreaterThan(0);

  // The killed process left no clean shutdown behind; the service starts on the same data.
  const second = await startServiceProcess(settings);
  onTestFinished(() => stopServiceProcess(second));
  expect((await fetch(`${second.baseUrl}/healthz`)).status).toBe(200);
  await stopServiceProcess(second);

  const storage = await reopen();
  onTestFinished(() => storage.close());
  await expectEverythingAcknowledgedIsStored(storage, acknowledged);
}

describe('a crash of the real service', () => {
  it('on SQLite: every acknowledged conversation state and ticket survives kill -9', async () => {
    const dataDir = tempDir('chsi-crash-');
    await crashAndRestart({ DATA_DIR: dataDir }, async () => createSqliteStorage(dataDir));
  }, 600_000);

  it.runIf(testDatabaseUrl)(
    'on PostgreSQL: every acknowledged conversation state and ticket survives kill -9',
    async () => {
      const url = await freshPostgresSchema();
      await crashAndRestart({ DATA_DIR: tempDir('chsi-crash-'), DATABASE_URL: url }, async () =>
        createSqlStorage(createPostgresDriver({ url, poolSize: 2 }), { engine: 'postgres' }),
      );
    },
    300_000,
  );
});

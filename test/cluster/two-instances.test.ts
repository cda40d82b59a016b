import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { STREAMS_PER_IDENTITY } from '../../src/channels/web/page-router.js';
import { loadConfig } from '../../src/config.js';
import type { ConversationState } from '../../src/conversation/types.js';
import { openStorage } from '../../src/storage/open-storage.js';
import type { Storage } from '../../src/storage/types.js';
import { openEventStream, type EventStream } from '../channels/web/web-visitor.js';
import { WechatServer } from '../channels/wechat-oa/wechat-server.js';
import { AgentClient } from '../helpdesk/support.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, WECHAT_APP_ID, WECHAT_TOKEN, createScratchDatabase, say, startInstance, textOf, type Instance } from './cluster.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './redis-fixture.js';

const TICKET_NUMBER = /T\d{12}/;

/**
 * Two instances of the service in their own processes, on one PostgreSQL database and one Redis,
 * with requests alternating between them as a round-robin balancer would send them.
 */
describe.skipIf(!TEST_DATABASE_URL || !TEST_REDIS_URL)('two instances on one PostgreSQL and one Redis', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;
  let storage: Storage;
  let a: Instance;
  let b: Instance;
  const redisPrefix = `cluster-${randomUUID().slice(0, 8)}:`;

  beforeAll(async () => {
    database = await createScratchDatabase(TEST_DATABASE_URL!);
    const shared = { databaseUrl: database.url, redisUrl: TEST_REDIS_URL!, redisPrefix };
    // One after the other: the first start seeds the demo accounts and creates the admin agent.
    a = await startInstance('a', shared);
    b = await startInstance('b', shared);
    // The test reads what the instances stored straight from the database.
    storage = await openStorage(loadConfig({ DATABASE_URL: database.url, DATA_DIR: '/nonexistent-unused' }));
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await storage?.close();
    await database?.drop();
    const redis = new Redis(TEST_REDIS_URL!);
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  }, 60_000);

  const conversation = (id: string) => storage.documents<ConversationState>('sessions').get(id);

  it('keeps each conversation’s state as its turns alternate between the instances, and never hands out one ticket number twice', async () => {
    const users = Array.from({ length: 6 }, (_, n) => `cluster-user-${n}`);
    const escalate = async (userId: string, n: number) => {
      const via = (turn: number) => ((n + turn) % 2 === 0 ? a : b);
      expect((await say(via(0), userId, '转人工')).flow).toBe('escalate');
      const described = await say(via(1), userId, '我的用户名是13912345678，登录时一直提示密码错误');
      expect(textOf(described)).toContain('收到用户名 139****5678');
      const summary = await say(via(2), userId, '没有截图');
      expect(textOf(summary)).toContain('请确认工单内容');
      const created = await say(via(3), userId, '1');
      expect(created.flow).toBeNull();
      return TICKET_NUMBER.exec(textOf(created))?.[0];
    };
    const tickets = await Promise.all(users.map(escalate));
    expect(tickets.every((id) => id !== undefined)).toBe(true);
    expect(new Set(tickets).size).toBe(users.length);

    // Either instance shows every ticket to an agent.
    const agentOnB = await AgentClient.login(b.baseUrl, ADMIN.username, ADMIN.password);
    for (const id of tickets) {
      const ticket = await agentOnB.json<{ id: string; status: string }>(`/api/agent/tickets/${id}`);
      expect(ticket).toMatchObject({ id, status: 'open' });
    }
  });

  it('answers a WeChat message once when WeChat delivers it to both instances', async () => {
    const clock = new TestClock(new Date());
    const secrets = { token: WECHAT_TOKEN, appId: WECHAT_APP_ID };
    const wechatToA = new WechatServer(`${a.baseUrl}/wechat`, secrets, clock);
    const wechatToB = new WechatServer(`${b.baseUrl}/wechat`, secrets, clock);
    const message = wechatToA.textXml('oClusterUser', '忘记密码了怎么办', '8800000000000000001');

    const [first, retry] = await Promise.all([wechatToA.push(message), wechatToB.push(message)]);
    expect([first.status, retry.status]).toEqual([200, 200]);
    const passiveReplies = [first, retry].filter((answer) => answer.reply !== undefined);
    expect(passiveReplies).toHaveLength(1);
    expect(passiveReplies[0]!.reply!.Content).toContain('密码');
    expect([first, retry].filter((answer) => answer.body === 'success')).toHaveLength(1);

    // A late retry finds it answered.
    expect((await wechatToB.push(message)).body).toBe('success');
    const state = await conversation('wechat:oClusterUser');
    expect(state!.history.filter((entry) => entry.from === 'user').map((entry) => entry.text)).toEqual(['忘记密码了怎么办']);
  });

  it('caps a web visitor’s event streams over both instances, and a closed stream frees its slot on the other', async () => {
    const opened: EventStream[] = [];
    onTestFinished(() => opened.forEach((stream) => stream.close()));
    const open = async (instance: Instance, cookie: string) => {
      const stream = await openEventStream(`${instance.baseUrl}/chat/events`, { cookie });
      opened.push(stream);
      return stream.status;
    };
    const cookie = await visitorCookie(a);
    const statuses = [];
    for (let i = 0; i < STREAMS_PER_IDENTITY; i += 1) statuses.push(await open(i % 2 === 0 ? a : b, cookie));
    expect(statuses).toEqual(Array(STREAMS_PER_IDENTITY).fill(200));
    expect(await open(a, cookie)).toBe(429);
    expect(await open(b, cookie)).toBe(429);

    opened[1]!.close(); // it was on instance B
    await expect.poll(() => open(a, cookie), { timeout: 5000 }).toBe(200);
    // Another visitor on the same address is not affected.
    expect(await open(b, await visitorCookie(b))).toBe(200);
  });

  it('delivers an agent reply sent through instance A to a web visitor whose page streams from instance B', async () => {
    const page = await fetch(`${b.baseUrl}/`);
    const cookie = page.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .join('; ');
    expect(cookie).toContain('chsi_chat=');
    const visitorSays = async (instance: Instance, text: string) => {
      const response = await fetch(`${instance.baseUrl}/chat/messages`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { entries: { replies: { text?: string }[] }[] };
      return body.entries.flatMap((entry) => entry.replies.map((reply) => reply.text ?? '')).join('\n');
    };
    await visitorSays(a, '转人工');
    await visitorSays(b, '我的用户名是13912345678，学历查询页面一直打不开');
    await visitorSays(a, '没有截图');
    const ticketId = TICKET_NUMBER.exec(await visitorSays(b, '1'))?.[0];
    expect(ticketId).toBeDefined();

    const stream = new AbortController();
    const events = await fetch(`${b.baseUrl}/chat/events`, { headers: { cookie }, signal: stream.signal });
    expect(events.status).toBe(200);
    const heard = readEvents(events, (data) => data.includes('已为您排查'));

    const agentOnA = await AgentClient.login(a.baseUrl, ADMIN.username, ADMIN.password);
    const reply = await agentOnA.post(`/api/agent/tickets/${ticketId}/replies`, { text: '您好，已为您排查，请清除浏览器缓存后再试。' });
    expect(reply.ok).toBe(true);
    const event = JSON.parse(await heard) as { from: string; replies: { text: string }[] };
    stream.abort();
    expect(event.from).toBe('agent');
    expect(event.replies[0]!.text).toContain('已为您排查');
  });

  it('carries on through instance B when instance A is killed under load, with every acknowledged turn stored', async () => {
    const acknowledged: string[] = [];
    let sent = 0;
    let killed: Promise<void> | undefined;
    const worker = async () => {
      while (acknowledged.length < 160) {
        const userId = `load-${sent++}`;
        const order = sent % 2 === 0 ? [a, b] : [b, a];
        for (const instance of order) {
          // A balancer sends the request to the other instance when one refuses the connection.
          try {
            await say(instance, userId, '忘记用户名了怎么办');
            acknowledged.push(userId);
            break;
          } catch {
            continue;
          }
        }
        if (acknowledged.length >= 50 && !killed) killed = a.kill();
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await killed;
    expect(a.child.signalCode).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(160);

    // B still answers, and every turn any instance acknowledged is in the database.
    expect(textOf(await say(b, 'after-the-crash', '忘记用户名了怎么办'))).not.toBe('');
    const lost: string[] = [];
    for (const userId of acknowledged) {
      const state = await conversation(`web:${userId}`);
      if (!state?.history.some((entry) => entry.from === 'user' && entry.text === '忘记用户名了怎么办')) lost.push(userId);
    }
    expect(lost).toEqual([]);
  });
});

/** The identity cookie the chat page sets for a new visitor. */
async function visitorCookie(instance: Instance): Promise<string> {
  const page = await fetch(`${instance.baseUrl}/`);
  return page.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .join('; ');
}

/** Reads server-sent events until one's data satisfies `wanted`; resolves with that data. */
async function readEvents(response: Response, wanted: (data: string) => boolean): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('event stream ended before the expected event');
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (data && wanted(data)) return data;
    }
  }
}

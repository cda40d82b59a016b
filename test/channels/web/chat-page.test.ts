import { describe, expect, it } from 'vitest';
import { startTestService } from '../../helpers/test-service.js';
import { entryText, WebVisitor } from './web-visitor.js';

describe('the web chat page and its cookie-bound routes', () => {
  it('sets a signed, HttpOnly, SameSite identity cookie with the page, and no id appears in the page', async () => {
    const service = await startTestService();
    const page = await fetch(`${service.baseUrl}/`);
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^chsi_chat=s%3A[A-Za-z0-9_-]{24}\./);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toContain('Secure');
    const html = await page.text();
    const id = decodeURIComponent(cookie.split(';')[0]!.split('=')[1]!).slice(2, 26);
    expect(html).not.toContain(id);
    expect(html).toContain('/static/vendor/browser-image-compression.js');

    // Coming back with the cookie keeps the same identity: no new cookie is set.
    const again = await fetch(`${service.baseUrl}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('answers a question with choice buttons, each carrying its id, and a click on one is answered', async () => {
    const service = await startTestService();
    const visitor = await WebVisitor.opensPage(service.baseUrl);

    const unsure = await visitor.says('邮箱');
    expect(unsure.status).toBe(200);
    const [mine, answer] = unsure.body.entries;
    expect(mine).toMatchObject({ from: 'user', replies: [{ type: 'text', text: '邮箱' }] });
    expect(entryText(answer)).toContain('不太确定');
    // Buttons, not numbered lines: each option is shown once.
    expect(entryText(answer)).not.toMatch(/^1\. /m);
    const choices = answer.choices as { id: string; label: string }[];
    expect(choices.length).toBeGreaterThanOrEqual(2);
    expect(choices.every((choice) => choice.id.length > 0)).toBe(true);

    const picked = await visitor.clicks(choices[0]!);
    expect(picked.status).toBe(200);
    expect(picked.body.topic).not.toBeNull();
    expect(entryText(picked.body.entries[0])).toBe(choices[0]!.label);
  });

  it('restores the whole conversation with timestamps, as the record keeps it (an ID number masked)', async () => {
    const service = await startTestService();
    service.clock.set('2026-09-01T02:30:00.000Z');
    const visitor = await WebVisitor.opensPage(service.baseUrl);
    await visitor.says('忘记用户名了');
    await visitor.says('110105200101011235 李明');

    const history = await visitor.history();
    expect(history.map((entry) => entry.from)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(history.every((entry) => entry.at === '2026-09-01T02:30:00.000Z')).toBe(true);
    expect(entryText(history[2])).toBe('110***********1235 李明');
    expect(JSON.stringify(history)).not.toContain('110105200101011235');
    expect(entryText(history[3])).toContain('139****5678');
  });

  it('pushes an agent message to the open page (events and polling) and keeps it in the history', async () => {
    const service = await startTestService();
    const visitor = await WebVisitor.opensPage(service.baseUrl);
    await visitor.says('你好');
    const stream = await visitor.openStream();
    expect(stream.status).toBe(200);

    await service.service.context.delivery.deliver('web', visitor.identity, [{ type: 'text', text: '您好，这里是人工客服。' }]);

    const pushed = await stream.next('这里是人工客服');
    expect(pushed.from).toBe('agent');
    const polled = await visitor.updates(0);
    expect(polled.entries.map(entryText)).toEqual(['您好，这里是人工客服。']);
    expect((await visitor.updates(pushed.seq)).entries).toEqual([]);
    expect((await visitor.history()).at(-1)).toMatchObject({ from: 'agent', seq: pushed.seq });
  });

  it('refuses bad messages with a clear Chinese error and keeps working', async () => {
    const service = await startTestService();
    const visitor = await WebVisitor.opensPage(service.baseUrl);
    for (const body of [{}, { text: '   ' }, { text: 42 }, { text: '好'.repeat(2001) }, { text: '你好', userId: 'someone-else' }]) {
      const refused = await visitor.post(body);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(/[\u4e00-\u9fa5]/);
    }
    const notBase64 = await visitor.post({ image: { name: 'a.png', type: 'image/png', data: '***' } });
    expect(notBase64.status).toBe(400);
    const tooBig = await visitor.sendsImage({ name: 'big.jpg', type: 'image/jpeg', data: Buffer.alloc(1024 * 1024 + 1) });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toContain('图片太大了');
    expect((await visitor.says('你好')).status).toBe(200);
  });

  it('starts a visitor over with an empty history when the stored one does not parse, instead of failing every request', async () => {
    const service = await startTestService();
    const visitor = await WebVisitor.opensPage(service.baseUrl);
    await visitor.says('你好');
    await service.service.context.storage.documents('web-chat-history').put(visitor.identity, { entries: 'not a list' });

    expect(await visitor.history()).toEqual([]);
    const next = await visitor.says('收不到验证码怎么办');
    expect(next.status).toBe(200);
    expect((await visitor.history()).map((entry) => entry.from)).toEqual(['user', 'assistant']);
  });

  it('serves the image compressor’s browser build from our own origin', async () => {
    const service = await startTestService();
    const script = await fetch(`${service.baseUrl}/static/vendor/browser-image-compression.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(await script.text()).toContain('imageCompression');
  });
});

import { describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../helpers/test-service.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function post(service: TestService, body: unknown, headers: Record<string, string> = service.chatApiHeaders) {
  const response = await fetch(`${service.baseUrl}/api/chat`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const textOf = (body: Record<string, any>) => (body.replies as { type: string; text?: string }[]).map((r) => r.text ?? '').join('\n');

describe('POST /api/chat (CONTRACT.md)', () => {
  it('answers a question with the contract shape: replies, topic, flow', async () => {
    const service = await startTestService();
    const { status, body } = await post(service, { userId: 'web-1', text: '收不到验证码怎么办' });
    expect(status).toBe(200);
    expect(body.topic).toBe('sms.not-received');
    expect(body.flow).toBeNull();
    expect(body.replies[0]).toEqual({ type: 'text', text: expect.stringContaining('信号') });
  });

  it('understands traditional Chinese', async () => {
    const service = await startTestService();
    const { body } = await post(service, { userId: 'web-2', text: '註冊時提示證件號碼已被註冊，怎麼辦？' });
    expect(body.topic).toBe('register.id-taken');
    expect(textOf(body)).toContain('我要重新注册');
  });

  it('says it is not sure, offers numbered choices and a human, and a reply of "1" picks the first', async () => {
    const service = await startTestService();
    const unsure = await post(service, { userId: 'web-3', text: '邮箱' });
    expect(unsure.body.topic).toBeNull();
    expect(textOf(unsure.body)).toContain('不太确定');
    const labels = (unsure.body.choices as { number: number; label: string }[]).map((c) => c.label);
    expect(labels.length).toBeGreaterThanOrEqual(2);
    expect(labels.at(-1)).toBe('转人工客服');
    expect(textOf(unsure.body)).toMatch(/1\. .+\n2\. /);

    const picked = await post(service, { userId: 'web-3', text: '1' });
    expect(picked.body.topic).not.toBeNull();
    expect(textOf(picked.body)).not.toContain('不太确定');
  });

  it('declines an out-of-scope question instead of guessing, and offers a human', async () => {
    const service = await startTestService();
    const { body } = await post(service, { userId: 'web-4', text: '今天北京天气怎么样' });
    expect(body.topic).toBeNull();
    expect(textOf(body)).toContain('不在我能回答的范围');
    expect(body.choices.map((c: { label: string }) => c.label)).toContain('转人工客服');
  });

  it('answers small talk with topic null', async () => {
    const service = await startTestService();
    const { body } = await post(service, { userId: 'web-5', text: '你好' });
    expect(body.topic).toBeNull();
    expect(body.flow).toBeNull();
    expect(textOf(body)).toMatch(/学信网/);
  });

  it('keeps the offered choices across a restart', async () => {
    const dataDir = tempDir();
    const first = await startTestService({ dataDir });
    await post(first, { userId: 'web-6', text: '激活' });
    await first.service.close();
    const second = await startTestService({ dataDir });
    const { body } = await post(second, { userId: 'web-6', text: '1' });
    expect(String(body.topic)).toMatch(/^(activation|register)\./);
  });

  it('treats HTML in a message as text', async () => {
    const service = await startTestService();
    const { status, body } = await post(service, { userId: 'web-7', text: '<script>alert(1)</script>密码忘了' });
    expect(status).toBe(200);
    expect(body.topic).toBe('recover.password');
  });
});

describe('POST /api/chat rejects bad input with a clear JSON error', () => {
  it.each([
    ['a missing userId', { text: '你好' }],
    ['an empty userId', { userId: '  ', text: '你好' }],
    ['a numeric text', { userId: 'u', text: 42 }],
    ['neither text nor image', { userId: 'u' }],
    ['an unknown field', { userId: 'u', text: '你好', admin: true }],
    ['an image without data', { userId: 'u', image: { name: 'a.png', type: 'image/png' } }],
    ['an over-long text', { userId: 'u', text: '好'.repeat(2001) }],
  ])('%s → 400', async (_label, body) => {
    const service = await startTestService();
    const result = await post(service, body);
    expect(result.status).toBe(400);
    expect(result.body.error).toMatch(/[\u4e00-\u9fa5]/);
  });

  it('rejects non-JSON and malformed JSON', async () => {
    const service = await startTestService();
    const malformed = await post(service, '{"userId": "u", "text": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toContain('JSON');
    const plain = await post(service, 'userId=u&text=hi', { ...service.chatApiHeaders, 'content-type': 'application/x-www-form-urlencoded' });
    expect(plain.status).toBe(400);
  });

  it('rejects an oversized body and an oversized image, then still works', async () => {
    const service = await startTestService();
    const huge = await post(service, { userId: 'u', text: 'x', pad: 'A'.repeat(9 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    const bigImage = await post(service, {
      userId: 'u',
      image: { name: 'big.png', type: 'image/png', data: Buffer.alloc(5 * 1024 * 1024 + 10).toString('base64') },
    });
    expect(bigImage.status).toBe(400);
    expect(bigImage.body.error).toContain('图片太大');
    const notBase64 = await post(service, { userId: 'u', image: { name: 'a.png', type: 'image/png', data: '***not base64***' } });
    expect(notBase64.status).toBe(400);
    const ok = await post(service, { userId: 'u', text: '你好' });
    expect(ok.status).toBe(200);
  });

  it('serves health, the chat page, and JSON 404s', async () => {
    const service = await startTestService();
    expect((await fetch(`${service.baseUrl}/healthz`)).status).toBe(200);
    const page = await fetch(`${service.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('学信网帮助中心');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const missing = await fetch(`${service.baseUrl}/no/such/page`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBeTruthy();
  });
});

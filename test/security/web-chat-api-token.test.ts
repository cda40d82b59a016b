import { describe, expect, it } from 'vitest';
import { startTestService } from '../helpers/test-service.js';

/** Issue 10: `POST /api/chat` names the user in its body, so only a trusted caller may use it. */
describe('the integration chat API', () => {
  const ask = (baseUrl: string, headers: Record<string, string>) =>
    fetch(`${baseUrl}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ userId: 'someone', text: '忘记用户名了' }),
    });

  it('refuses a caller without the bearer token, or with a wrong one', async () => {
    const service = await startTestService({ env: { CHAT_API_TOKEN: 'a-long-random-chat-token' } });
    for (const headers of <Record<string, string>[]>[
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: 'a-long-random-chat-token' },
      { authorization: 'Basic YTpi' },
    ]) {
      const refused = await ask(service.baseUrl, headers);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await refused.json()) as { error: string }).error).toContain('接口令牌');
    }
    const polled = await fetch(`${service.baseUrl}/api/chat/messages?userId=someone`);
    expect(polled.status).toBe(401);

    const allowed = await ask(service.baseUrl, { authorization: 'Bearer a-long-random-chat-token' });
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { flow: string }).flow).toBe('recover-username');
  });

  it('is off when CHAT_API_TOKEN is not set', async () => {
    const service = await startTestService({ env: { CHAT_API_TOKEN: '' } });
    expect((await ask(service.baseUrl, {})).status).toBe(404);
    expect((await ask(service.baseUrl, { authorization: 'Bearer ' })).status).toBe(404);
    // The page keeps working: it never used this API.
    expect((await fetch(`${service.baseUrl}/`)).status).toBe(200);
  });
});

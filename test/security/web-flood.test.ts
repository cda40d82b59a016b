import { describe, expect, it } from 'vitest';
import { createRateLimits, DEFAULT_RATE_LIMITS } from '../../src/security/rate-limits.js';
import { startTestService } from '../helpers/test-service.js';
import { WebVisitor } from '../channels/web/web-visitor.js';

/** Issue 10: "200 chat requests" from one client, with nothing limited per IP. */
describe('chat floods', () => {
  it('limits one IP’s chat messages, however many identities it collects', async () => {
    const perIp = DEFAULT_RATE_LIMITS['chat-message:ip'].points;
    const service = await startTestService();

    // A fresh cookie for every message: per-identity limits alone would never trigger.
    const statuses: number[] = [];
    let refusal: Response | undefined;
    for (let i = 0; i < perIp + 20; i += 1) {
      const visitor = await WebVisitor.opensPage(service.baseUrl);
      const response = await fetch(`${service.baseUrl}/chat/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: visitor.cookie },
        body: JSON.stringify({ text: '你好' }),
      });
      statuses.push(response.status);
      if (response.status === 429) refusal ??= response;
    }
    expect(statuses.slice(0, perIp).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(perIp).every((status) => status === 429)).toBe(true);
    expect(Number(refusal!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refusal!.json()) as { error: string }).error).toMatch(/发送太频繁了，请 \d+ 秒后再试/);
  });

  it('limits one visitor’s messages, without slowing another visitor down', async () => {
    const service = await startTestService({
      rateLimits: createRateLimits({ policies: { 'chat-message:identity': { points: 5, durationSeconds: 60 } } }),
    });
    const flooder = await WebVisitor.opensPage(service.baseUrl);
    const statuses = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await flooder.says('你好')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);

    const neighbour = await WebVisitor.opensPage(service.baseUrl);
    expect((await neighbour.says('你好')).status).toBe(200);
  });

  it('limits a trusted gateway per end user, not as one IP', async () => {
    const service = await startTestService({
      rateLimits: createRateLimits({ policies: { 'service-call:end-user': { points: 3, durationSeconds: 60 } } }),
    });
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await service.postChat({ userId: 'gateway-user-1', text: '你好' })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await service.postChat({ userId: 'gateway-user-2', text: '你好' })).status).toBe(200);
  });
});

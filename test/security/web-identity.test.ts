import { describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../helpers/test-service.js';
import { entryText, WebVisitor } from '../channels/web/web-visitor.js';

/** Issue 10, "take over a web chat": whoever learns a visitor's id must not act as them. */

async function victimWithAgentReply(service: TestService): Promise<WebVisitor> {
  const victim = await WebVisitor.opensPage(service.baseUrl);
  await victim.says('忘记用户名了');
  await service.service.context.delivery.deliver('web', victim.identity, [{ type: 'text', text: '您的工单回复：请提供学籍证明。' }]);
  return victim;
}

describe('web chat identity', () => {
  it('another visitor’s id in a URL cannot read their agent replies', async () => {
    const service = await startTestService();
    const victim = await victimWithAgentReply(service);
    const attacker = await WebVisitor.opensPage(service.baseUrl);
    const id = encodeURIComponent(victim.identity);

    // The old polling and stream URLs that took the id from the query.
    const polled = await fetch(`${service.baseUrl}/api/chat/messages?userId=${id}`);
    expect(polled.status).toBe(401);
    expect(await polled.text()).not.toContain('请提供学籍证明');
    const streamed = await fetch(`${service.baseUrl}/api/chat/stream?userId=${id}`);
    expect(streamed.status).toBe(404);

    // The page routes ignore any id in the URL: the attacker's cookie names the attacker.
    const updates = await attacker.updates(0, `&userId=${id}`);
    expect(updates.entries).toEqual([]);
    expect(JSON.stringify(await attacker.history())).not.toContain('请提供学籍证明');

    // Without the cookie, or with a forged one, nothing is answered.
    expect((await fetch(`${service.baseUrl}/chat/updates?userId=${id}`)).status).toBe(401);
    for (const cookie of [`chsi_chat=${id}`, `chsi_chat=${encodeURIComponent(`s:${victim.identity}.forged-signature`)}`]) {
      const forged = await fetch(`${service.baseUrl}/chat/history`, { headers: { cookie } });
      expect(forged.status).toBe(401);
      expect(await forged.text()).not.toContain('请提供学籍证明');
    }

    // The victim still reads their own reply.
    expect((await victim.updates(0)).entries.map(entryText)).toEqual(['您的工单回复：请提供学籍证明。']);
  });

  it('another visitor’s id in a body cannot write into their conversation (nor, during a handoff, their ticket)', async () => {
    const service = await startTestService();
    const victim = await victimWithAgentReply(service);
    const attacker = await WebVisitor.opensPage(service.baseUrl);
    const before = await service.service.assistant.updateConversation(`web:${victim.identity}`, (state) => state);

    // The integration API without its token, as the page used to call it.
    const asApi = await fetch(`${service.baseUrl}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: victim.identity, text: '我的新手机号是13800001111，请改绑' }),
    });
    expect(asApi.status).toBe(401);
    // The page route takes no id from the body.
    const withBodyId = await attacker.post({ userId: victim.identity, text: '我的新手机号是13800001111，请改绑' });
    expect(withBodyId.status).toBe(400);
    // Without a cookie there is no one to speak as.
    const anonymous = await fetch(`${service.baseUrl}/chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '我的新手机号是13800001111，请改绑' }),
    });
    expect(anonymous.status).toBe(401);

    const after = await service.service.assistant.updateConversation(`web:${victim.identity}`, (state) => state);
    expect(after?.history).toEqual(before?.history);
    expect(after?.flows).toEqual(before?.flows);
    expect(JSON.stringify(await victim.history())).not.toContain('改绑');
  });
});

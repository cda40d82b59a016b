import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../src/security/rate-limits.js';
import { entryText, WebVisitor } from '../channels/web/web-visitor.js';
import { pngImage, startHelpdesk } from '../helpdesk/support.js';

/** A web visitor as `escalate()` drives one: each message answers with the assistant's text. */
function asChatUser(visitor: WebVisitor) {
  const text = (answer: { body: Record<string, any> }) => entryText(answer.body.entries?.at(-1));
  return {
    says: async (message: string) => ({ text: text(await visitor.says(message)) }),
    sendsImage: async (image: { name: string; type: string; data: Buffer }) => ({ text: text(await visitor.sendsImage(image)) }),
  };
}

/** Runs 转人工 to the confirmation and answers with what the confirmation said. */
async function escalateFrom(visitor: WebVisitor): Promise<string> {
  const user = asChatUser(visitor);
  await user.says('转人工');
  await user.says('13912345678');
  await user.sendsImage(pngImage());
  await user.says('登录时一直提示用户名或密码错误，重置密码也收不到短信');
  return (await user.says('1')).text;
}

/** Issue 10: "20 tickets in half a second" — nothing limited ticket creation per address. */
describe('ticket floods from the web chat', () => {
  it('one address opening tickets under fresh identities is refused past its budget; another address still gets its ticket', async () => {
    const { baseUrl, handle } = await startHelpdesk();
    const perAddress = DEFAULT_RATE_LIMITS['ticket-create:ip'].points;
    const flooder = { 'x-forwarded-for': '203.0.113.50' };
    const confirmations: string[] = [];
    for (let i = 0; i < perAddress + 2; i += 1) confirmations.push(await escalateFrom(await WebVisitor.opensPage(baseUrl, flooder)));

    expect(confirmations.slice(0, perAddress).every((text) => /工单号 T\d{12}/.test(text))).toBe(true);
    expect(confirmations.slice(perAddress).every((text) => /分钟后再提交/.test(text) && !/工单号/.test(text))).toBe(true);
    const queue = await handle.tickets.page({});
    expect(queue.rows).toHaveLength(perAddress);

    const student = await WebVisitor.opensPage(baseUrl, { 'x-forwarded-for': '198.51.100.7' });
    expect(await escalateFrom(student)).toMatch(/工单号 T\d{12}/);
  });
});

import { describe, expect, it } from 'vitest';
import { guidedFlowsModule } from '../../src/conversation/flows/module.js';
import { argon2Hasher } from '../../src/helpdesk/console/agents.js';
import { helpdeskModule } from '../../src/helpdesk/module.js';
import { startWechatHarness } from '../channels/wechat-oa/harness.js';
import { pngImage } from './support.js';

const TEMPLATE_ID = 'TPL_helpdesk_reply';

async function wechatTicket() {
  const helpdesk = helpdeskModule({ hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }) });
  const harness = await startWechatHarness({ before: [guidedFlowsModule(), helpdesk], env: { WECHAT_TEMPLATE_ID: TEMPLATE_ID } });
  const { wechat, api } = harness;
  api.media.set('MEDIA_login_page', { type: 'image/png', data: pngImage('登录页.png').data });
  const say = async (text: string) => (await wechat.push(wechat.textXml('oAwayUser', text))).reply?.Content ?? '';
  await say('转人工');
  await say('13912345678');
  await wechat.push(wechat.imageXml('oAwayUser', 'MEDIA_login_page'));
  await say('登录时一直提示用户名或密码错误，重置密码也收不到短信');
  expect(await say('1')).toContain('工单已提交');
  const tickets = helpdesk.handle!.tickets;
  const [row] = await tickets.list();
  return { ...harness, tickets, ticketId: row!.id };
}

describe('an agent reply after WeChat’s 48-hour window', () => {
  it('goes out as a template message linking to a signed page with the reply', async () => {
    const { api, service, tickets, ticketId } = await wechatTicket();
    service.clock.advance(49 * 60 * 60 * 1000);
    api.failNextSends(45015); // WeChat: the user has not written for 48 hours

    const replied = await tickets.reply(ticketId, 'admin', '您好，已为您重置密码，请用新密码登录。\n如仍有问题请再联系我们。');
    expect(replied.ok && replied.value.delivery).toBe('sent');
    expect(api.sendCalls.at(-1)).toMatchObject({ touser: 'oAwayUser', errcode: 45015 });
    expect(api.templateCalls).toHaveLength(1);
    const template = api.templateCalls[0]!;
    expect(template).toMatchObject({ touser: 'oAwayUser', templateId: TEMPLATE_ID });
    expect(template.data.first!.value).toBe(`客服回复了你的工单 ${ticketId}`);
    expect(template.data.keyword1!.value).toBe('您好，已为您重置密码，请用新密码登录。');
    expect(template.url).toMatch(/\/helpdesk\/notices\/[\w-]+\.[\w-]+$/);

    // The user taps the message: the page shows the reply, and only with the signature intact.
    const path = new URL(template.url).pathname;
    const page = await fetch(`${service.baseUrl}${path}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`工单 ${ticketId} 的客服回复`);
    expect(html).toContain('您好，已为您重置密码，请用新密码登录。<br />\n如仍有问题请再联系我们。');
    const forged = await fetch(`${service.baseUrl}${path.slice(0, -3)}abc`);
    expect(forged.status).toBe(404);
    expect(await forged.text()).toContain('链接无效');
  });

  it('without a template id, the reply waits for the user’s next message', async () => {
    const helpdesk = helpdeskModule({ hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }) });
    const { api, wechat } = await startWechatHarness({ before: [guidedFlowsModule(), helpdesk] });
    await wechat.push(wechat.textXml('oQuiet', '转人工'));
    const ticket = await helpdesk.handle!.tickets.create({
      channel: 'wechat',
      userId: 'oQuiet',
      conversationId: null,
      username: null,
      description: '登录不了',
      topics: [],
      screenshots: [],
      transcript: [],
    });
    api.failNextSends(45015);
    const replied = await helpdesk.handle!.tickets.reply(ticket.id, 'admin', '请重新登录试试。');
    expect(replied.ok && replied.value.delivery).toBe('stored');
    expect(api.templateCalls).toEqual([]);
  });
});

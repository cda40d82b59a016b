import { describe, expect, it } from 'vitest';
import { guidedFlowsModule } from '../../../src/conversation/flows/module.js';
import { argon2Hasher } from '../../../src/helpdesk/console/agents.js';
import { helpdeskModule } from '../../../src/helpdesk/module.js';
import { pngImage } from '../../helpdesk/support.js';
import { startWechatHarness } from './harness.js';

describe('WeChat webhook: escalation to a human', () => {
  it('turns an image into a ticket screenshot, and brings the agent reply back through the customer-service API', async () => {
    const helpdesk = helpdeskModule({ hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }) });
    const { wechat, api } = await startWechatHarness({ before: [guidedFlowsModule(), helpdesk] });
    const screenshot = pngImage('登录页.png');
    api.media.set('MEDIA_login_page', { type: 'image/png', data: screenshot.data });
    const say = async (text: string) => (await wechat.push(wechat.textXml('oNeedsHuman', text))).reply?.Content ?? '';

    expect(await say('转人工')).toContain('请发送你的学信网用户名');
    expect(await say('13912345678')).toContain('请发送问题页面的截图');
    const afterImage = (await wechat.push(wechat.imageXml('oNeedsHuman', 'MEDIA_login_page'))).reply?.Content;
    expect(afterImage).toContain('收到截图（已收到 1 张）');
    expect(await say('登录时一直提示用户名或密码错误，重置密码也收不到短信')).toContain('请确认工单内容');
    const created = await say('1');
    expect(created).toContain('工单已提交');

    const tickets = helpdesk.handle!.tickets;
    const [row] = await tickets.list();
    const ticket = (await tickets.get(row!.id))!;
    expect(ticket).toMatchObject({ channel: 'wechat', userId: 'oNeedsHuman', username: '13912345678' });
    expect(ticket.screenshots).toHaveLength(1);
    expect(ticket.screenshots[0]).toMatchObject({ type: 'image/png' });

    const replied = await tickets.reply(ticket.id, 'admin', '您好，已为您重置，请重新登录。');
    expect(replied.ok).toBe(true);
    await api.waitFor(() => api.delivered.some((call) => call.text.includes('已为您重置')));
    expect(api.delivered.at(-1)).toMatchObject({ touser: 'oNeedsHuman' });
  });
});

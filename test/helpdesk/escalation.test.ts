import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/conversation/types.js';
import type { FeatureModule } from '../../src/feature-module.js';
import { ADMIN, AgentClient, escalate, pdfPretendingToBeImage, pngImage, startHelpdesk } from './support.js';

/** Stands in for the WeChat channel: its send path records what agents send. */
function fakeWechat(sent: { openid: string; replies: Reply[] }[]): FeatureModule {
  return {
    name: 'fake-wechat',
    prepare(context) {
      context.delivery.register('wechat', async (openid, replies) => void sent.push({ openid, replies }));
    },
  };
}

describe('escalate: 转人工', () => {
  it('never shows back or stores a full phone or ID number that the user typed into the description', async () => {
    const { service, handle } = await startHelpdesk();
    const user = service.user('web-user-privacy');
    await user.says('转人工');
    const described = await user.says('我的用户名是13912345678，身份证110105200101011235，找回密码一直提示验证码错误');
    expect(described.text).not.toMatch(/13912345678|110105200101011235/);
    const summary = await user.says('没有截图');
    expect(summary.text).toContain('请确认工单内容');
    expect(summary.text).toContain('139****5678');
    const created = await user.says('1');
    for (const text of [described.text, summary.text, created.text]) expect(text).not.toMatch(/13912345678|110105200101011235/);
    const ticketId = /T\d{12}/.exec(created.text)?.[0];
    expect(ticketId).toBeDefined();
    const ticket = (await handle.tickets.get(ticketId!))!;
    expect(ticket.description).toContain('139****5678');
    expect(ticket.description).toContain('110***********1235');
    expect(JSON.stringify(ticket.transcript)).not.toMatch(/13912345678|110105200101011235/);
  });

  it('collects username, screenshot and description, confirms, and opens a ticket due in three working days', async () => {
    const { service, handle } = await startHelpdesk();
    const user = service.user('web-user-1');

    const opening = await user.says('转人工');
    expect(opening.flow).toBe('escalate');
    expect(opening.text).toContain('需要三样东西：用户名、问题页面的截图、问题描述');
    expect(opening.text).toContain('请发送你的学信网用户名');

    const username = await user.says('13912345678');
    expect(username.text).toContain('收到用户名 139****5678');
    expect(username.text).not.toContain('13912345678');
    expect(username.text).toContain('请发送问题页面的截图');

    const screenshot = await user.sendsImage(pngImage('登录页.png'));
    expect(screenshot.text).toContain('收到截图（已收到 1 张）');
    expect(screenshot.text).toContain('请用一两句话描述遇到的问题');

    const described = await user.says('登录时一直提示用户名或密码错误，重置密码也收不到短信');
    expect(described.text).toContain('请确认工单内容');
    expect(described.text).toContain('用户名：139****5678');
    expect(described.text).toContain('截图：1 张');
    expect(described.choices).toEqual(['确认提交', '修改用户名', '重新上传截图', '修改问题描述']);

    // 2026-11-23 (Monday) 10:00 + 3 working days = Thursday 2026-11-26 10:00.
    const created = await user.says('1');
    expect(created.flow).toBeNull();
    expect(created.text).toContain('工单已提交，工单号 T202611230001');
    expect(created.text).toContain('最晚 2026-11-26（周四）10:00 前');
    expect(created.text).toContain('客服的回复会直接显示在这个对话里');

    const ticket = (await handle.tickets.get('T202611230001'))!;
    expect(ticket).toMatchObject({
      status: 'open',
      channel: 'web',
      userId: 'web-user-1',
      conversationId: 'web:web-user-1',
      username: '13912345678',
      // Flows receive the message half-width (NFKC), as the engine normalises it.
      description: '登录时一直提示用户名或密码错误，重置密码也收不到短信',
    });
    expect(ticket.sla.dueAt).toBe('2026-11-26T02:00:00.000Z');
    expect(ticket.screenshots).toHaveLength(1);
    expect(ticket.screenshots[0]).toMatchObject({ name: '登录页.png', type: 'image/png' });
    expect(ticket.transcript.map((entry) => entry.text)).toContain('转人工');
    // The transcript the agent reads never shows the phone in full.
    expect(JSON.stringify(ticket.transcript)).not.toContain('13912345678');

    // While the ticket is open, the assistant does not talk over the agent.
    const later = await user.says('我又试了一次还是不行');
    expect(later.text).toBe('已把你的消息补充到工单 T202611230001，人工客服会在工单里回复你，请耐心等待。');
    const updated = (await handle.tickets.get('T202611230001'))!;
    expect(updated.transcript.at(-1)).toMatchObject({ from: 'user', text: '我又试了一次还是不行' });

    // A file that is not an image gets a clear message, not an acknowledgement of something dropped.
    const notAnImage = await user.sendsImage(pdfPretendingToBeImage());
    expect(notAnImage.text).toContain('这张图片无法识别，没有加到工单里');
    expect(notAnImage.text).not.toContain('补充到工单');
    const another = await user.sendsImage(pngImage('又一张.png'));
    expect(another.text).toContain('已把你的消息补充到工单 T202611230001');
    const afterImages = (await handle.tickets.get('T202611230001'))!;
    expect(afterImages.screenshots.map((shot) => shot.name)).toEqual(['登录页.png', '又一张.png']);
  });

  it('takes items in any order, skips what was given, allows no screenshot, and lets the user change the description', async () => {
    const { service, handle } = await startHelpdesk();
    const user = service.user('web-user-2');
    await user.says('人工');

    const both = await user.says('我的账号 liming@example.com 登录时提示账号已注销，不知道怎么回事');
    expect(both.text).toContain('收到用户名 l***@example.com');
    expect(both.text).toContain('收到问题描述');
    expect(both.text).toContain('请发送问题页面的截图');
    expect(both.text).not.toContain('请发送你的学信网用户名');

    const notAnImage = await user.sendsImage(pdfPretendingToBeImage());
    expect(notAnImage.text).toContain('这张图片无法识别，请发送 jpg、png 或 gif 格式的截图');

    const skipped = await user.says('没有截图');
    expect(skipped.text).toContain('没有截图也可以提交');
    expect(skipped.text).toContain('截图：（未提供）');

    const change = await user.says('4');
    expect(change.text).toContain('请用一两句话描述遇到的问题');
    const redescribed = await user.says('登录后页面显示账号已注销，但我没有申请注销');
    expect(redescribed.text).toContain('问题描述：登录后页面显示账号已注销，但我没有申请注销');

    const created = await user.says('确认');
    expect(created.text).toMatch(/工单已提交，工单号 T\d{12}/);
    const [row] = await handle.tickets.list();
    const ticket = (await handle.tickets.get(row!.id))!;
    expect(ticket.username).toBe('liming@example.com');
    expect(ticket.description).toBe('登录后页面显示账号已注销，但我没有申请注销');
    expect(ticket.screenshots).toEqual([]);
  });

  it('lets the user give up: 取消 leaves no ticket and the assistant answers again', async () => {
    const { service, handle } = await startHelpdesk();
    const user = service.user('web-user-3');
    await user.says('转人工');
    await user.says('13912345678');
    const cancelled = await user.says('取消');
    expect(cancelled.text).toContain('已退出“转人工客服”');
    expect(cancelled.flow).toBeNull();
    expect(await handle.tickets.list({ status: 'all' })).toEqual([]);

    const question = await user.says('忘记用户名了怎么办');
    expect(question.text).not.toContain('补充到工单');
    expect(question.topic).not.toBeNull();
  });

  it('refuses an oversized screenshot and says so', async () => {
    const { service } = await startHelpdesk();
    const user = service.user('web-user-4');
    await user.says('转人工');
    await user.says('13912345678');
    const big = pngImage();
    const oversized = { ...big, data: Buffer.concat([big.data, Buffer.alloc(5 * 1024 * 1024)]) };
    const answer = await user.sendsImage(oversized);
    expect(answer.text).toContain('这张图片太大了，请发送 5MB 以内的截图');
    expect(answer.flow).toBe('escalate');
  });

  it('hands the conversation back when the agent closes the ticket, after the reply reached the web page', async () => {
    const { service, handle, baseUrl } = await startHelpdesk();
    const user = service.user('web-user-5');
    await user.says('转人工');
    await user.says('13912345678');
    await user.sendsImage(pngImage());
    await user.says('学籍信息里名字错了一个字，怎么改');
    await user.says('1');
    const [row] = await handle.tickets.list();

    const replied = await handle.tickets.reply(row!.id, 'admin', '请联系学校学籍管理部门核实后修改。');
    expect(replied.ok && replied.value.delivery).toBe('sent');
    const inbox = (await (await fetch(`${baseUrl}/api/chat/messages?userId=web-user-5`, { headers: service.chatApiHeaders })).json()) as {
      messages: { replies: { text: string }[] }[];
    };
    expect(inbox.messages[0]!.replies[0]!.text).toContain('请联系学校学籍管理部门核实后修改。');
    expect((await handle.tickets.get(row!.id))!.sla.respondedAt).toBeDefined();

    await handle.tickets.close(row!.id, 'admin');
    const after = (await (await fetch(`${baseUrl}/api/chat/messages?userId=web-user-5&after=1`, { headers: service.chatApiHeaders })).json()) as {
      messages: { replies: { text: string }[] }[];
    };
    expect(after.messages[0]!.replies[0]!.text).toContain('已处理完毕并关闭');
    const conversation = await service.service.assistant.updateConversation('web:web-user-5', (state) => state);
    expect(conversation?.handoff).toBeUndefined();

    const back = await user.says('忘记用户名了怎么办');
    expect(back.text).not.toContain('补充到工单');
    expect(back.topic).not.toBeNull();
  });

  it('sends the agent reply to a WeChat user through the channel’s send path, and reopening hands the conversation back to agents', async () => {
    const sent: { openid: string; replies: Reply[] }[] = [];
    const { service, baseUrl } = await startHelpdesk({ extraModules: [fakeWechat(sent)] });
    const user = service.user('oWx-openid-1', 'wechat');
    const id = await escalate(user);
    expect(user.transcript.at(-1)!.assistant).toContain('客服的回复会通过微信发给你');

    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    expect((await admin.post(`/api/agent/tickets/${id}/replies`, { text: '已为你解除锁定，请重新登录。' })).status).toBe(201);
    expect(sent[0]).toMatchObject({ openid: 'oWx-openid-1' });
    expect(sent[0]!.replies[0]).toMatchObject({ type: 'text' });
    expect((sent[0]!.replies[0] as { text: string }).text).toContain('已为你解除锁定，请重新登录。');

    await admin.post(`/api/agent/tickets/${id}/close`);
    expect((sent[1]!.replies[0] as { text: string }).text).toContain('已处理完毕并关闭');
    expect((await user.says('谢谢')).text).not.toContain('补充到工单');

    await admin.post(`/api/agent/tickets/${id}/reopen`);
    expect((sent[2]!.replies[0] as { text: string }).text).toContain('已重新打开');
    expect((await user.says('还是登录不了')).text).toContain(`已把你的消息补充到工单 ${id}`);
  });
});

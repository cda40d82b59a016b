import { describe, expect, it } from 'vitest';
import { LI_MING, latestCode } from '../helpers/demo-core.js';
import { startChat, type Chat } from '../helpers/transcript.js';
import { image } from './flows/support.js';

/** The chat user proves they own the account with a code, as the bind-account flow does. */
async function bindChat(chat: Chat, username: string, phone: string): Promise<void> {
  const channelUserId = `${chat.channel}:${chat.userId}`;
  const started = await chat.core.startBinding({ channelUserId, username, via: 'sms' });
  expect(started.ok).toBe(true);
  const confirmed = await chat.core.confirmBinding({ channelUserId, code: await latestCode(chat.core, phone) });
  expect(confirmed.ok).toBe(true);
}

/** Someone re-registers 李明's ID number (我要重新注册) and uploads the hand-held ID photos. */
async function reRegisterWithPhotos(chat: Chat, phone: string): Promise<void> {
  const registered = await chat.core.register({
    username: phone,
    password: 'Newpass2024',
    name: LI_MING.name,
    idType: 'resident-id',
    idNumber: LI_MING.id,
    phone,
    reRegister: true,
  });
  expect(registered.ok).toBe(true);
  const photo = (kind: 'png' | 'jpeg') => {
    const file = image(kind);
    return { name: file.name, type: file.type, data: file.data.toString('base64') };
  };
  const submitted = await chat.core.submitPhotoReview({ username: phone, front: photo('png'), back: photo('jpeg') });
  expect(submitted.ok).toBe(true);
}

describe('personal status, asked anywhere', () => {
  it('a bound user asking 查审核进度 gets their own review, not the general FAQ', async () => {
    const chat = await startChat();
    await reRegisterWithPhotos(chat, '13800001234');
    await bindChat(chat, '13800001234', '13800001234');

    const own = await chat.user('查审核进度');
    expect(own.text).toContain('你绑定的账号 138****1234');
    expect(own.text).toContain('待审核');
    expect(own.text).not.toContain('点左侧菜单');
    expect(own.topic).toBe('dupid.progress');
  });

  it('an unbound user gets the general answer', async () => {
    const chat = await startChat();
    const general = await chat.user('查审核进度');
    expect(general.text).toContain('证件重复-客服审核');
    expect(general.text).not.toContain('你绑定的账号');
  });

  it('绑定了吗: the bound account, masked; unbound users are offered the binding', async () => {
    const chat = await startChat();
    const unbound = await chat.user('绑定了吗');
    expect(unbound.text).toContain('还没有绑定');
    expect(chat.choices).toEqual(['绑定学信网账号（由我一步步带你办理）']);

    await bindChat(chat, LI_MING.username, LI_MING.phone);
    const bound = await chat.user('我绑定了吗');
    expect(bound.text).toContain('已经绑定了学信网账号 139****5678');
    expect(bound.text).not.toContain(LI_MING.username);
  });

  it('我的工单: the ticket this chat opened, while open and after it is closed', async () => {
    const chat = await startChat({ helpdesk: true });
    const none = await chat.user('我的工单');
    expect(none.text).toContain('还没有查到你提交过的人工工单');

    await chat.user('转人工');
    await chat.user('我的用户名是13511112222');
    await chat.user('没有截图');
    await chat.user('修改手机号的时候页面一直报错，提示系统繁忙');
    await chat.user('1').expects('工单');
    const [row] = await chat.engine.helpdesk!.tickets.list({ status: 'open' });
    await chat.engine.helpdesk!.tickets.close(row!.id, 'agent1');

    const closed = await chat.user('我的工单处理得怎么样了');
    expect(closed.text).toContain(`你的工单 ${row!.id}`);
    expect(closed.text).toContain('已经处理完毕并关闭');
  });

  it('a status question inside a flow is answered there too', async () => {
    const chat = await startChat();
    await bindChat(chat, LI_MING.username, LI_MING.phone);
    await chat.user('忘记用户名了');
    const own = await chat.user('我绑定的是哪个账号');
    expect(own.text).toContain('139****5678');
    expect(chat.flow).toBe('recover-username');
  });
});

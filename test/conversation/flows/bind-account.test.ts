import { describe, expect, it } from 'vitest';
import { startChat, type Chat } from '../../helpers/transcript.js';
import { CHEN_JING, LI_MING, ZHANG_WEI, latestCode } from './support.js';

/**
 * bind-account has no FAQ topic of its own: it is offered when a message is only a phone number
 * or e-mail, and that number is taken as the username to bind.
 */
async function startBinding(chat: Chat, pasted: string) {
  const offered = await chat.user(pasted);
  expect(offered.choices).toContain('绑定学信网账号（由我一步步带你办理）');
  return chat.user('2');
}

describe('bind-account', () => {
  it('binds after a code sent to the chosen phone', async () => {
    const chat = await startChat({ userId: 'b1' });
    const { core } = chat;
    const via = await startBinding(chat, LI_MING.username);
    expect(via.flow).toBe('bind-account');
    expect(via.text).not.toContain('请发送要绑定的学信网用户名');
    expect(via.text).toContain('账号 139****5678 绑定了手机号和邮箱，验证码发到哪里');
    expect(via.choices).toEqual(['发到手机 139****5678', '发到邮箱 l***@example.com']);

    const sent = await chat.user('1');
    expect(sent.text).toContain('已把验证码发送到手机 139****5678');
    const bound = await chat.user(await latestCode(core, LI_MING.phone));
    expect(bound.text).toContain('绑定成功！当前对话已绑定学信网账号 139****5678');
    expect(bound.flow).toBeNull();
    const binding = await core.getBinding({ channelUserId: 'web:b1' });
    expect(binding.ok && binding.value.maskedUsername).toBe('139****5678');
  });

  it('binds with a code sent by e-mail, and can switch between phone and e-mail', async () => {
    const chat = await startChat({ userId: 'b2' });
    const { core } = chat;
    await startBinding(chat, LI_MING.username);
    await chat.user('1');
    const switched = await chat.user('改用邮箱接收');
    expect(switched.text).toContain('已把验证码发送到邮箱 l***@example.com');
    const bound = await chat.user(await latestCode(core, LI_MING.email));
    expect(bound.text).toContain('绑定成功');
  });

  it('sends the code straight away when the account has only a phone', async () => {
    const chat = await startChat({ userId: 'b3' });
    const { core } = chat;
    const sent = await startBinding(chat, ZHANG_WEI.username);
    expect(sent.text).toContain('已把验证码发送到手机 188****2222');
    expect(sent.choices).toEqual(['重新获取验证码']);
    expect((await chat.user(await latestCode(core, ZHANG_WEI.phone))).text).toContain('绑定成功');
  });

  it('handles wrong, reused and expired codes', async () => {
    const chat = await startChat({ userId: 'b4' });
    const { core, clock } = chat;
    await startBinding(chat, ZHANG_WEI.username);
    const wrong = await chat.user('999999');
    expect(wrong.text).toContain('验证码不正确，还可以再试 4 次');
    const code = await latestCode(core, ZHANG_WEI.phone);
    expect((await chat.user(code)).text).toContain('绑定成功');

    // Bound now: binding again asks whether to keep it; "another account" asks for the username.
    clock.advanceMinutes(2);
    await startBinding(chat, ZHANG_WEI.username);
    expect((await chat.user('2')).text).toContain('请发送要绑定的学信网用户名');
    await chat.user(ZHANG_WEI.username);
    expect((await chat.user(code)).text).toContain('这个验证码已经用过了');
    const pending = await latestCode(core, ZHANG_WEI.phone);

    clock.advanceMinutes(25 * 60);
    await startBinding(chat, ZHANG_WEI.username);
    await chat.user('2');
    await chat.user(ZHANG_WEI.username);
    expect((await chat.user(pending)).text).toContain('这个验证码已经过期了');
  });

  it('says when the chat is already bound and lets the user keep it', async () => {
    const chat = await startChat({ userId: 'b5' });
    const { core } = chat;
    await startBinding(chat, ZHANG_WEI.username);
    await chat.user(await latestCode(core, ZHANG_WEI.phone));

    const again = await startBinding(chat, ZHANG_WEI.username);
    expect(again.text).toContain('当前对话已经绑定了学信网账号 188****2222');
    expect(again.choices).toEqual(['继续使用这个账号', '绑定另一个账号']);
    const kept = await chat.user('1');
    expect(kept.text).toContain('继续使用已绑定的账号 188****2222');
    expect(kept.flow).toBeNull();
  });

  it('refuses an unknown username and explains an account without phone or e-mail', async () => {
    const chat = await startChat({ userId: 'b6' });
    const unknown = await startBinding(chat, '13800000000');
    expect(unknown.text).toContain('没有找到用户名为 138****0000 的学信网账号');
    expect(unknown.flow).toBe('bind-account');
    const noContact = await chat.user(CHEN_JING.username);
    expect(noContact.text).toContain('没有绑定手机号或邮箱，收不到验证码');
    expect(noContact.flow).toBeNull();
  });

  it('goes back from the code to the choice of phone or e-mail', async () => {
    const chat = await startChat({ userId: 'b7' });
    await startBinding(chat, LI_MING.username);
    await chat.user('1');
    const back = await chat.user('上一步');
    expect(back.text).toContain('验证码发到哪里');
    expect(back.choices).toHaveLength(2);
  });
});

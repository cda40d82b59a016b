import { describe, expect, it } from 'vitest';
import { latestCode, LI_MING } from '../helpers/demo-core.js';
import { startChat } from '../helpers/transcript.js';

// The "Try it" lines of the README, typed as written, in the terminal chat's channel.
describe('the README examples work as written', () => {
  it('忘记用户名了, then the ID number and name in one line', async () => {
    const chat = await startChat({ channel: 'terminal' });
    await chat.user('忘记用户名了').expects('请发送你的证件号码');
    await chat.user('110105200101011235 李明').expects('你的学信网用户名是：139****5678');
  });

  it('密码忘了, then the username; the SMS code lands in the embedded outbox', async () => {
    const chat = await startChat({ channel: 'terminal' });
    await chat.user('密码忘了').expects('请发送你的学信网用户名');
    await chat.user('13912345678').expects('可以用下面的方式找回密码');
    await chat.user('1').expects('已发送验证码到手机 139****5678');
    const code = await latestCode(chat.core, LI_MING.phone);
    await chat.user(code).expects('验证通过');
  });

  it('我身份证 110105200101011235 被注册了', async () => {
    const chat = await startChat({ channel: 'terminal' });
    await chat.user('我身份证 110105200101011235 被注册了');
    expect(chat.flow).toBe('duplicate-id');
    expect(chat.lastReply).toContain('110***********1235');
    expect(chat.lastReply).not.toContain('110105200101011235');
  });

  it('转人工', async () => {
    const chat = await startChat({ channel: 'terminal', helpdesk: true });
    await chat.user('转人工');
    expect(chat.flow).toBe('escalate');
  });
});

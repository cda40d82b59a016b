import { describe, expect, it } from 'vitest';
import { LI_MING, latestCode } from '../../helpers/demo-core.js';
import { startChat } from '../../helpers/transcript.js';

describe('a flow waiting for a code stays open while the code is valid', () => {
  it('takes a valid password-reset code after 30 idle minutes', async () => {
    const chat = await startChat({ userId: 'back-later' });
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    await chat.user('1').expects('24 小时内有效');
    const code = await latestCode(chat.core, LI_MING.phone);

    chat.advance(3 * 60);
    const granted = await chat.user(code);
    expect(granted.text).not.toContain('已自动结束');
    expect(granted.text).toContain('验证通过');
    expect(granted.flow).toBeNull();
  });

  it('expires as usual once the code itself has expired', async () => {
    const chat = await startChat({ userId: 'too-late' });
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    await chat.user('1');
    chat.advance(25 * 60);
    await chat.user(await latestCode(chat.core, LI_MING.phone)).expects('“找回密码”已经超过 30 分钟没有操作，已自动结束');
    expect(chat.flow).toBeNull();
  });

  it('takes a valid binding code after 30 idle minutes', async () => {
    const chat = await startChat({ userId: 'bind-later' });
    await chat.user('绑定账号');
    await chat.user(LI_MING.username).expects('验证码发到哪里');
    await chat.user('1').expects('已把验证码发送到手机 139****5678');
    chat.advance(45);
    await chat.user(await latestCode(chat.core, LI_MING.phone)).expects('绑定成功！当前对话已绑定学信网账号 139****5678');
  });

  it('says how long a code already received stays valid when a resend comes too soon', async () => {
    const chat = await startChat({ userId: 'impatient' });
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    await chat.user('1');
    chat.clock.advance(20_000);
    const tooSoon = await chat.user('重新获取验证码');
    expect(tooSoon.text).toMatch(/请 \d+ 秒后再重新获取/);
    expect(tooSoon.text).toContain('已经收到的验证码 24 小时内有效');
  });
});

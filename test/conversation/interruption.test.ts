import { describe, expect, it } from 'vitest';
import { LI_MING, sentCount } from '../helpers/demo-core.js';
import { startChat } from '../helpers/transcript.js';

describe('a question inside a flow is answered as one', () => {
  it('recover-username: a new question is answered, then the user may go on or leave', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    expect(chat.flow).toBe('recover-username');

    const answered = await chat.user('学籍信息在哪里核对');
    expect(answered.topic).toBe('xueji.self-check');
    expect(answered.text).not.toContain('没有从这条消息里认出');
    expect(answered.text).toContain('刚才的“找回用户名”还没办完');
    expect(chat.choices).toEqual(['继续“找回用户名”', '退出“找回用户名”']);
    expect(chat.flow).toBe('recover-username');

    // Picking "continue" asks the step's question again; the answer still works.
    await chat.user('1').expects('请发送你的证件号码');
    await chat.user(`${LI_MING.id} ${LI_MING.name}`).expects('139****5678');
  });

  it('recover-password: a question at the method menu never picks a method', async () => {
    const chat = await startChat();
    await chat.user('忘记密码了');
    await chat.user('13600003333');
    const answered = await chat.user('短信验证码收不到怎么办');
    expect(answered.topic).toBe('sms.not-received');
    expect(answered.text).not.toContain('已发送验证码');
    expect(await sentCount(chat.core, '13600003333')).toBe(0);

    await chat.user('谢谢').expects('不客气');
    expect(chat.choices).toEqual(['继续“找回密码”', '退出“找回密码”']);
    const left = await chat.user('2');
    expect(left.text).toContain('已退出“找回密码”');
    expect(chat.flow).toBeNull();
  });

  it('recover-password: the step still gets what it asked for (a pasted username)', async () => {
    const chat = await startChat();
    await chat.user('忘记密码了');
    await chat.user('我的用户名是13600003333').expects('可以用下面的方式找回密码');
  });

  it('duplicate-id: a service we do not cover is declined honestly, the procedure waits', async () => {
    const chat = await startChat();
    await chat.user('我身份证被注册了');
    expect(chat.flow).toBe('duplicate-id');
    const declined = await chat.user('图片验证码一直输错');
    expect(declined.text).toContain('图片验证码');
    expect(declined.text).toContain('010-67410388');
    expect(declined.topic).toBeNull();
    expect(chat.flow).toBe('duplicate-id');
    expect(chat.choices).toContain('继续“证件号码重复处理”');
  });

  it('bind-account: small talk the step cannot use is answered, and the step asks again on continue', async () => {
    const chat = await startChat();
    await chat.user('13912345678');
    await chat.user('2');
    expect(chat.flow).toBe('bind-account');
    await chat.user('你好').expects('学信网帮助中心');
    expect(chat.flow).toBe('bind-account');
    await chat.user('继续“绑定学信网账号”').expects('验证码');
  });

  it('escalate: a question-like description is the description, not an interruption', async () => {
    const chat = await startChat({ helpdesk: true });
    await chat.user('转人工');
    const taken = await chat.user('学信网登录不了怎么办，密码也不对');
    expect(taken.text).toContain('收到问题描述');
    expect(chat.flow).toBe('escalate');
  });

  it('commands still work in the middle of a flow', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    await chat.user('学籍信息在哪里核对');
    await chat.user('取消').expects('已退出“找回用户名”');
    expect(chat.flow).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { startChat } from '../helpers/transcript.js';

describe('vague complaints get one clarifying question', () => {
  it.each(['登录不了', '学信网登录不了', '登不上去了', '账号登录不了怎么办'])(
    '"%s": the likely causes, not a guess and not "out of scope"',
    async (complaint) => {
      const chat = await startChat();
      const asked = await chat.user(complaint);
      expect(asked.topic).toBeNull();
      expect(asked.text).not.toContain('不在我能回答的范围');
      expect(asked.text).not.toContain('扫码');
      expect(chat.choices).toEqual(['忘记用户名', '忘记密码', '收不到短信验证码', '提示验证码获取太频繁、受限', '其他原因，转人工客服']);
    },
  );

  it('picking a cause answers it and starts its procedure', async () => {
    const chat = await startChat();
    await chat.user('登录不了');
    const picked = await chat.user('2');
    expect(picked.topic).toBe('recover.password');
    expect(chat.flow).toBe('recover-password');
  });

  it('"注册不了" and "账号有问题" offer their own causes', async () => {
    const chat = await startChat();
    await chat.user('注册不了');
    expect(chat.choices).toContain('提示证件号码已被注册');
    expect(chat.choices.at(-1)).toBe('其他原因，转人工客服');
    await chat.user('账号有问题');
    expect(chat.choices).toContain('要改手机号、邮箱等信息');
  });

  it('"other" goes to a human with the complaint as the description', async () => {
    const chat = await startChat({ helpdesk: true });
    await chat.user('我的学信网账号一直登录不了');
    const human = await chat.user('5');
    expect(chat.flow).toBe('escalate');
    expect(human.text).toContain('收到问题描述');
  });

  it('account theft goes to a human at once, and the ticket says what it is about', async () => {
    const chat = await startChat({ helpdesk: true });
    const handed = await chat.user('我的学信网账号被盗了，密码被人改了');
    expect(handed.text).toContain('人工客服核实');
    expect(chat.flow).toBe('escalate');
    await chat.user('我的用户名是13511112222');
    await chat.user('没有截图');
    await chat.user('1').expects('工单');
    const [row] = await chat.engine.helpdesk!.tickets.list({ status: 'open' });
    const ticket = await chat.engine.helpdesk!.tickets.get(row!.id);
    expect(ticket?.topics).toContain('triage.account-stolen');
    expect(ticket?.description).toContain('账号被盗了');
    expect(ticket?.transcript.some((line) => line.text.includes('账号被盗了'))).toBe(true);
  });

  it('account deletion goes to a human too, with what deletion affects', async () => {
    const chat = await startChat({ helpdesk: true });
    const handed = await chat.user('怎么注销学信网账号');
    expect(handed.text).toContain('兵役登记');
    expect(chat.flow).toBe('escalate');
  });

  it('without a help desk the user gets the contacts instead', async () => {
    const chat = await startChat();
    const handed = await chat.user('账号被盗了');
    expect(handed.text).toContain('010-67410388');
    expect(chat.flow).toBeNull();
  });
});

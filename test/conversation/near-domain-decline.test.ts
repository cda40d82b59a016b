import { describe, expect, it } from 'vitest';
import { startChat } from '../helpers/transcript.js';

describe('services next to ours are declined honestly, never given a wrong topic', () => {
  it('the site captcha is not the SMS limit', async () => {
    const chat = await startChat();
    const answer = await chat.user('网页上的图片验证码老是输不对');
    expect(answer.topic).toBeNull();
    expect(answer.text).toContain('图片验证码');
    expect(answer.text).not.toContain('有效期是 24 小时');
    expect(answer.text).toContain('010-67410388');
    expect(chat.choices).toEqual(['转人工客服']);
  });

  it('a bare "验证码" is asked about, with the captcha among the choices', async () => {
    const chat = await startChat();
    const unsure = await chat.user('验证码');
    expect(unsure.topic).toBeNull();
    expect(chat.choices.at(-1)).toBe('转人工客服');
  });

  it('a 自考 student who cannot find their 学籍 does not get the freshman answer', async () => {
    const chat = await startChat();
    const answer = await chat.user('我是自考的，学信网上查不到我的学籍');
    expect(answer.topic).toBeNull();
    expect(answer.text).toContain('自学考试');
    expect(answer.text).not.toContain('新生学籍');
    expect(answer.text).toContain('kefu@chsi.com.cn');
  });

  it.each([
    ['在线验证报告的有效期能延长吗', '在线验证报告'],
    ['学籍验证码去哪里找', '学籍验证码'],
    ['考研网上报名什么时候开始', '研究生招生报名'],
  ])('"%s" is not covered here, and the user is told where to ask', async (question, named) => {
    const chat = await startChat();
    const answer = await chat.user(question);
    expect(answer.topic).toBeNull();
    expect(answer.text).toContain(named);
    expect(answer.text).toContain('010-67410388');
  });

  it('a question about fees gets no price and no registration checklist, only what the rules say is free', async () => {
    const chat = await startChat();
    const answer = await chat.user('在学信网上注册账号得花钱不');
    expect(answer.topic).toBeNull();
    expect(answer.text).toContain('没有资料');
    expect(answer.text).toContain('免费查询本人的学籍学历');
    expect(answer.text).not.toContain('不要重复注册');
    expect(answer.text).toContain('010-67410388');
  });

  it('a wordy question that leans to one topic is "not sure which", not "not something I cover"', async () => {
    const chat = await startChat();
    const unsure = await chat.user('救命 学信网密码忘了 明天就要用');
    expect(unsure.topic).toBeNull();
    expect(unsure.text).toContain('不太确定你问的是哪一个问题');
    expect(unsure.text).not.toContain('不在我能回答的范围内');
    expect(chat.choices).toEqual(['忘记密码，怎么找回或重置密码', '转人工客服']);
    const picked = await chat.user('1');
    expect(picked.topic).toBe('recover.password');
  });

  it('the human choice hands over with the question attached', async () => {
    const chat = await startChat({ helpdesk: true });
    await chat.user('学历认证报告怎么申请');
    const human = await chat.user('1');
    expect(chat.flow).toBe('escalate');
    expect(human.text).toContain('收到问题描述');
  });
});

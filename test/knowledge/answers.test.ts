import { describe, expect, it } from 'vitest';
import { startChat } from '../helpers/transcript.js';

// The knowledge base as users meet it, turn by turn, on the engine (no HTTP).
// test/channels/web/chat-api.test.ts checks the same answers in the shape /api/chat sends them.
describe('answering from the knowledge base', () => {
  it('answers a question with its topic and no flow', async () => {
    const chat = await startChat();
    await chat.user('收不到验证码怎么办').expects('信号');
    expect(chat.topic).toBe('sms.not-received');
    expect(chat.flow).toBeNull();
  });

  it('understands traditional Chinese', async () => {
    const chat = await startChat();
    await chat.user('註冊時提示證件號碼已被註冊，怎麼辦？').expects('我要重新注册');
    expect(chat.topic).toBe('register.id-taken');
  });

  it('says it is not sure, offers numbered choices and a human, and a reply of "1" picks the first', async () => {
    const chat = await startChat();
    await chat.user('邮箱').expects('不太确定');
    expect(chat.topic).toBeNull();
    expect(chat.choices.length).toBeGreaterThanOrEqual(2);
    expect(chat.choices.at(-1)).toBe('转人工客服');
    expect(chat.lastReply).toMatch(/1\. .+\n2\. /);

    await chat.user('1');
    expect(chat.topic).not.toBeNull();
    expect(chat.lastReply).not.toContain('不太确定');
  });

  it('declines an out-of-scope question instead of guessing, and offers a human', async () => {
    const chat = await startChat();
    await chat.user('今天北京天气怎么样').expects('不在我能回答的范围');
    expect(chat.topic).toBeNull();
    expect(chat.choices).toContain('转人工客服');
  });

  it('answers small talk with no topic', async () => {
    const chat = await startChat();
    await chat.user('你好').expects(/学信网/);
    expect(chat.topic).toBeNull();
    expect(chat.flow).toBeNull();
  });

  it('records a question nobody could answer for the knowledge-gap report, with the ID number masked', async () => {
    const chat = await startChat();
    await chat.user('今天北京天气怎么样，我身份证 110105200101011235');
    const recorded = await chat.store.log<{ channel: string; text: string }>('unanswered').page({ limit: 10 });
    expect(recorded.items).toHaveLength(1);
    expect(recorded.items[0]).toMatchObject({ channel: 'web', text: expect.stringContaining('天气') });
    expect(recorded.items[0]!.text).not.toContain('110105200101011235');
  });
});

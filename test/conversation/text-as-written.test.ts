import { describe, expect, it } from 'vitest';
import { startChat } from '../helpers/transcript.js';

describe('text as the user wrote it', () => {
  it('keeps full-width punctuation in the confirmation, the ticket and the stored transcript', async () => {
    const chat = await startChat({ helpdesk: true });
    await chat.user('转人工');
    await chat.user('我的用户名是13511112222');
    await chat.user('没有截图');
    const confirm = await chat.user('注册时提示已被注册，错误代码E1023，怎么办？');
    expect(confirm.text).toContain('注册时提示已被注册，错误代码E1023，怎么办？');

    const session = await chat.session();
    const said = session?.history.filter((entry) => entry.from === 'user').map((entry) => entry.text);
    expect(said).toContain('注册时提示已被注册，错误代码E1023，怎么办？');

    await chat.user('1').expects('工单');
    const [row] = await chat.engine.helpdesk!.tickets.list({ status: 'open' });
    const ticket = await chat.engine.helpdesk!.tickets.get(row!.id);
    expect(ticket?.description).toBe('注册时提示已被注册，错误代码E1023，怎么办？');
  });

  it('still matches full-width and traditional text, and still masks full-width numbers', async () => {
    const chat = await startChat();
    await chat.user('忘記密碼了！！');
    expect(chat.topic).toBe('recover.password');
    await chat.user('取消');
    await chat.user('我的手机是１３９１２３４５６７８，收不到验证码');
    const session = await chat.session();
    const said = session?.history.filter((entry) => entry.from === 'user').map((entry) => entry.text) ?? [];
    expect(said.at(-1)).toBe('我的手机是139****5678，收不到验证码');
    expect(JSON.stringify(session)).not.toContain('１３９１２３４５６７８');
  });
});

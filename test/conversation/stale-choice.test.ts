import { describe, expect, it } from 'vitest';
import type { ChoiceView } from '../../src/conversation/types.js';
import { Answer, startChat, type Chat } from '../helpers/transcript.js';

/** The web page: choices are buttons, and a click sends the button's id. */
async function click(chat: Chat, choice: ChoiceView | undefined): Promise<Answer> {
  expect(choice, 'the button exists').toBeDefined();
  const result = await chat.engine.assistant.handle({ channel: chat.channel, userId: chat.userId, choiceId: choice!.id, choicesAsButtons: true });
  return new Answer(result);
}

async function say(chat: Chat, text: string): Promise<Answer> {
  return new Answer(await chat.engine.assistant.handle({ channel: chat.channel, userId: chat.userId, text, choicesAsButtons: true }));
}

async function smsSent(chat: Chat, phone: string): Promise<number> {
  const listed = await chat.core.listOutbox({ recipient: phone, limit: 50 });
  return listed.ok ? listed.value.messages.length : 0;
}

describe('choices carry the id of the menu that offered them', () => {
  it('an old "先找回用户名" button clicked after the method menu sends no SMS code', async () => {
    const chat = await startChat();
    const opening = await say(chat, '忘记密码了');
    const findUsernameFirst = opening.result.choices.find((choice) => choice.label === '先找回用户名');

    const methods = await say(chat, '13600003333');
    expect(methods.result.choices[0]?.label).toContain('短信验证码');
    expect(methods.result.choices[0]?.id).not.toBe(findUsernameFirst?.id);

    const late = await click(chat, findUsernameFirst);
    expect(late.text).toContain('那个菜单已经过期');
    expect(late.text).not.toContain('已发送验证码');
    expect(await smsSent(chat, '13600003333')).toBe(0);
    // The method menu is shown again, with fresh ids that work.
    expect(late.result.choices.map((choice) => choice.label)).toEqual(methods.result.choices.map((choice) => choice.label));
    const sms = await click(chat, late.result.choices[0]);
    expect(sms.text).toContain('已发送验证码到手机 136****3333');
    expect(await smsSent(chat, '13600003333')).toBe(1);
  });

  it('buttons replace the numbered lines on the web; text-only channels get the numbered lines', async () => {
    const web = await startChat();
    const onWeb = await say(web, '忘记密码了');
    expect(onWeb.text).not.toMatch(/^1\. 先找回用户名$/m);
    expect(onWeb.result.choices).toEqual([{ id: expect.stringMatching(/^m[0-9a-z]+-1$/), number: 1, label: '先找回用户名' }]);

    const wechat = web.as('openid-7', 'wechat');
    await wechat.user('忘记密码了').expects(/^1\. 先找回用户名$/m);

    const unsureOnWeb = await say(web.as('web-2'), '邮箱');
    expect(unsureOnWeb.text).toContain('点一下即可查看');
    expect(unsureOnWeb.text).not.toContain('回复序号');
    await web.as('openid-8', 'wechat').user('邮箱').expects('回复序号即可查看');
  });

  it('an old button of the same question still means the same after a question in between', async () => {
    const chat = await startChat();
    await say(chat, '忘记密码了');
    const methods = await say(chat, '13600003333');
    const again = await say(chat, '短信验证码收不到怎么办？');
    expect(again.text).toContain('我们接着刚才的“找回密码”');
    expect(again.result.choices[0]?.id).not.toBe(methods.result.choices[0]?.id);
    const late = await click(chat, methods.result.choices[0]);
    expect(late.text).toContain('已发送验证码到手机 136****3333');
  });

  it('a click on the open menu works like typing its number', async () => {
    const chat = await startChat();
    await say(chat, '忘记密码了');
    const methods = await say(chat, '13600003333');
    const sms = await click(chat, methods.result.choices[0]);
    expect(sms.text).toContain('已发送验证码到手机 136****3333');
  });

  it('an old answer choice is still answered for what it was', async () => {
    const chat = await startChat();
    const unsure = await say(chat, '邮箱');
    const offered = unsure.result.choices.find((choice) => choice.label !== '转人工客服');
    expect(offered).toBeDefined();
    await say(chat, '你好');
    const late = await click(chat, offered);
    expect(late.topic).not.toBeNull();
    expect(late.text).not.toContain('过期');
  });

  it('a button of a flow that has since expired is declined, not run', async () => {
    const chat = await startChat();
    await say(chat, '忘记用户名了');
    const found = await say(chat, '110105200101011235 李明');
    const passwordToo = found.result.choices[0];
    expect(passwordToo?.label).toBe('接着找回密码');
    chat.advance(31);
    const late = await click(chat, passwordToo);
    expect(late.text).toContain('那个菜单已经过期');
    expect(late.flow).toBeNull();
  });

  it('an id nobody offered is declined without doing anything', async () => {
    const chat = await startChat();
    await say(chat, '忘记密码了');
    const forged = await click(chat, { id: 'm999999-1', number: 1, label: '?' });
    expect(forged.text).toContain('那个菜单已经过期');
    expect(forged.flow).toBe('recover-password');
    const garbage = await click(chat, { id: '<script>', number: 1, label: '?' });
    expect(garbage.text).toContain('那个菜单已经过期');
  });

  it('typing the number still picks from the menu that is open', async () => {
    const chat = await startChat({ channel: 'wechat', userId: 'openid-2' });
    await chat.user('忘记密码了');
    await chat.user('13600003333');
    await chat.user('1').expects('已发送验证码到手机 136****3333');
  });
});

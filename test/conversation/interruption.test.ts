import { describe, expect, it } from 'vitest';
import type { FlowDefinition, Reply } from '../../src/conversation/types.js';
import { LI_MING, sentCount } from '../helpers/demo-core.js';
import { startChat } from '../helpers/transcript.js';

describe('a question inside a flow is answered as one', () => {
  it('recover-username: a new question is answered, then the step asks again and says how to leave', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    expect(chat.flow).toBe('recover-username');

    const answered = await chat.user('学籍信息在哪里核对');
    expect(answered.topic).toBe('xueji.self-check');
    expect(answered.text).not.toContain('没有从这条消息里认出');
    expect(answered.text).toContain('我们接着刚才的“找回用户名”');
    expect(answered.text).toContain('请发送你的证件号码');
    expect(answered.text).toContain('取消');
    expect(chat.flow).toBe('recover-username');

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
    expect(chat.choices[0]).toContain('短信验证码');
    const left = await chat.user('取消');
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
    expect(declined.text).toContain('我们接着刚才的“证件号码重复处理”');
  });

  it('bind-account: small talk the step cannot use is answered, and the step asks again', async () => {
    const chat = await startChat();
    await chat.user('13912345678');
    await chat.user('2');
    expect(chat.flow).toBe('bind-account');
    const answered = await chat.user('你好');
    expect(answered.text).toContain('学信网帮助中心');
    expect(answered.text).toContain('我们接着刚才的“绑定学信网账号”');
    expect(chat.flow).toBe('bind-account');
  });

  it('after three messages it cannot use, the user may get a human, go on, or leave', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    await chat.user('嗯嗯嗯');
    await chat.user('啦啦啦');
    await chat.user('？？？');
    expect(chat.choices).toEqual(['转人工客服', '继续“找回用户名”', '退出“找回用户名”']);
    await chat.user('3').expects('已退出“找回用户名”');
    expect(chat.flow).toBeNull();
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

/** A one-step flow that says what its step expects: a phone number. */
function phoneStepFlow(): FlowDefinition {
  const ask = (): Reply[] => [{ type: 'text', text: 'STEP: 请发手机号' }];
  return {
    name: 'phone-step',
    startsFrom: [],
    acceptsImages: false,
    isHumanHandoff: false,
    start: async () => ({
      status: 'waiting',
      state: { flow: 'phone-step', step: 'ask' },
      replies: ask(),
      choices: [{ number: 1, label: '我没有手机号' }],
    }),
    handle: async (_ctx, state, input) =>
      input.kind === 'message' && input.entities.phones.length > 0
        ? { status: 'complete', replies: [{ type: 'text', text: 'STEP: 收到手机号' }] }
        : { status: 'waiting', state, replies: [{ type: 'text', text: 'STEP: 被 step 吃掉了' }] },
    prompt: ask,
    back: () => null,
    choices: () => [{ number: 1, label: '我没有手机号' }],
    expects: () => ({ entities: ['phone'], freeText: false }),
  };
}

describe('a step that says what it expects', () => {
  it('gets a message with the entity it wants, while a clear question is answered before it sees it', async () => {
    const chat = await startChat();
    chat.engine.context.flows.set('phone-step', phoneStepFlow());
    // The user is at the flow's step (as if they had started it a moment ago).
    await chat.user('你好');
    const session = await chat.session();
    session!.flows = [{ flow: 'phone-step', step: 'ask' }];
    await chat.store.documents('sessions').put(session!.conversationId, session!);

    const question = await chat.user('学信网客服电话是多少');
    expect(question.topic).toBe('support.contact');
    expect(question.text).not.toContain('被 step 吃掉了');
    expect(question.text).toContain('STEP: 请发手机号');
    expect(chat.choices).toEqual(['我没有手机号']);

    const withPhone = await chat.user('学信网客服电话是多少？我的手机号是13912345678');
    expect(withPhone.text).toContain('STEP: 收到手机号');
  });
});

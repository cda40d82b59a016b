import { describe, expect, it } from 'vitest';
import { startChat, startEngine } from '../../helpers/transcript.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { CHEN_JING, FREE_ID, LI_MING, startWithDemoCore } from './support.js';

describe('recover-username', () => {
  it('takes the ID number and the name in two messages and shows the masked username', async () => {
    const chat = await startChat();

    const opening = await chat.user('忘记用户名了');
    expect(opening.topic).toBe('recover.username');
    expect(opening.flow).toBe('recover-username');
    expect(opening.text).toContain('请发送你的证件号码（身份证号）和注册时填写的姓名');

    const idGiven = await chat.user(LI_MING.id);
    expect(idGiven.text).toContain('已收到证件号码 110***********1235');
    expect(idGiven.text).toContain('请再发送注册时填写的姓名');
    expect(idGiven.topic).toBeNull();

    const found = await chat.user('李明');
    expect(found.text).toContain('你的学信网用户名是：139****5678');
    expect(found.text).not.toContain(LI_MING.username);
    expect(found.choices).toEqual(['接着找回密码', '不用了，谢谢']);
    expect(found.flow).toBe('recover-username');

    const done = await chat.user('2');
    expect(done.text).toContain('用这个用户名登录学信网');
    expect(done.flow).toBeNull();
  });

  it.each([
    ['name first, then the ID with spaces and a lower-case x', ['我叫孙丽', '110105 19491231 002x'], 's***@example.com'],
    ['both in one message, ID first, full-width digits', ['１１０１０５２００１０１０１１２３５ 李明'], '139****5678'],
    ['both in one message, name first with a label', ['姓名：李明，身份证号：110105-20010101-1235'], '139****5678'],
  ])('accepts %s', async (_title, messages, masked) => {
    const chat = await startChat();
    await chat.user('用户名忘了怎么找回');
    let last = await chat.user(messages[0]!);
    for (const message of messages.slice(1)) last = await chat.user(message);
    expect(last.text).toContain(`你的学信网用户名是：${masked}`);
  });

  it('reports the active flow through /api/chat', async () => {
    const { service } = await startWithDemoCore();
    const post = async (text: string) => {
      const response = await service.postChat({ userId: 'api-user', text });
      expect(response.status).toBe(200);
      return response.body as { replies: { type: string; text: string }[]; topic: string | null; flow: string | null };
    };
    expect((await post('忘记用户名了')).flow).toBe('recover-username');
    const step = await post(LI_MING.id);
    expect(step).toMatchObject({ topic: null, flow: 'recover-username' });
    expect(step.replies[0]?.text).toContain('110***********1235');
    expect((await post('取消')).flow).toBeNull();
  });

  it('uses the ID number and the name from the message that started it', async () => {
    const chat = await startChat();
    const answer = await chat.user(`忘了用户名，我叫李明，身份证${LI_MING.id}`);
    expect(answer.flow).toBe('recover-username');
    expect(answer.text).toContain('你的学信网用户名是：139****5678');
  });

  it.each([
    ['11010520010101123', '是 17 位'],
    ['11010520010101123A', '只能是数字，最后一位可以是数字或字母 X'],
    ['990105200101011235', '前两位省份代码不存在'],
    ['110105200113011235', '出生日期不是有效日期'],
    ['110105200101011234', '最后一位应该是 5'],
    ['13912345678', '这看起来是手机号'],
  ])('explains exactly what is wrong with %s', async (id, reason) => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    const answer = await chat.user(id);
    expect(answer.text).toContain(reason);
    expect(answer.flow).toBe('recover-username');
    if (id.length >= 15 && /^\d{15}/.test(id)) expect(answer.text).not.toContain(id);
  });

  it('explains re-registration when the ID number is not registered', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    const answer = await chat.user(`${FREE_ID} 赵六`);
    expect(answer.text).toContain('没有查到用证件号码 110***********1239 注册的学信网账号');
    expect(answer.text).toContain('重新注册');
    expect(answer.text).toContain('不影响查询学籍学历信息');
    expect(answer.flow).toBeNull();
  });

  it('asks for the name again when it does not match, and then finds the account', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    const mismatch = await chat.user(`${LI_MING.id} 李明明`);
    expect(mismatch.text).toContain('和姓名“李明明”对不上');
    expect(mismatch.flow).toBe('recover-username');
    const found = await chat.user('李明');
    expect(found.text).toContain('139****5678');
  });

  it('gives the seed message with re-registration and customer service when requests are too frequent', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    for (let i = 0; i < 5; i += 1) {
      const miss = await chat.user(`${CHEN_JING.id} 陈晶${'一二三四五'[i]}`);
      expect(miss.text).toContain('对不上');
    }
    const limited = await chat.user(`${CHEN_JING.id} 陈静`);
    expect(limited.text).toContain('请求被取消，不能频繁使用该功能');
    expect(limited.text).toContain('我要重新注册');
    expect(limited.text).toContain('010-67410388');
    expect(limited.flow).toBeNull();
  });

  it('hands over to password recovery with the username already known', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    await chat.user(`${LI_MING.id} 李明`);
    const methods = await chat.user('1');
    expect(methods.flow).toBe('recover-password');
    expect(methods.text).toContain('账号 139****5678 可以用下面的方式找回密码');
    expect(methods.choices[0]).toBe('短信验证码（发到 139****5678）');
  });

  it('leaves on 取消 and goes back one step on 返回', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    await chat.user(LI_MING.id);
    const back = await chat.user('返回');
    expect(back.text).toContain('请发送你的证件号码（身份证号）和注册时填写的姓名');
    const first = await chat.user('返回');
    expect(first.text).toContain('已经是第一步了');
    const cancelled = await chat.user('取消');
    expect(cancelled.text).toContain('已退出“找回用户名”');
    expect(cancelled.flow).toBeNull();
  });

  it('answers a question in the middle and then asks for the name again', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    await chat.user(LI_MING.id);
    const interrupted = await chat.user('学信网客服电话多少');
    expect(interrupted.topic).toBe('support.contact');
    expect(interrupted.text).toContain('010-67410388');
    expect(interrupted.text).toContain('我们接着刚才的“找回用户名”');
    expect(interrupted.text).toContain('请再发送注册时填写的姓名');
    expect(interrupted.flow).toBe('recover-username');
    const found = await chat.user('李明');
    expect(found.text).toContain('139****5678');
  });

  it('takes a pasted error message for a sentence, not a name, and still takes a name next to a greeting', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    const pasted = await chat.user('页面上写着：该邮箱已经注册，正在等待激活');
    expect(pasted.text).not.toContain('已收到姓名');
    expect(pasted.text).toContain('请发送你的证件号码（身份证号）和注册时填写的姓名');
    expect(pasted.flow).toBe('recover-username');

    const named = await chat.user('您好，李明');
    expect(named.text).toContain('已收到姓名“李明”');
    const found = await chat.user(LI_MING.id);
    expect(found.text).toContain('你的学信网用户名是：139****5678');
  });

  it('treats a new question after the username was found as a new question, and the flow ends', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    const found = await chat.user(`${LI_MING.id} 李明`);
    expect(found.choices).toEqual(['接着找回密码', '不用了，谢谢']);
    const asked = await chat.user('学信网客服电话多少');
    expect(asked.topic).toBe('support.contact');
    expect(asked.text).toContain('010-67410388');
    expect(asked.text).not.toContain('请回复序号');
    expect(asked.flow).toBeNull();

    const other = chat.as('u-oos');
    await other.user('忘记用户名了');
    await other.user(`${LI_MING.id} 李明`);
    const offTopic = await other.user('今天天气怎么样');
    expect(offTopic.flow).toBeNull();
    expect(offTopic.text).toContain('不在我能回答的范围');
  });

  it('offers a human after three inputs it cannot use', async () => {
    const chat = await startChat();
    await chat.user('忘记用户名了');
    await chat.user('嗯嗯嗯');
    await chat.user('啦啦啦');
    const third = await chat.user('？？？');
    expect(third.text).toContain('要不要转人工客服');
    expect(third.choices).toContain('转人工客服');
    const resumed = await chat.user('2');
    expect(resumed.text).toContain('请发送你的证件号码');
    expect(resumed.flow).toBe('recover-username');
  });

  it('expires after 30 idle minutes with a note', async () => {
    const chat = await startChat();
    const { clock } = chat;
    await chat.user('忘记用户名了');
    await chat.user(LI_MING.id);
    clock.advanceMinutes(31);
    const later = await chat.user('李明');
    expect(later.text).toContain('“找回用户名”已经超过 30 分钟没有操作，已自动结束');
    expect(later.flow).toBeNull();
  });

  it('resumes at the same step after a restart', async () => {
    const first = await startEngine({ dataDir: tempDir('chsi-restart-') });
    await first.chat('r1').user('忘记用户名了');
    await first.chat('r1').user(LI_MING.id);

    const second = await first.restart();
    const found = await second.chat('r1').user('李明');
    expect(found.flow).toBe('recover-username');
    expect(found.text).toContain('139****5678');
  });

  it('uses the ID number a user pasted on its own once they pick what to do with it', async () => {
    const chat = await startChat({ userId: 'u-pasted' });
    const pasted = await chat.user(LI_MING.id);
    expect(pasted.text).toContain('110***********1235');
    expect(pasted.text).not.toContain(LI_MING.id);
    expect(pasted.choices[0]).toContain('找回用户名');
    const picked = await chat.user('1');
    expect(picked.flow).toBe('recover-username');
    expect(picked.text).not.toContain('请发送你的证件号码');
    const found = await chat.user('李明');
    expect(found.text).toContain('139****5678');
  });
});

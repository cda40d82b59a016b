import { describe, expect, it } from 'vitest';
import { startChat, startEngine, type Chat } from '../../helpers/transcript.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { CHEN_JING, LI_MING, latestCode, sentCount } from './support.js';

const RESET_LINK = /http:\/\/localhost:3000\/core\/reset\/([A-Za-z0-9_-]{20,})/;

async function upToCode(chat: Chat) {
  await chat.user('密码忘了');
  await chat.user(LI_MING.username);
  return chat.user('1');
}

describe('recover-password', () => {
  it('lists the methods masked, sends an SMS code, and gives a one-time reset link for the code', async () => {
    const chat = await startChat();
    const { core } = chat;

    const opening = await chat.user('密码忘了');
    expect(opening.topic).toBe('recover.password');
    expect(opening.flow).toBe('recover-password');
    expect(opening.text).toContain('请发送你的学信网用户名');
    expect(opening.choices).toEqual(['先找回用户名']);

    const methods = await chat.user(LI_MING.username);
    expect(methods.text).toContain('账号 139****5678 可以用下面的方式找回密码');
    expect(methods.choices).toEqual([
      '短信验证码（发到 139****5678）',
      '重置链接发到安全邮箱（l***@example.com）',
      '回答密保问题',
      '以上方式都用不了',
    ]);
    expect(methods.text).not.toContain(LI_MING.email);

    const sent = await chat.user('1');
    expect(sent.text).toContain('已发送验证码到手机 139****5678，24 小时内有效');
    expect(sent.choices).toEqual(['重新获取验证码', '换一种找回方式']);

    const code = await latestCode(core, LI_MING.phone);
    const granted = await chat.user(`${code.slice(0, 3)} ${code.slice(3)}`);
    expect(granted.text).toContain('验证通过');
    expect(granted.text).not.toContain(code);
    expect(granted.flow).toBeNull();
    const token = RESET_LINK.exec(granted.text)?.[1];
    expect(token).toBeDefined();
    const inspected = await core.inspectResetToken({ token: token! });
    expect(inspected.ok && inspected.value.username).toBe(LI_MING.username);
  });

  it('answers a pasted error message at the method choice instead of taking a word in it as the choice', async () => {
    const chat = await startChat();
    const { core } = chat;
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);

    const pasted = await chat.user('注册时提示手机号码已被注册');
    expect(pasted.text).not.toContain('已发送验证码');
    expect(pasted.text).toContain('我们接着刚才的“找回密码”');
    expect(pasted.flow).toBe('recover-password');
    expect(pasted.choices).toContain('短信验证码（发到 139****5678）');
    const offTopic = await chat.user('我手机屏幕碎了在哪修');
    expect(offTopic.text).not.toContain('已发送验证码');
    const question = await chat.user('请问邮箱要怎么激活');
    expect(question.text).not.toContain('链接已发送');
    expect(await sentCount(core, LI_MING.phone)).toBe(0);
    expect(await sentCount(core, LI_MING.email)).toBe(0);

    const picked = await chat.user('用手机短信吧');
    expect(picked.text).toContain('已发送验证码到手机 139****5678');
    expect(await sentCount(core, LI_MING.phone)).toBe(1);
  });

  it('starts with the username from the triggering message', async () => {
    const chat = await startChat();
    const answer = await chat.user(`我的用户名是${LI_MING.username}，密码忘了怎么办`);
    expect(answer.flow).toBe('recover-password');
    expect(answer.text).toContain('账号 139****5678 可以用下面的方式找回密码');
  });

  it('tells how many tries are left after a wrong code, and asks for a new code after too many', async () => {
    const chat = await startChat();
    const { core } = chat;
    await upToCode(chat);
    const code = await latestCode(core, LI_MING.phone);
    const wrong = await chat.user('000000');
    expect(wrong.text).toContain('验证码不正确，还可以再试 4 次');
    expect(wrong.flow).toBe('recover-password');
    for (let i = 0; i < 3; i += 1) await chat.user('000000');
    const stopped = await chat.user('000000');
    expect(stopped.text).toContain('验证码输错次数太多，请重新获取一个新的再输入');
    expect((await chat.user(code)).text).toContain('验证码输错次数太多');
    const short = await chat.user('12345');
    expect(short.text).toContain('验证码是 6 位数字');
  });

  it('refuses a code that was already used', async () => {
    const chat = await startChat();
    const { core, clock } = chat;
    await upToCode(chat);
    const code = await latestCode(core, LI_MING.phone);
    expect((await chat.user(code)).text).toContain('验证通过');

    clock.advanceMinutes(2);
    await upToCode(chat);
    const reused = await chat.user(code);
    expect(reused.text).toContain('这个验证码已经用过了');
    expect(reused.flow).toBe('recover-password');
  });

  it('refuses an expired code and says how long codes last', async () => {
    const chat = await startChat();
    const { core, clock } = chat;
    await upToCode(chat);
    const old = await latestCode(core, LI_MING.phone);

    clock.advanceMinutes(25 * 60);
    await upToCode(chat);
    const expired = await chat.user(old);
    expect(expired.text).toContain('这个验证码已经过期了（验证码 24 小时内有效）');
    const fresh = await latestCode(core, LI_MING.phone);
    expect((await chat.user(fresh)).text).toContain('验证通过');
  });

  it('says how many seconds to wait before another code, and stops at the daily limit', async () => {
    const chat = await startChat();
    const { core, clock } = chat;
    await upToCode(chat);
    clock.advance(20_000);
    const tooSoon = await chat.user('1');
    expect(tooSoon.text).toContain('请 40 秒后再重新获取');
    expect(tooSoon.text).toContain('已经收到的验证码 24 小时内有效');

    for (let sent = 1; sent < 5; sent += 1) {
      clock.advance(61_000);
      expect((await chat.user('重新获取验证码')).text).toContain('已重新发送验证码');
    }
    clock.advance(61_000);
    const limit = await chat.user('1');
    expect(limit.text).toContain('今天发送验证码的次数已达上限（每天 5 条）');
    expect(await sentCount(core, LI_MING.phone)).toBe(5);
    const code = await latestCode(core, LI_MING.phone);
    expect((await chat.user(code)).text).toContain('验证通过');
  });

  it('sends the reset link to the security e-mail', async () => {
    const chat = await startChat();
    const { core } = chat;
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    const sent = await chat.user('2');
    expect(sent.text).toContain('重置密码的链接已发送到安全邮箱 l***@example.com');
    expect(sent.flow).toBeNull();
    const mail = await core.listOutbox({ recipient: LI_MING.email, limit: 1 });
    expect(mail.ok && mail.value.messages[0]?.body).toMatch(/\/core\/reset\//);
  });

  it('asks the security question and gives the link for the right answer', async () => {
    const chat = await startChat();
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    const question = await chat.user('回答密保问题');
    expect(question.text).toContain('请回答密保问题：您母亲的姓名是？');
    const wrong = await chat.user('李秀英');
    expect(wrong.text).toContain('密保答案不正确，今天还可以再试 2 次');
    const right = await chat.user('王秀英');
    expect(right.text).toContain('验证通过');
    expect(right.text).toMatch(RESET_LINK);
  });

  it('locks the security questions for the day after too many wrong answers', async () => {
    const chat = await startChat();
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    await chat.user('3');
    for (let i = 0; i < 3; i += 1) await chat.user('张三');
    const locked = await chat.user('张三');
    expect(locked.text).toContain('今天密保答案错的次数太多');
    expect(locked.choices[0]).toBe('短信验证码（发到 139****5678）');
  });

  it('explains re-registration when the account has no recovery method', async () => {
    const chat = await startChat();
    await chat.user('密码忘了');
    const answer = await chat.user(CHEN_JING.username);
    expect(answer.text).toContain('账号 440***********4564 没有绑定手机号、安全邮箱，也没有设置密保问题');
    expect(answer.text).toContain('重新注册不影响查询学籍学历信息');
    expect(answer.flow).toBeNull();
  });

  it('explains re-registration when none of the methods can be used', async () => {
    const chat = await startChat();
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    const answer = await chat.user('4');
    expect(answer.text).toContain('这几种方式都用不了');
    expect(answer.text).toContain('重新注册不影响查询学籍学历信息');
  });

  it('says when a username is not registered and offers to find it', async () => {
    const chat = await startChat();
    await chat.user('密码忘了');
    const answer = await chat.user('13800000000');
    expect(answer.text).toContain('没有找到用户名为 138****0000 的学信网账号');
    expect(answer.choices).toEqual(['先找回用户名']);
  });

  it('finds the username first and continues with it', async () => {
    const chat = await startChat();
    await chat.user('密码忘了');
    const child = await chat.user('不知道用户名');
    expect(child.flow).toBe('recover-username');
    expect(child.text).toContain('请发送你的证件号码（身份证号）和注册时填写的姓名');
    const methods = await chat.user(`${LI_MING.id} 李明`);
    expect(methods.text).toContain('你的学信网用户名是：139****5678');
    expect(methods.text).toContain('接下来就用这个用户名找回密码');
    expect(methods.text).toContain('可以用下面的方式找回密码');
    expect(methods.flow).toBe('recover-password');
  });

  it('ends quietly after the username lookup finds nothing', async () => {
    const chat = await startChat();
    await chat.user('密码忘了');
    await chat.user('1');
    const answer = await chat.user('110105199003071239 赵六');
    expect(answer.text).toContain('也就没有密码可以找回');
    expect(answer.flow).toBeNull();
  });

  it('goes back to the methods from the code step, and cancels', async () => {
    const chat = await startChat();
    await upToCode(chat);
    const back = await chat.user('返回');
    expect(back.text).toContain('可以用下面的方式找回密码');
    expect(back.choices).toHaveLength(4);
    const cancelled = await chat.user('退出');
    expect(cancelled.text).toContain('已退出“找回密码”');
    expect(cancelled.flow).toBeNull();
  });

  it('answers a question at the code step and asks for the code again', async () => {
    const chat = await startChat();
    const { core } = chat;
    await upToCode(chat);
    const interrupted = await chat.user('学信网客服电话多少');
    expect(interrupted.topic).toBe('support.contact');
    expect(interrupted.text).toContain('请输入发送到手机 139****5678 的 6 位验证码');
    expect(interrupted.choices).toEqual(['重新获取验证码', '换一种找回方式']);
    const code = await latestCode(core, LI_MING.phone);
    expect((await chat.user(code)).text).toContain('验证通过');
  });

  it('expires after 30 idle minutes at a step that holds no code', async () => {
    const chat = await startChat();
    const { clock } = chat;
    await chat.user('密码忘了');
    clock.advanceMinutes(31);
    const later = await chat.user(LI_MING.username);
    expect(later.text).toContain('“找回密码”已经超过 30 分钟没有操作，已自动结束');
    expect(later.text).not.toContain('可以用下面的方式找回密码');
    expect(later.flow).toBeNull();
  });

  it('resumes at the code step after a restart', async () => {
    const first = await startEngine({ dataDir: tempDir('chsi-restart-') });
    await upToCode(first.chat('r2'));

    const second = await first.restart();
    const granted = await second.chat('r2').user(await latestCode(second.core, LI_MING.phone));
    expect(granted.text).toContain('验证通过');
  });
});

import { describe, expect, it } from 'vitest';
import { LI_MING, latestCode } from '../helpers/demo-core.js';
import { PUBLIC_URL, startChat, startEngine } from '../helpers/transcript.js';

describe('the port-less transcript harness', () => {
  it('reads as a transcript: the user says X, the assistant answers Y, the store holds Z', async () => {
    const chat = await startChat();

    await chat.user('密码忘了').expects('请发送你的学信网用户名');
    expect(chat.topic).toBe('recover.password');
    expect(chat.flow).toBe('recover-password');

    await chat.user(LI_MING.username).expects('账号 139****5678 可以用下面的方式找回密码');
    expect(chat.choices[0]).toBe('短信验证码（发到 139****5678）');

    await chat.user('1').expects(/已发送验证码到手机 139\*{4}5678/);
    const code = await latestCode(chat.core, LI_MING.phone);
    await chat.user(code).expects(`${PUBLIC_URL}/core/reset/`);
    expect(chat.flow).toBeNull();

    const session = await chat.session();
    expect(session?.flows).toEqual([]);
    expect(JSON.stringify(session)).not.toContain(code);
  });

  it('moves its clock: a flow left alone for half an hour expires', async () => {
    const chat = await startChat({ channel: 'wechat', userId: 'openid-1' });
    await chat.user('忘记用户名了');
    expect(chat.flow).toBe('recover-username');

    chat.advance(31);
    await chat.user('你好');
    expect(chat.flow).toBeNull();
  });

  it('keeps users apart on one engine', async () => {
    const engine = await startEngine();
    const first = engine.chat('first');
    const second = engine.chat('second');
    await first.user('密码忘了');
    await second.user('你好');
    expect(first.flow).toBe('recover-password');
    expect(second.flow).toBeNull();
    expect((await first.session())?.flows).toHaveLength(1);
    expect((await second.session())?.flows).toHaveLength(0);
  });

  it('can include the help desk and its escalate flow', async () => {
    const chat = await startChat({ helpdesk: true });
    expect(chat.engine.context.flows.has('escalate')).toBe(true);
    expect(chat.engine.helpdesk?.tickets).toBeDefined();
  });
});

describe('choices as buttons', () => {
  it('clicks a button by its label; the options are not repeated as numbered lines', async () => {
    const chat = await startChat({ buttons: true });
    await chat.user('密码忘了');
    const findUsernameFirst = chat.offered.find((choice) => choice.label === '先找回用户名');
    expect(findUsernameFirst?.id).toBeTruthy();
    expect(chat.lastReply).not.toContain('. 先找回用户名');

    await chat.click('先找回用户名');
    expect(chat.flow).toBe('recover-username');
    expect(chat.transcript.at(-1)?.user).toBe('[click 先找回用户名]');
  });

  it('a step with options says "tap" where the channel draws buttons, and "reply with the number" where it does not', async () => {
    const tapping = await startChat({ buttons: true });
    await tapping.user('密码忘了');
    await tapping.user(LI_MING.username);
    const unclearTap = await tapping.user('嗯嗯');
    expect(unclearTap.text).toContain('请点一下');
    expect(unclearTap.text).not.toContain('回复序号');

    const typing = await startChat({ userId: 'typing-user' });
    await typing.user('密码忘了');
    await typing.user(LI_MING.username);
    expect((await typing.user('嗯嗯')).text).toContain('请回复序号');
  });
});

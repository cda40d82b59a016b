import { describe, expect, it } from 'vitest';
import type { Answer } from '../../helpers/transcript.js';
import { CHEN_JING, FREE_ID, LI_MING, PENDING_ID, ZHANG_WEI, image, latestCode, startWithLogCapture } from './support.js';

const PASSWORDS = ['Demo@2024a', 'Demo@2024b', 'Demo@2024c', 'Demo@2024d', 'Newpass2024'];
const FULL_IDS = [LI_MING.id, CHEN_JING.id, PENDING_ID, FREE_ID, '11010519491231002X', '11010519491231002x'];

describe('privacy across the guided flows', () => {
  it('never shows or logs a full ID number, a verification code or a password', async () => {
    const { engine, core, logLines } = await startWithLogCapture();
    const answers: Answer[] = [];
    const talk = (userId: string) => {
      const chat = engine.chat(userId);
      return async (text: string) => {
        const answer = await chat.user(text);
        answers.push(answer);
        return answer;
      };
    };

    const username = talk('p1');
    await username('忘记用户名了');
    await username(`姓名 孙丽 身份证 11010519491231002x`);
    await username('2');
    await username(`忘了用户名，我叫李明，身份证${LI_MING.id}`);
    await username(`${CHEN_JING.id} 陈晶`);

    const password = talk('p2');
    await password('密码忘了');
    await password(LI_MING.username);
    await password('1');
    await password('000000');
    await password(await latestCode(core, LI_MING.phone));
    await password('密码忘了');
    await password(LI_MING.username);
    await password('3');
    await password('王秀英');

    const bind = talk('p3');
    await bind(ZHANG_WEI.phone);
    await bind('2');
    await bind(ZHANG_WEI.username);
    await bind(await latestCode(core, ZHANG_WEI.phone));

    const duplicate = talk('p4');
    await duplicate(`我身份证 ${LI_MING.id} 被注册了`);
    await duplicate('2');
    await duplicate('1');
    const registered = await core.register({
      username: '13800001234',
      password: 'Newpass2024',
      name: '李明',
      idType: 'resident-id',
      idNumber: LI_MING.id,
      phone: '13800001234',
      reRegister: true,
    });
    expect(registered.ok).toBe(true);
    await duplicate('注册好了');
    await duplicate('13800001234');
    await duplicate(await latestCode(core, '13800001234'));
    await duplicate('1');
    answers.push(await engine.chat('p4').sendImage(image('png')));
    answers.push(await engine.chat('p4').sendImage(image('jpeg')));
    await duplicate(`身份证 ${PENDING_ID}`);
    await duplicate(FREE_ID);

    const outbox = await core.listOutbox({ limit: 500 });
    const codes = outbox.ok ? outbox.value.messages.flatMap((message) => /\b\d{6}\b/.exec(message.body)?.[0] ?? []) : [];
    expect(codes.length).toBeGreaterThanOrEqual(3);

    const sessions = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((userId) => engine.chat(userId).session()));
    const history = sessions.flatMap((session) => session?.history.map((entry) => entry.text) ?? []);
    expect(history.length).toBeGreaterThan(20);
    expect(logLines.length).toBeGreaterThan(20);

    const replies = answers.map((answer) => answer.text);
    // The security answer is a secret too: kept out of the transcript agents read.
    expect(history).toContain('[已隐藏的回答]');
    expect(history.join('\n')).not.toContain('王秀英');
    for (const [where, texts] of [
      ['reply', replies],
      ['log', logLines],
      ['history', history],
    ] as const) {
      for (const text of texts) {
        for (const id of FULL_IDS) expect(text, `${where}: ${text}`).not.toContain(id);
        expect(text, `${where}: ${text}`).not.toMatch(/(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/);
        for (const code of codes) expect(text, `${where}: ${text}`).not.toMatch(new RegExp(`(?<!\\d)${code}(?!\\d)`));
        for (const secret of PASSWORDS) expect(text, `${where}: ${text}`).not.toContain(secret);
      }
    }
  });
});

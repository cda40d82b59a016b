import { describe, expect, it } from 'vitest';
import { startWechatHarness } from '../channels/wechat-oa/harness.js';

describe('WeChat plaintext mode: a captured signature cannot carry another body', () => {
  it('refuses a second body under the same signed timestamp and nonce, while a byte-identical retry is still answered once', async () => {
    const { wechat, engine } = await startWechatHarness();
    const original = wechat.textXml('o_student_1', '忘记用户名怎么办');
    const first = await wechat.push(original, { nonce: '777001' });
    expect(first.status).toBe(200);
    expect(first.reply?.Content).toBeTruthy();

    // WeChat retrying the same delivery: same query, same body.
    const retry = await wechat.push(original, { nonce: '777001' });
    expect(retry.status).toBe(200);

    // An attacker reusing the captured query string with a body of their own, within the window.
    const forged = await wechat.push(wechat.textXml('o_victim_2', '转人工'), { nonce: '777001' });
    expect(forged.status).toBe(401);
    expect(engine.calls.map((call) => call.userId)).not.toContain('o_victim_2');
    expect(engine.calls.filter((call) => call.userId === 'o_student_1')).toHaveLength(1);
  });
});

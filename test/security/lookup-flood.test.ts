import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../src/security/rate-limits.js';
import { LI_MING } from '../helpers/demo-core.js';
import { startEngine } from '../helpers/transcript.js';

/** Issue 10: "50 phone numbers probed through 找回密码" — lookups were limited per identity only. */
describe('account lookups from one address', () => {
  it('a stranger probing accounts under fresh web identities is refused past the address budget; a student elsewhere is not', async () => {
    const engine = await startEngine();
    const perAddress = DEFAULT_RATE_LIMITS['account-lookup:ip'].points;
    const ask = (userId: string, text: string, clientAddress: string) =>
      engine.assistant
        .handle({ channel: 'web', userId, text, clientAddress })
        .then((result) => result.replies.map((r) => (r.type === 'text' ? r.text : '')).join('\n'));

    const answers: string[] = [];
    for (let i = 0; i < perAddress + 3; i += 1) {
      const prober = `prober-${i}`;
      await ask(prober, '忘记用户名了', '203.0.113.66');
      answers.push(await ask(prober, `${LI_MING.id} 李明`, '203.0.113.66'));
    }
    expect(answers.slice(0, perAddress).every((text) => text.includes('139****5678'))).toBe(true);
    expect(answers.slice(perAddress).every((text) => /暂时停止了这个功能/.test(text) && !text.includes('139****5678'))).toBe(true);

    await ask('student', '忘记用户名了', '198.51.100.9');
    expect(await ask('student', `${LI_MING.id} 李明`, '198.51.100.9')).toContain('139****5678');
  });
});

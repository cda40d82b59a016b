import { describe, expect, it } from 'vitest';
import { createSeededCore, expectError, expectOk, latestCode } from '../account-core/harness.js';
import { LI_MING } from '../helpers/demo-core.js';

// Attack: lock the owner out of password recovery by typing wrong codes for their account. Before,
// five wrong entries by anyone voided the owner's codes, and with the day's five sends spent on the
// owner's phone the owner could not get a new one until the next day.
describe('attack: wrong codes typed for someone else’s account', () => {
  it('stops the stranger after five wrong codes, while the owner’s code still works', async () => {
    const { core } = await createSeededCore();
    const stranger = core.forEndUser('web:stranger', { address: '203.0.113.7' });
    const owner = core.forEndUser('web:owner', { address: '198.51.100.20' });
    expectOk(await stranger.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
    const code = await latestCode(core, LI_MING.phone);

    for (let i = 0; i < 4; i += 1) expectError(await stranger.verifySmsCode({ username: LI_MING.username, code: '000000' }), 'code_invalid');
    expect(expectError(await stranger.verifySmsCode({ username: LI_MING.username, code: '000000' }), 'attempts_exceeded')).toContain('请重新获取');
    // The stranger is stopped, even with the right code …
    expectError(await stranger.verifySmsCode({ username: LI_MING.username, code }), 'attempts_exceeded');
    // … and so is a fresh identity from the same address.
    const sameAddress = core.forEndUser('web:stranger-2', { address: '203.0.113.7' });
    expectError(await sameAddress.verifySmsCode({ username: LI_MING.username, code }), 'attempts_exceeded');

    // The owner, who received the code on their phone, is not.
    expect(expectOk(await owner.verifySmsCode({ username: LI_MING.username, code })).resetToken).toBeTruthy();
  });

  it('voids the codes only when many askers together guess twenty times', async () => {
    const { core } = await createSeededCore();
    expectOk(await core.forEndUser('web:owner').sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
    const code = await latestCode(core, LI_MING.phone);
    for (let asker = 0; asker < 4; asker += 1) {
      const guesser = core.forEndUser(`web:guesser-${asker}`, { address: `203.0.113.${asker + 1}` });
      for (let i = 0; i < 5; i += 1) await guesser.verifySmsCode({ username: LI_MING.username, code: '000000' });
    }
    const message = expectError(await core.forEndUser('web:owner').verifySmsCode({ username: LI_MING.username, code }), 'attempts_exceeded');
    expect(message).toContain('全部失效');
  });

  it('keeps counting wrong security answers per asker: a stranger’s three do not use up the owner’s', async () => {
    const { core } = await createSeededCore();
    const stranger = core.forEndUser('web:stranger', { address: '203.0.113.7' });
    for (let i = 0; i < 3; i += 1)
      expectError(await stranger.verifySecurityAnswers({ username: LI_MING.username, answers: ['错的'] }), 'answers_wrong');
    expectError(await stranger.verifySecurityAnswers({ username: LI_MING.username, answers: ['错的'] }), 'attempts_exceeded');
    const owner = core.forEndUser('web:owner', { address: '198.51.100.20' });
    expect(expectError(await owner.verifySecurityAnswers({ username: LI_MING.username, answers: ['错的'] }), 'answers_wrong')).toContain('2次');
  });
});

import { describe, expect, it, onTestFinished } from 'vitest';
import { setUpAccountCore } from '../../src/account-core/setup.js';
import type { AccountCore } from '../../src/account-core/types.js';
import { loadConfig } from '../../src/config.js';
import { createHttpAccountCore } from '../../src/account-core/http-client.js';
import { createPageEnvironment } from '../../src/render/renderer.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { createSeededCore, expectOk, render, templatesDir } from '../account-core/harness.js';
import { startTestService } from '../helpers/test-service.js';

// Issue 10: "Cancel someone else's account" knowing only their ID number:
//   1. register that ID number with 重新注册;  2. bind the real name of a second "helper" account;
//   3. send an assistance request to the helper and accept it.
const VICTIM = { username: '13912345678', id: '110105200101011235', name: '李明' };
/** A demo account that has not bound its real name yet; the attacker does not know its password. */
const HELPER = { username: '440306200203154564', name: '陈静' };
/** A bound classmate with a phone, whose password the attacker does not know either. */
const CLASSMATE = { username: 'wangfang@example.com', name: '王芳', phone: '13700001111' };
const ATTACKER = { username: '13811112222', phone: '13811112222', password: 'Attack2024x' };

/** The attacker's steps against a core, as far as they get. */
async function attemptCancellation(core: AccountCore): Promise<string[]> {
  const refusals: string[] = [];
  const registered = await core.register({ ...ATTACKER, name: VICTIM.name, idType: 'resident-id', idNumber: VICTIM.id, reRegister: true });
  expect(registered.ok).toBe(true);
  const bound = await core.bindRealName({ username: HELPER.username, proof: { password: 'Guess2024x' } });
  if (!bound.ok) refusals.push(`bind:${bound.error.code}`);
  const request = expectOk(
    await core.requestClassmateAssist({
      username: ATTACKER.username,
      classmateName: CLASSMATE.name,
      classmatePhone: CLASSMATE.phone,
      ownPhone: ATTACKER.phone,
    }),
  );
  for (const proof of [{ password: ATTACKER.password }, { password: 'Demo@2024a' }, { smsCode: '000000' }]) {
    const accepted = await core.respondToAssist({ username: CLASSMATE.username, requestId: request.id, accept: true, proof });
    if (!accepted.ok) refusals.push(`accept:${accepted.error.code}`);
  }
  return refusals;
}

describe('attack: cancel someone else’s account through the core', () => {
  it('finds no account-core API on the public port, even with the token set and presented', async () => {
    {
      const service = await startTestService({ env: { CORE_API_TOKEN: 'core-token-0123456789abcdef' } });
      const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${service.baseUrl}/core/v1${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      const step1 = await post('/accounts', { ...ATTACKER, name: VICTIM.name, idType: 'resident-id', idNumber: VICTIM.id, reRegister: true });
      expect(step1.status).toBe(404);
      const withToken = await post(`/accounts/${HELPER.username}/real-name-binding`, {}, { authorization: 'Bearer core-token-0123456789abcdef' });
      expect(withToken.status).toBe(404);
      const victim = expectOk(await service.service.context.core.getAccount({ username: VICTIM.username }));
      expect(victim.state).toBe('active');
    }
  });

  it('stops at the owner proofs when a flow (the in-process core acting for a chat user) tries it', async () => {
    const { core } = await createSeededCore();
    const refusals = await attemptCancellation(core.forEndUser('wechat:attacker'));
    expect(refusals).toEqual(['bind:proof_invalid', 'accept:proof_invalid', 'accept:proof_invalid', 'accept:code_invalid']);
    expect(expectOk(await core.getAccount({ username: VICTIM.username })).state).toBe('active');
    expect(expectOk(await core.getDuplicateStatus({ username: ATTACKER.username })).state).toBe('unresolved');
  });

  it('stops at the same proofs on the core’s own port, even for a trusted caller holding the token', async () => {
    const config = loadConfig({ CORE_PORT: '0', CORE_API_TOKEN: 'core-token-0123456789abcdef' });
    const storage = createMemoryStorage();
    const setup = await setUpAccountCore({ config, storage, render, pages: createPageEnvironment(templatesDir) });
    onTestFinished(() => setup.close());
    const port = await setup.listenApi();
    const remote = createHttpAccountCore({ baseUrl: `http://127.0.0.1:${port}/core/v1`, token: 'core-token-0123456789abcdef', render });
    const refusals = await attemptCancellation(remote.forEndUser('gateway-user-7'));
    expect(refusals).toEqual(['bind:proof_invalid', 'accept:proof_invalid', 'accept:proof_invalid', 'accept:code_invalid']);
    expect(expectOk(await remote.getAccount({ username: VICTIM.username })).state).toBe('active');
  });
});

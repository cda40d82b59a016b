import { describe, expect, it, onTestFinished } from 'vitest';
import { createHttpAccountCore } from '../../src/account-core/http-client.js';
import type { AccountCore } from '../../src/account-core/types.js';
import { API_TOKEN, createSeededCore, expectOk, latestCode, render, serve } from '../account-core/harness.js';

// Issue 10: "Read private account data": full ID numbers (duplicate-status by phone or e-mail, the
// account view after real-name-binding), unmasked usernames (username-lookups), bound phones
// (channel-bindings/:channelUser).
const LI_MING = { username: '13912345678', password: 'Demo@2024a', id: '110105200101011235', email: 'liming@example.com' };
const WANG_FANG = { username: 'wangfang@example.com', id: '110101200202020207', phone: '13700001111' };
const CHEN_JING = { username: '440306200203154564', password: 'Demo@2024c' };
const FULL_VALUES = [LI_MING.username, LI_MING.id, LI_MING.email, WANG_FANG.username, WANG_FANG.id, WANG_FANG.phone, CHEN_JING.username];

/** The in-process core the flows get, and the same over HTTP for a trusted caller acting for an end user. */
async function bothWays(): Promise<{ name: string; asUser: (id: string) => AccountCore; service: AccountCore }[]> {
  const embedded = await createSeededCore();
  const served = await createSeededCore();
  const server = await serve(served.core, { apiToken: API_TOKEN });
  onTestFinished(server.close);
  const remote = createHttpAccountCore({ baseUrl: `${server.baseUrl}/core/v1`, token: API_TOKEN, render });
  return [
    { name: 'in-process', asUser: (id) => embedded.core.forEndUser(id), service: embedded.core },
    { name: 'HTTP', asUser: (id) => remote.forEndUser(id), service: remote },
  ];
}

function expectNothingFull(answer: unknown): void {
  const text = JSON.stringify(answer);
  for (const value of FULL_VALUES) expect(text).not.toContain(value);
}

describe('attack: read private account data through the core', () => {
  it('duplicate-status by phone or e-mail shows the ID number masked', async () => {
    for (const { name, asUser } of await bothWays()) {
      const stranger = asUser('web:stranger');
      for (const username of [LI_MING.username, WANG_FANG.username]) {
        const status = expectOk(await stranger.getDuplicateStatus({ username }));
        expect(status.maskedIdNumber, name).toMatch(/^\d{3}\*+\d{3}[\dX]$/);
        expectNothingFull(status);
      }
    }
  });

  it('the account view after real-name binding is masked', async () => {
    for (const { asUser } of await bothWays()) {
      const owner = asUser('web:chen-jing');
      const view = expectOk(await owner.bindRealName({ username: CHEN_JING.username, proof: { password: CHEN_JING.password } }));
      expect(view).toMatchObject({ realNameBound: true, maskedUsername: '440***********4564', maskedIdNumber: '440***********4564' });
      expectNothingFull(view);
      expectNothingFull(expectOk(await owner.getAccount({ username: LI_MING.username })));
    }
  });

  it('a username lookup answers with the username masked', async () => {
    for (const { asUser } of await bothWays()) {
      const found = expectOk(await asUser('web:alice').findUsername({ idNumber: LI_MING.id, name: '李明' }));
      expect(found.maskedUsername).toBe('139****5678');
      expectNothingFull(found);
    }
  });

  it('a chat user’s binding shows no phone, and another chat user cannot read it at all', async () => {
    for (const { name, asUser, service } of await bothWays()) {
      const owner = asUser('wx-openid-owner');
      expectOk(await owner.startBinding({ username: LI_MING.username, via: 'sms' }));
      expectOk(await owner.confirmBinding({ code: await latestCode(service, LI_MING.username) }));
      const binding = expectOk(await owner.getBinding({}));
      expect(binding.maskedUsername, name).toBe('139****5678');
      expectNothingFull(binding);
      const snoop = await asUser('wx-openid-snoop').getBinding({ channelUserId: 'wx-openid-owner' });
      expect(snoop).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      // Even the service scope (the agent console) gets masked answers from end-user operations.
      expectNothingFull(expectOk(await service.getBinding({ channelUserId: 'wx-openid-owner' })));
    }
  });
});

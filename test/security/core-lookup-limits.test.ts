import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createHttpAccountCore } from '../../src/account-core/http-client.js';
import { createAccountCoreRouter } from '../../src/account-core/http-router.js';
import { createRateLimits } from '../../src/security/rate-limits.js';
import { API_TOKEN, createSeededCore, createTestClock, expectOk, MINUTE, render, SECOND } from '../account-core/harness.js';

// Issue 10: "Probe and flood without limit" (50 phone numbers probed through 找回密码) and "Lock other
// people out" (5 wrong names lock someone else's username lookup for an hour); "callerId comes from
// the body, so the per-caller limits never trigger"; a gateway is limited per end user, not as one IP.
const LI_MING = { username: '13912345678', password: 'Demo@2024a', id: '110105200101011235', name: '李明' };

/** Limiter windows read Date.now(); only Date is faked, so the test clock moves them. */
function fakeDate(): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  onTestFinished(() => void vi.useRealTimers());
}

describe('attack: probe and lock out through the core', () => {
  it('50 phone numbers probed through 找回密码 by one chat user: refused after 15 lookups an hour', async () => {
    fakeDate();
    const { core } = await createSeededCore({ clock: createTestClock() });
    const prober = core.forEndUser('web:prober');
    const answers = [];
    for (let i = 0; i < 50; i += 1) answers.push(await prober.getRecoveryMethods({ username: `1390000${String(i).padStart(4, '0')}` }));
    expect(answers.filter((answer) => !answer.ok && answer.error.code === 'not_registered')).toHaveLength(15);
    expect(answers.slice(15).every((answer) => !answer.ok && answer.error.code === 'rate_limited')).toBe(true);
    // Someone else is not affected.
    expectOk(await core.forEndUser('web:li-ming').getRecoveryMethods({ username: LI_MING.username }));
  });

  it("5 wrong names from a stranger do not lock the owner's username lookup", async () => {
    fakeDate();
    const { core } = await createSeededCore({ clock: createTestClock() });
    const stranger = core.forEndUser('wechat:stranger');
    for (let i = 0; i < 5; i += 1) {
      expect(await stranger.findUsername({ idNumber: LI_MING.id, name: '王五' })).toMatchObject({ ok: false, error: { code: 'name_mismatch' } });
    }
    expect(await stranger.findUsername({ idNumber: LI_MING.id, name: '李明' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(expectOk(await core.forEndUser('wechat:li-ming').findUsername({ idNumber: LI_MING.id, name: '李明' })).maskedUsername).toBe('139****5678');
  });

  it('wrong passwords from a stranger keep the owner out for seconds, not an hour, and cannot be renewed into a lock', async () => {
    fakeDate();
    const clock = createTestClock();
    const { core } = await createSeededCore({ clock });
    const owner = core.forEndUser('web:li-ming');
    for (let round = 0; round < 3; round += 1) {
      const stranger = core.forEndUser(`web:stranger-${round}`);
      for (let i = 0; i < 6; i += 1) await stranger.login({ username: LI_MING.username, password: 'wrong1234' });
      clock.advance(31 * SECOND);
      expectOk(await owner.login({ username: LI_MING.username, password: LI_MING.password }));
    }
  });

  it('a callerId in the body no longer picks the budget: the end user is who the engine or the header names', async () => {
    fakeDate();
    const { core } = await createSeededCore({ clock: createTestClock() });
    const prober = core.forEndUser('web:rotating');
    for (let i = 0; i < 5; i += 1) {
      const lookup = { idNumber: LI_MING.id, name: '王五', callerId: `web:fresh-${i}` };
      await prober.findUsername(lookup as { idNumber: string; name: string });
    }
    const again = { idNumber: LI_MING.id, name: '李明', callerId: 'web:fresh-99' };
    expect(await prober.findUsername(again as { idNumber: string; name: string })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  });

  it('a trusted gateway is limited per end user it names, not as one address', async () => {
    fakeDate();
    const { core } = await createSeededCore({ clock: createTestClock() });
    const rateLimits = createRateLimits({ policies: { 'service-call:end-user': { points: 3, durationSeconds: 60 } } });
    const app = express();
    app.use('/core/v1', createAccountCoreRouter(core, { render, apiToken: API_TOKEN, rateLimits }));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const gateway = createHttpAccountCore({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/core/v1`,
      token: API_TOKEN,
      render,
    });
    const busy = gateway.forEndUser('gw:busy');
    for (let i = 0; i < 3; i += 1) expectOk(await busy.limits({}));
    expect(await busy.limits({})).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expectOk(await gateway.forEndUser('gw:quiet').limits({}));
    vi.setSystemTime(Date.now() + MINUTE + SECOND);
    expectOk(await busy.limits({}));
  });
});

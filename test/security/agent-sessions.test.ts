import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ADMIN, AgentClient, createAgent, startHelpdesk } from '../helpdesk/support.js';

/** Posts a JSON login as a browser at `address` would (the service trusts X-Forwarded-For from loopback only). */
function loginFrom(baseUrl: string, address: string, username: string, password: string): Promise<Response> {
  return fetch(`${baseUrl}/api/agent/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ username, password }),
  });
}

describe('agent sign-in: a stranger slows only themself, sessions end with the password', () => {
  it('a stranger guessing an agent password is slowed at their own address; the agent still signs in from theirs', async () => {
    const { baseUrl, handle } = await startHelpdesk();
    const stranger = '203.0.113.9';
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt += 1) statuses.push((await loginFrom(baseUrl, stranger, ADMIN.username, 'guess-0000')).status);
    // A few free failures, then every further try must wait (429 with Retry-After) — no lock on the account.
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    const throttled = await loginFrom(baseUrl, stranger, ADMIN.username, ADMIN.password);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // The owner, from their own address, is not affected at all.
    expect((await loginFrom(baseUrl, '198.51.100.20', ADMIN.username, ADMIN.password)).status).toBe(200);
    const audit = await handle.audit.recent(50);
    expect(audit.some((entry) => entry.action === 'login-throttled')).toBe(true);
  });

  it('changing the password ends every other session of that agent; the one who changed it stays signed in', async () => {
    const { baseUrl } = await startHelpdesk();
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const agentOnLaptop = await createAgent(admin, 'wang');
    const agentOnPhone = await AgentClient.login(baseUrl, 'wang', 'wang-Pass-2026');
    const changed = await agentOnLaptop.post(
      '/api/agent/password',
      { current: 'wang-Pass-2026', next: 'New-pass-2027' },
      { 'x-csrf-token': agentOnLaptop.csrfToken },
    );
    expect(changed.status).toBe(200);
    expect((await agentOnPhone.get('/api/agent/tickets')).status).toBe(401);
    const renewed = changed.headers
      .getSetCookie()
      .find((line) => line.startsWith('chsi_agent='))!
      .split(';')[0]!;
    expect((await fetch(`${baseUrl}/api/agent/tickets`, { headers: { cookie: renewed } })).status).toBe(200);
    expect((await agentOnLaptop.get('/api/agent/tickets')).status).toBe(401);
  });

  it('an admin resetting an agent password or disabling the agent ends that agent’s sessions', async () => {
    const { baseUrl } = await startHelpdesk();
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const li = await createAgent(admin, 'li');
    expect((await li.get('/api/agent/tickets')).status).toBe(200);
    await admin.post('/api/agent/agents/li', { password: 'Reset-pass-2027' }, { 'x-csrf-token': admin.csrfToken });
    expect((await li.get('/api/agent/tickets')).status).toBe(401);

    const liAgain = await AgentClient.login(baseUrl, 'li', 'Reset-pass-2027');
    await admin.post('/api/agent/agents/li', { disabled: true }, { 'x-csrf-token': admin.csrfToken });
    expect((await liAgain.get('/api/agent/tickets')).status).toBe(401);
  });

  it('start-up refuses a weak ADMIN_PASSWORD and says why', () => {
    expect(() => loadConfig({ ADMIN_USER: 'admin', ADMIN_PASSWORD: 'a' })).toThrow(/ADMIN_PASSWORD: must be 10 to 128 characters/);
    expect(() => loadConfig({ ADMIN_USER: 'admin', ADMIN_PASSWORD: 'onlyletterslong' })).toThrow(
      /ADMIN_PASSWORD: must contain both letters and digits/,
    );
    expect(loadConfig({ ADMIN_USER: 'admin', ADMIN_PASSWORD: ADMIN.password }).admin?.username).toBe('admin');
  });
});

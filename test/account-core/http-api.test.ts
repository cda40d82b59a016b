import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpAccountCore } from '../../src/account-core/http-client.js';
import { createAccountCoreRouter } from '../../src/account-core/http-router.js';
import { API_TOKEN, createSeededCore, expectOk, latestCode, latestLinkToken, photo, render, serve } from './harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function liveServer(apiToken: string | undefined = API_TOKEN) {
  const setup = await createSeededCore();
  const server = await serve(setup.core, { apiToken });
  closers.push(server.close);
  return { ...setup, api: `${server.baseUrl}/core/v1`, baseUrl: server.baseUrl };
}

/** A request as the trusted caller makes it: with the service token unless told otherwise. */
async function send(url: string, init: RequestInit = {}, token: string | null = API_TOKEN) {
  const headers = new Headers(init.headers);
  if (token !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(url, { ...init, headers });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    text,
    json: () => JSON.parse(text) as { error: { code: string; message: string; details?: Record<string, unknown> } },
  };
}

describe('account core HTTP API', () => {
  it('answers malformed JSON with 400 invalid_input in JSON, never an HTML page', async () => {
    const { api } = await liveServer();
    const response = await send(`${api}/username-lookups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"idNumber": "1101',
    });
    expect(response.status).toBe(400);
    expect(response.type).toContain('application/json');
    expect(response.json().error).toMatchObject({ code: 'invalid_input', message: '请求内容不是有效的JSON。' });
  });

  it('answers a non-object body and missing fields with 400 naming the field', async () => {
    const { api } = await liveServer();
    const array = await send(`${api}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' });
    expect(array.status).toBe(400);
    const missing = await send(`${api}/username-lookups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"idNumber":"110105200101011235"}',
    });
    expect(missing.status).toBe(400);
    expect(missing.json().error.details).toMatchObject({ field: 'name' });
    const wrongType = await send(`${api}/accounts/13912345678/inbox/x/response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"accept":"yes"}',
    });
    expect(wrongType.json().error.code).toBe('invalid_input');
  });

  it('refuses an oversized body with 413, and takes two 300 KB photos', async () => {
    const { api, core } = await liveServer();
    const huge = JSON.stringify({ front: { name: 'a.jpg', type: 'image/jpeg', data: 'A'.repeat(2_000_000) } });
    const response = await send(`${api}/accounts/13811112222/photo-reviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: huge,
    });
    expect(response.status).toBe(413);
    expect(response.json().error).toMatchObject({ code: 'invalid_input' });
    expect(response.json().error.message).toContain('300KB');

    expectOk(
      await core.register({
        username: '13811112222',
        phone: '13811112222',
        password: 'Newpass2024',
        name: '李明',
        idType: 'resident-id',
        idNumber: '110105200101011235',
        reRegister: true,
      }),
    );
    const fits = await send(`${api}/accounts/13811112222/photo-reviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ front: photo('jpeg', 300 * 1024), back: photo('png', 300 * 1024) }),
    });
    expect(fits.status).toBe(201);
  });

  it('needs the service token on every route, user routes included', async () => {
    const { api } = await liveServer();
    const routes: [string, string][] = [
      ['GET', '/reviews?status=pending'],
      ['GET', '/reviews/rv-1'],
      ['POST', '/reviews/rv-1/decision'],
      ['GET', '/outbox'],
      ['GET', '/accounts/13912345678'],
      ['GET', '/accounts/13912345678/recovery-methods'],
      ['GET', '/accounts/13912345678/duplicate-status'],
      ['POST', '/username-lookups'],
      ['POST', '/accounts/13912345678/real-name-binding'],
      ['GET', '/channel-bindings?channelUserId=wx-1'],
      ['GET', '/limits'],
    ];
    for (const [method, path] of routes) {
      const body = method === 'POST' ? JSON.stringify({ decision: 'approve', agent: 'x' }) : undefined;
      const anonymous = await send(`${api}${path}`, { method, headers: { 'content-type': 'application/json' }, body }, null);
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.json().error.code).toBe('unauthorized');
      const wrong = await send(`${api}${path}`, { method, headers: { 'content-type': 'application/json' }, body }, 'guess');
      expect(wrong.status).toBe(401);
      // Naming an end user without the token is no way in either.
      const named = await send(`${api}${path}`, { method, headers: { 'content-type': 'application/json', 'x-core-end-user': 'wx-1' }, body }, null);
      expect(named.status).toBe(401);
    }
    expect((await send(`${api}/reviews?status=pending`)).status).toBe(200);
  });

  it('refuses agent operations to a caller acting for an end user', async () => {
    const { api } = await liveServer();
    const asUser = { headers: { 'x-core-end-user': 'wx-1' } };
    expect((await send(`${api}/outbox`, asUser)).json().error.code).toBe('forbidden');
    expect((await send(`${api}/reviews?status=pending`, asUser)).status).toBe(403);
    expect((await send(`${api}/accounts/13912345678/recovery-methods`, asUser)).status).toBe(200);
    expect((await send(`${api}/limits`, { headers: { 'x-core-end-user': '%E0%A4%A' } })).json().error).toMatchObject({ code: 'invalid_input' });
  });

  it('carries any end-user id, Chinese included, through the header', async () => {
    const { api, core } = await liveServer();
    const remote = createHttpAccountCore({ baseUrl: api, token: API_TOKEN, render }).forEndUser('wechaty:张三的微信');
    expectOk(await remote.startBinding({ username: '13912345678', via: 'sms' }));
    expectOk(await remote.confirmBinding({ code: await latestCode(core, '13912345678') }));
    expect(expectOk(await core.getBinding({ channelUserId: 'wechaty:张三的微信' })).maskedUsername).toBe('139****5678');
  });

  it('has no API at all without a token', async () => {
    expect(() =>
      createAccountCoreRouter(createHttpAccountCore({ baseUrl: 'http://127.0.0.1:9', token: 'x'.repeat(16) }), { render, apiToken: ' ' }),
    ).toThrow(/token/);
    const { api } = await liveServer('');
    expect((await send(`${api}/accounts/13912345678/recovery-methods`, {}, null)).status).toBe(404);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const { api } = await liveServer();
    const response = await send(`${api}/nothing-here`);
    expect(response.status).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  it('maps domain errors to sensible statuses', async () => {
    const { api } = await liveServer();
    const post = (path: string, body: unknown) =>
      send(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/sessions', { username: '13912345678', password: 'nope12345' })).status).toBe(401);
    expect((await post('/id-number-checks', { idNumber: '110105200101011234' })).status).toBe(400);
    expect(
      (
        await post('/accounts', {
          username: '13811112222',
          phone: '13811112222',
          password: 'Newpass2024',
          name: '李明',
          idType: 'resident-id',
          idNumber: '110105200101011235',
        })
      ).status,
    ).toBe(409);
    expect((await post('/password-resets', { token: 'x'.repeat(43), newPassword: 'Newpass2024' })).status).toBe(410);
    expect((await send(`${api}/accounts/13000000000/recovery-methods`)).status).toBe(404);
  });

  it('reports "unavailable" when the core cannot be reached or answers nonsense', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = createHttpAccountCore({ baseUrl: `http://127.0.0.1:${port}/core/v1`, token: API_TOKEN, render });
    const result = await unreachable.getIdStatus({ idNumber: '110105200101011235' });
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(result.ok || result.error.message).toContain('稍后再试');

    const nonsense = http.createServer((_req, res) => res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>oops</h1>'));
    await new Promise<void>((resolve) => nonsense.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => nonsense.close(() => resolve())));
    const confused = createHttpAccountCore({ baseUrl: `http://127.0.0.1:${(nonsense.address() as AddressInfo).port}`, token: API_TOKEN, render });
    expect(await confused.login({ username: 'a', password: 'b' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });

    // A core that answers 200 with the wrong shape is as good as unreachable: its answer is checked.
    const wrongShape = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"username":"13912345678"}'));
    await new Promise<void>((resolve) => wrongShape.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => wrongShape.close(() => resolve())));
    const liar = createHttpAccountCore({ baseUrl: `http://127.0.0.1:${(wrongShape.address() as AddressInfo).port}`, token: API_TOKEN, render });
    expect(await liar.findUsername({ idNumber: '110105200101011235', name: '李明' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });

  it('never puts a password, code or token in a response, except the grant and the agents’ outbox', async () => {
    const { api } = await liveServer();
    const seen: { url: string; body: string }[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const body = await response.clone().text();
      seen.push({ url: String(input), body });
      return response;
    };
    const user = createHttpAccountCore({ baseUrl: api, token: API_TOKEN, fetch: recordingFetch, render }).forEndUser('wx-1');
    const agent = createHttpAccountCore({ baseUrl: api, token: API_TOKEN, render });

    expectOk(await user.login({ username: '13912345678', password: 'Demo@2024a' }));
    expectOk(
      await user.register({
        username: 'zhou@example.com',
        email: 'zhou@example.com',
        password: 'Secret2024x',
        name: '周杰',
        idType: 'resident-id',
        idNumber: '110105200505051233',
        securityQuestions: [{ question: '小学名字？', answer: '红星小学' }],
      }),
    );
    expectOk(await user.sendSmsCode({ username: '13912345678', purpose: 'reset-password' }));
    const smsCode = await latestCode(agent, '13912345678');
    const grant = expectOk(await user.verifySmsCode({ username: '13912345678', code: smsCode }));
    expectOk(await user.resetPassword({ token: grant.resetToken, newPassword: 'Changed2025x' }));
    expectOk(await user.sendResetEmail({ username: '13912345678' }));
    const mailToken = await latestLinkToken(agent, 'liming@example.com');
    expectOk(await user.resetPassword({ token: mailToken, newPassword: 'Changed2026x' }));
    const answerGrant = expectOk(await user.verifySecurityAnswers({ username: 'zhou@example.com', answers: ['红星小学'] }));
    expectOk(await user.startBinding({ username: 'wangfang@example.com', via: 'email' }));
    const bindCode = await latestCode(agent, 'wangfang@example.com');
    expectOk(await user.confirmBinding({ code: bindCode }));
    expectOk(await user.getBinding({}));
    expectOk(await user.findUsername({ idNumber: '110105200101011235', name: '李明' }));
    expectOk(await user.getRecoveryMethods({ username: '13912345678' }));
    expectOk(await user.getDuplicateStatus({ username: '13912345678' }));

    const grantRoutes = /sms-code-verifications|security-answer-verifications/;
    for (const { url, body } of seen) {
      for (const secret of [
        'Demo@2024a',
        'Secret2024x',
        'Changed2025x',
        'Changed2026x',
        '红星小学',
        '$argon2',
        'passwordHash',
        'answerHash',
        smsCode,
        bindCode,
        mailToken,
        // Nor a full phone, e-mail, username or ID number.
        '13912345678',
        'liming@example.com',
        'wangfang@example.com',
        '110105200101011235',
      ]) {
        expect(body, `${url} leaks ${secret}`).not.toContain(secret);
      }
      if (!grantRoutes.test(url)) {
        expect(body).not.toContain(grant.resetToken);
        expect(body).not.toContain(answerGrant.resetToken);
      }
    }
    expect(seen.length).toBeGreaterThan(10);
  });
});

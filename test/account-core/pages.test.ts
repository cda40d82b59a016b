import { afterEach, describe, expect, it } from 'vitest';
import { createSeededCore, expectOk, HOUR, latestCode, latestLinkToken, serve } from './harness.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function site() {
  const setup = await createSeededCore();
  const server = await serve(setup.core);
  closers.push(server.close);
  return { ...setup, baseUrl: server.baseUrl };
}

async function grantFor(core: Awaited<ReturnType<typeof site>>['core']) {
  expectOk(await core.sendSmsCode({ username: '13912345678', purpose: 'reset-password' }));
  return expectOk(await core.verifySmsCode({ username: '13912345678', code: await latestCode(core, '13912345678') })).resetToken;
}

async function page(url: string, form?: Record<string, string>, cookie?: string) {
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    headers: { ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...(cookie ? { cookie } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
    redirect: 'manual',
  });
  return { status: response.status, headers: response.headers, html: await response.text() };
}

describe('reset page /core/reset/:token', () => {
  it('shows a form for a valid token and sets the new password once', async () => {
    const { core, baseUrl } = await site();
    const token = await grantFor(core);
    const url = `${baseUrl}/core/reset/${token}`;

    const form = await page(url);
    expect(form.status).toBe(200);
    expect(form.headers.get('content-type')).toContain('text/html');
    expect(form.headers.get('referrer-policy')).toBe('no-referrer');
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(form.html).toContain('139****5678');
    expect(form.html).toContain('<form method="post"');
    expect(form.html).not.toContain('13912345678');

    const mismatch = await page(url, { password: 'Newpass2025', confirm: 'Newpass2026' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.html).toContain('两次输入的密码不一致');

    const weak = await page(url, { password: 'abcdefgh', confirm: 'abcdefgh' });
    expect(weak.status).toBe(400);
    expect(weak.html).toContain('密码必须同时包含字母和数字');

    const done = await page(url, { password: 'Newpass2025', confirm: 'Newpass2025' });
    expect(done.status).toBe(200);
    expect(done.html).toContain('密码重置成功');
    expectOk(await core.login({ username: '13912345678', password: 'Newpass2025' }));

    const again = await page(url);
    expect(again.status).toBe(410);
    expect(again.html).toContain('只能用一次');
    const replay = await page(url, { password: 'Another2025', confirm: 'Another2025' });
    expect(replay.status).toBe(410);
  });

  it('says an unknown or expired link is invalid', async () => {
    const { core, clock, baseUrl } = await site();
    expect((await page(`${baseUrl}/core/reset/not-a-token-but-long-enough`)).html).toContain('重置密码链接无效');
    const token = await grantFor(core);
    clock.advance(2 * HOUR);
    const expired = await page(`${baseUrl}/core/reset/${token}`);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('已过期');
  });

  it('escapes what it shows', async () => {
    const { baseUrl } = await site();
    const response = await page(`${baseUrl}/core/reset/%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    expect(response.html).not.toContain('<script>');
  });
});

describe('activation page /core/activate/:token', () => {
  it('activates the e-mail once, which then becomes a recovery method', async () => {
    const { core, baseUrl } = await site();
    expectOk(
      await core.register({
        username: 'zhou@example.com',
        email: 'zhou@example.com',
        password: 'Abcdefg1',
        name: '周杰',
        idType: 'resident-id',
        idNumber: '110105200505051233',
      }),
    );
    expect(expectOk(await core.getRecoveryMethods({ username: 'zhou@example.com' })).methods).toEqual([]);
    const token = await latestLinkToken(core, 'zhou@example.com', 'activate');
    const first = await page(`${baseUrl}/core/activate/${token}`);
    expect(first.html).toContain('邮箱激活成功');
    const second = await page(`${baseUrl}/core/activate/${token}`);
    expect(second.html).toContain('该邮箱已激活，请不要重复操作');
    expect(expectOk(await core.getRecoveryMethods({ username: 'zhou@example.com' })).methods).toEqual([
      { kind: 'email', target: 'z***@example.com' },
    ]);
  });

  it('tells the user an expired activation link has expired, in the seeds’ words', async () => {
    const { core, clock, baseUrl } = await site();
    expectOk(
      await core.register({
        username: 'zhou@example.com',
        email: 'zhou@example.com',
        password: 'Abcdefg1',
        name: '周杰',
        idType: 'resident-id',
        idNumber: '110105200505051233',
      }),
    );
    const token = await latestLinkToken(core, 'zhou@example.com', 'activate');
    clock.advance(25 * HOUR);
    expect((await page(`${baseUrl}/core/activate/${token}`)).html).toContain('校验码已过期，请重新注册或重新获取校验码');
  });
});

describe('registration page /core/register/:token', () => {
  it('opens only with a one-time link a flow handed out', async () => {
    const { core, baseUrl } = await site();
    expect((await page(`${baseUrl}/core/register`)).status).toBe(404);
    expect((await page(`${baseUrl}/core/register/not-a-token-but-long-enough`)).html).toContain('注册链接无效');
    const link = expectOk(await core.createRegistrationLink({}));
    expect(link.url).toMatch(/^http:\/\/assistant\.test\/core\/register\/[\w-]{40,}$/);
    expect((await page(link.url.replace('http://assistant.test', baseUrl))).status).toBe(200);
  });

  it('offers 我要重新注册 when the ID is taken, and registers with it ticked; the link is then spent', async () => {
    const { core, baseUrl } = await site();
    const registerUrl = expectOk(await core.createRegistrationLink({})).url.replace('http://assistant.test', baseUrl);
    const blank = await page(registerUrl);
    const cookie = blank.headers.get('set-cookie')!.split(';')[0]!;
    const formToken = /name="formToken" value="([^"]+)"/.exec(blank.html)![1]!;
    const fields = {
      formToken,
      name: '李明',
      idType: 'resident-id',
      idNumber: '110105200101011235',
      phone: '13811112222',
      email: '',
      usernameKind: 'phone',
      password: 'Newpass2024',
      confirm: 'Newpass2024',
    };

    const withoutCookie = await page(registerUrl, fields);
    expect(withoutCookie.status).toBe(403);

    const taken = await page(registerUrl, fields, cookie);
    expect(taken.status).toBe(400);
    expect(taken.html).toContain('证件号码已被注册');
    expect(taken.html).toContain('我要重新注册');
    expect(taken.html).not.toContain('Newpass2024');

    const cookie2 = taken.headers.get('set-cookie')!.split(';')[0]!;
    const token2 = /name="formToken" value="([^"]+)"/.exec(taken.html)![1]!;
    const done = await page(registerUrl, { ...fields, formToken: token2, reRegister: 'on' }, cookie2);
    expect(done.status).toBe(201);
    expect(done.html).toContain('注册成功');
    expect(done.html).toContain('138****2222');
    expect(done.html).toContain('三个工作日');
    expect(expectOk(await core.getDuplicateStatus({ username: '13811112222' })).state).toBe('unresolved');
    const again = await page(registerUrl);
    expect(again.status).toBe(410);
    expect(again.html).toContain('只能用一次');
  });
});

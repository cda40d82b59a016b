import { describe, expect, it } from 'vitest';
import { ADMIN, AgentClient, createAgent, escalate, pngImage, pendingReview, startHelpdesk } from './support.js';

describe('console access control', () => {
  it('answers 401 to every agent route without a session', async () => {
    const { service, baseUrl } = await startHelpdesk();
    const id = await escalate(service.user('u1'));
    for (const path of [
      '/api/agent/tickets?status=open',
      `/api/agent/tickets/${id}`,
      '/api/agent/me',
      '/api/agent/reviews',
      '/api/agent/outbox',
      '/api/agent/no-such-route',
    ]) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status, path).toBe(401);
    }
    const post = await fetch(`${baseUrl}/api/agent/tickets/${id}/replies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"hi"}',
    });
    expect(post.status).toBe(401);
    const ticket = await service.service.context.storage.documents<{ screenshots: { id: string }[] }>('helpdesk-tickets').get(id);
    const shot = await fetch(`${baseUrl}/api/agent/screenshots/${ticket!.screenshots[0]!.id}`);
    expect(shot.status).toBe(401);
    expect(shot.headers.get('content-type')).not.toMatch(/^image\//);

    const page = await fetch(`${baseUrl}/console/tickets/${id}`);
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('客服登录');
    expect((await fetch(`${baseUrl}/console/screenshots/${ticket!.screenshots[0]!.id}`)).status).toBe(401);
  });

  it('logs in with HttpOnly SameSite cookies and refuses wrong passwords (throttling: test/security/agent-sessions.test.ts)', async () => {
    const { baseUrl, handle } = await startHelpdesk();
    const login = (password: string) =>
      fetch(`${baseUrl}/api/agent/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADMIN.username, password }),
      });
    const ok = await login(ADMIN.password);
    expect(ok.status).toBe(200);
    const cookie = ok.headers.getSetCookie().find((line) => line.startsWith('chsi_agent='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect((await login('wrong-password-1')).status).toBe(401);
    const audit = await handle.audit.recent(50);
    expect(audit.filter((entry) => entry.action === 'login-failed')).toHaveLength(1);
    const stored = await handle.agents.get(ADMIN.username);
    expect(stored?.role).toBe('admin');
  });

  it('answers 403 when an agent reaches admin routes', async () => {
    const { baseUrl } = await startHelpdesk();
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const agent = await createAgent(admin, 'zhangsan');
    expect((await agent.get('/api/agent/agents')).status).toBe(403);
    expect((await agent.get('/api/agent/audit')).status).toBe(403);
    expect((await agent.get(`/api/agent/agents/${ADMIN.username}`)).status).toBe(403);
    expect((await agent.post('/api/agent/agents', { username: 'intruder', password: 'Intruder-2026-x', role: 'admin' })).status).toBe(403);
    // Changing the id in the URL does not reach another account either.
    expect((await agent.post(`/api/agent/agents/${ADMIN.username}`, { password: 'Hijacked-2026-x' })).status).toBe(403);
    expect((await agent.get('/console/audit')).status).toBe(403);
    expect((await agent.get('/console/agents')).status).toBe(403);
    expect((await admin.get('/console/audit')).status).toBe(200);
  });

  it('rejects state-changing requests without the right CSRF token', async () => {
    const { service, baseUrl } = await startHelpdesk();
    const id = await escalate(service.user('u1'));
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const other = await createAgent(admin, 'lisi', 'admin');

    expect((await admin.form(`/console/tickets/${id}/reply`, { text: '没有令牌' })).status).toBe(403);
    expect((await admin.form(`/console/tickets/${id}/reply`, { text: '伪造令牌', _csrf: 'forged' })).status).toBe(403);
    expect((await admin.form(`/console/tickets/${id}/reply`, { text: '别人的令牌', _csrf: other.csrfToken })).status).toBe(403);
    expect((await admin.form(`/console/tickets/${id}/close`, {})).status).toBe(403);
    // A browser posting JSON from another site carries an Origin: it must bring the token too.
    expect((await admin.post(`/api/agent/tickets/${id}/replies`, { text: '跨站' }, { origin: 'http://evil.example' })).status).toBe(403);
    // A login form posted without its token is refused as well.
    const loginForm = await fetch(`${baseUrl}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: ADMIN.username, password: ADMIN.password }).toString(),
      redirect: 'manual',
    });
    expect(loginForm.status).toBe(403);
    const crossSiteLogin = await fetch(`${baseUrl}/api/agent/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      body: JSON.stringify(ADMIN),
    });
    expect(crossSiteLogin.status).toBe(403);

    const html = await admin.pageHtml(`/console/tickets/${id}`);
    const token = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
    expect(token).toBe(admin.csrfToken);
    const sent = await admin.form(`/console/tickets/${id}/reply`, { text: '您好，已收到。', _csrf: token });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toBe(`/console/tickets/${id}?notice=replied`);
    const ticket = await admin.json(`/api/agent/tickets/${id}`);
    expect(ticket.transcript.at(-1)).toMatchObject({ from: 'agent', agent: ADMIN.username, text: '您好，已收到。', delivery: 'sent' });
  });

  it('keeps one agent off a ticket another agent took, whatever id they send', async () => {
    const { service, baseUrl } = await startHelpdesk();
    const id = await escalate(service.user('u1'));
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const wang = await createAgent(admin, 'wang');
    const zhao = await createAgent(admin, 'zhao');

    expect((await wang.post(`/api/agent/tickets/${id}/assign`, { assignee: 'me' })).status).toBe(200);
    expect((await zhao.post(`/api/agent/tickets/${id}/replies`, { text: '抢答' })).status).toBe(403);
    expect((await zhao.post(`/api/agent/tickets/${id}/close`)).status).toBe(403);
    expect((await zhao.post(`/api/agent/tickets/${id}/assign`, { assignee: 'me' })).status).toBe(403);
    expect((await zhao.post(`/api/agent/tickets/${id}/assign`, { assignee: 'zhao' })).status).toBe(403);
    // Reading is allowed: the queue is shared.
    expect((await zhao.get(`/api/agent/tickets/${id}`)).status).toBe(200);

    expect((await wang.post(`/api/agent/tickets/${id}/replies`, { text: '我来处理。' })).status).toBe(201);
    expect((await admin.post(`/api/agent/tickets/${id}/assign`, { assignee: 'zhao' })).status).toBe(200);
    expect((await zhao.post(`/api/agent/tickets/${id}/close`)).status).toBe(200);
    expect((await zhao.get('/api/agent/tickets/T000000000000')).status).toBe(404);
  });

  it('serves screenshots only to agents, with safe headers', async () => {
    const { service, baseUrl } = await startHelpdesk();
    const user = service.user('u1');
    await user.says('转人工');
    await user.says('13912345678');
    await user.sendsImage(pngImage('"><script>alert(1)</script>.png'));
    await user.says('页面打不开，提示系统繁忙');
    await user.says('1');
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const [row] = await admin.json('/api/agent/tickets?status=open');
    const ticket = await admin.json(`/api/agent/tickets/${row.id}`);
    expect(ticket).toMatchObject({ id: row.id, status: 'open', channel: 'web', username: '13912345678' });
    expect(ticket.screenshots).toHaveLength(1);
    expect(ticket.screenshots[0]).toMatch(/^\/api\/agent\/screenshots\/s[\w-]+$/);

    const image = await admin.get(ticket.screenshots[0]);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('x-content-type-options')).toBe('nosniff');
    expect(image.headers.get('cache-control')).toContain('no-store');
    expect(image.headers.get('cache-control')).toContain('private');
    expect(image.headers.get('content-disposition')).toBe(`inline; filename="screenshot-${row.id}.png"`);
    expect(Buffer.from(await image.arrayBuffer()).equals(pngImage().data)).toBe(true);
  });
});

describe('console work', () => {
  it('shows suggested knowledge answers for the description, usable as canned replies', async () => {
    const { service, baseUrl } = await startHelpdesk();
    const id = await escalate(service.user('u1'), '忘记用户名了，不知道当初用什么注册的');
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const { suggestions } = await admin.json(`/api/agent/tickets/${id}/suggestions`);
    expect(suggestions[0]).toMatchObject({ topicId: 'recover.username' });
    const page = await admin.pageHtml(`/console/tickets/${id}`);
    expect(page).toContain('知识库建议答案');
    expect(page).toContain('class="use-canned"');
  });

  it('reviews duplicate-ID photos side by side, refuses a rejection without reason, and records the decision', async () => {
    const { baseUrl, core, handle } = await startHelpdesk();
    const reviewId = await pendingReview(core);
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const agent = await createAgent(admin, 'reviewer');

    const list = await agent.pageHtml('/console/reviews');
    expect(list).toContain(reviewId);
    const page = await agent.pageHtml(`/console/reviews/${reviewId}`);
    expect(page).toContain('class="side-by-side"');
    expect(page).toContain(`/console/reviews/${reviewId}/photos/front`);
    expect(page).toContain(`/console/reviews/${reviewId}/photos/back`);
    const photo = await agent.get(`/console/reviews/${reviewId}/photos/front`);
    expect(photo.headers.get('content-type')).toBe('image/png');
    expect(photo.headers.get('x-content-type-options')).toBe('nosniff');

    const noReason = await agent.form(`/console/reviews/${reviewId}/decision`, { decision: 'reject', _csrf: agent.csrfToken });
    expect(noReason.headers.get('location')).toContain('notice=reason-needed');
    const rejected = await agent.form(`/console/reviews/${reviewId}/decision`, {
      decision: 'reject',
      reason: '照片模糊，看不清证件号码',
      _csrf: agent.csrfToken,
    });
    expect(rejected.status).toBe(303);
    const review = await core.getReview({ reviewId });
    expect(review.ok && review.value).toMatchObject({ state: 'rejected', reason: '照片模糊，看不清证件号码', decidedBy: 'reviewer' });
    expect((await handle.audit.recent(20)).some((entry) => entry.action === 'review-decide' && entry.target === reviewId)).toBe(true);
  });

  it('shows the core outbox, the unanswered report grouped with counts, and an admin-only audit log', async () => {
    const { service, baseUrl, core } = await startHelpdesk();
    await core.sendSmsCode({ username: '13912345678', purpose: 'reset-password' });
    const user = service.user('u-gap');
    await user.says('学信网可以帮我订火车票吗');
    await user.says('学信网能帮我订火车票吗？');
    await user.says('今天天气怎么样呀朋友');
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);

    const outbox = await admin.json('/api/agent/outbox');
    expect(outbox.core[0]).toMatchObject({ channel: 'sms', to: '13912345678' });
    expect(await admin.pageHtml('/console/outbox')).toContain('账号系统发出的短信和邮件');

    const { groups } = await admin.json('/api/agent/unanswered');
    const trains = groups.find((group: { example: string }) => group.example.includes('火车票'));
    expect(trains.count).toBe(2);
    expect(await admin.pageHtml('/console/unanswered')).toContain('火车票');

    const id = await escalate(service.user('u2'));
    await admin.post(`/api/agent/tickets/${id}/close`);
    const { entries } = await admin.json('/api/agent/audit');
    expect(entries.map((entry: { action: string }) => entry.action)).toEqual(expect.arrayContaining(['login', 'ticket-close']));
  });

  it('lets admins manage agents: a disabled agent loses access at once', async () => {
    const { baseUrl } = await startHelpdesk();
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const agent = await createAgent(admin, 'temp');
    expect((await agent.get('/api/agent/tickets')).status).toBe(200);
    expect((await admin.post('/api/agent/agents/temp', { disabled: true })).status).toBe(200);
    expect((await agent.get('/api/agent/tickets')).status).toBe(401);
    expect((await admin.post('/api/agent/agents', { username: 'weak', password: 'short', role: 'agent' })).status).toBe(400);
    expect((await admin.post(`/api/agent/agents/${ADMIN.username}`, { role: 'agent' })).status).toBe(409);
  });
});

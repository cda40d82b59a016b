import { describe, expect, it } from 'vitest';
import { ADMIN, AgentClient, createAgent, escalate, pendingReview, startHelpdesk } from './support.js';

/** A second registration on the demo account's ID number, waiting for a photo review. */
/** The text between the tags of an HTML page, for reading it as the agent does. */
function visibleText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

describe('the queue of a team', () => {
  it('flags "明天就要研招报名，很着急" as urgent when the ticket is created, lists it first, and lets the agent clear the flag', async () => {
    const { service, baseUrl, handle } = await startHelpdesk();
    const calm = await escalate(service.user('calm'), '登录后页面一直转圈，没有任何提示');
    const hurried = await escalate(service.user('hurried'), '明天就要研招报名，很着急，登录一直提示密码错误');
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);

    const stored = await handle.tickets.get(hurried);
    expect(stored?.urgency).toMatchObject({ urgent: true });
    expect(stored?.urgency?.suggestedWords).toEqual(expect.arrayContaining(['着急', '明天就要']));
    expect((await handle.tickets.get(calm))?.urgency).toEqual({ urgent: false, suggestedWords: [] });

    const queue = await admin.json('/api/agent/queue?lane=attention');
    expect(queue.rows.map((row: { id: string }) => row.id)).toEqual([hurried, calm]);
    expect(queue.counts.lanes).toEqual({ urgent: 1, agent: 1, user: 0 });
    const page = visibleText(await admin.pageHtml('/console/tickets'));
    expect(page).toContain('紧急');
    expect(page).toContain('其中紧急 1');
    const ticketPage = visibleText(await admin.pageHtml(`/console/tickets/${hurried}`));
    expect(ticketPage).toContain('系统根据用户原话“着急”“明天就要”建议');

    const cleared = await admin.post(`/api/agent/tickets/${hurried}/urgency`, { urgent: false }, { 'x-csrf-token': admin.csrfToken });
    expect(cleared.status).toBe(200);
    expect((await handle.tickets.get(hurried))?.urgency).toMatchObject({ urgent: false, setBy: 'admin', suggestedWords: ['着急', '明天就要'] });
    expect((await admin.json('/api/agent/queue')).counts.lanes.urgent).toBe(0);
    expect((await handle.audit.recent(10)).some((entry) => entry.action === 'ticket-urgency' && entry.target === hurried)).toBe(true);

    // Someone else's ticket stays theirs: an agent cannot flag it.
    await admin.post(`/api/agent/tickets/${calm}/assign`, { assignee: 'admin' }, { 'x-csrf-token': admin.csrfToken });
    const agent = await createAgent(admin, 'helper');
    expect((await agent.post(`/api/agent/tickets/${calm}/urgency`, { urgent: true }, { 'x-csrf-token': agent.csrfToken })).status).toBe(403);
    expect((await agent.post(`/api/agent/tickets/${calm}/urgency`, { urgent: 'yes' }, { 'x-csrf-token': agent.csrfToken })).status).toBe(400);
  });

  it('does not count "不着急" as urgent', async () => {
    const { service, handle } = await startHelpdesk();
    const id = await escalate(service.user('patient'), '不着急，有空帮我看看为什么登录失败');
    expect((await handle.tickets.get(id))?.urgency?.urgent).toBe(false);
  });

  it('pages the queue with counts per lane, and keeps tickets waiting on the user apart', async () => {
    const { service, baseUrl, handle } = await startHelpdesk();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await escalate(service.user(`pager-${i}`), `第 ${i} 个问题：登录失败`));
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    await admin.post(`/api/agent/tickets/${ids[0]}/replies`, { text: '请清除缓存后再试。' }, { 'x-csrf-token': admin.csrfToken });

    const first = await admin.json('/api/agent/queue?lane=attention&limit=2');
    expect(first.rows).toHaveLength(2);
    expect(first.counts.lanes).toEqual({ urgent: 0, agent: 4, user: 1 });
    const second = await admin.json(`/api/agent/queue?lane=attention&limit=2&cursor=${encodeURIComponent(first.cursor)}`);
    expect(second.rows).toHaveLength(2);
    expect(second.cursor).toBeNull();
    const listed = [...first.rows, ...second.rows].map((row: { id: string }) => row.id);
    expect(listed.sort()).toEqual(ids.slice(1).sort());

    const waiting = await admin.json('/api/agent/queue?lane=user');
    expect(waiting.rows.map((row: { id: string }) => row.id)).toEqual([ids[0]]);
    // Without a lane, every open ticket: the agents' turn first, then the user's.
    const everything = await admin.json('/api/agent/tickets?status=open&limit=10');
    expect(everything.map((row: { id: string }) => row.id).at(-1)).toBe(ids[0]);

    const html = await admin.pageHtml('/console/tickets?lane=attention');
    expect(visibleText(html)).toContain('待客服处理（4）');
    expect(visibleText(html)).toContain('等待用户（1）');
    expect(handle).toBeDefined();
  });

  it('shows time left under a day in hours, in China time', async () => {
    const { service, baseUrl, clock } = await startHelpdesk();
    clock.set('2026-11-23T02:00:00Z'); // Monday 10:00 in Beijing
    const id = await escalate(service.user('late'));
    clock.set('2026-11-26T00:00:00Z'); // Thursday 08:00: due Thursday 10:00
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const page = visibleText(await admin.pageHtml(`/console/tickets/${id}`));
    expect(page).toContain('剩余 2 小时');
    expect(page).not.toContain('个工作日：剩余');
    expect(page).toContain('2026-11-26 10:00');
  });
});

describe('replying', () => {
  it('keeps internal notes from the user, shows them apart, and audits them', async () => {
    const { service, baseUrl, handle } = await startHelpdesk();
    const user = service.user('noted');
    const id = await escalate(user);
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);

    const noted = await admin.form(`/console/tickets/${id}/notes`, {
      text: '用户说的手机号 13912345678 已停用，先查注册记录',
      _csrf: admin.csrfToken,
    });
    expect(noted.headers.get('location')).toContain('notice=noted');
    const ticket = await handle.tickets.get(id);
    expect(ticket?.notes).toEqual([expect.objectContaining({ agent: 'admin', text: expect.stringContaining('139****5678') })]);
    expect(ticket?.transcript.some((entry) => entry.text.includes('先查注册记录'))).toBe(false);
    const page = await admin.pageHtml(`/console/tickets/${id}`);
    expect(page).toContain('entry--note');
    expect(visibleText(page)).toContain('仅客服可见');
    expect((await handle.audit.recent(10)).find((entry) => entry.action === 'ticket-note')).toMatchObject({ actor: 'admin', target: id });

    // The user hears nothing of it; the next thing they hear is the agent's reply.
    const api = await admin.post(`/api/agent/tickets/${id}/notes`, { text: '' }, { 'x-csrf-token': admin.csrfToken });
    expect(api.status).toBe(400);
    await admin.post(`/api/agent/tickets/${id}/replies`, { text: '已为你查到注册记录。' }, { 'x-csrf-token': admin.csrfToken });
    const history = (await handle.tickets.get(id))!.transcript.filter((entry) => entry.from === 'agent');
    expect(history.map((entry) => entry.text)).toEqual(['已为你查到注册记录。']);
    // The transcript opens at its newest line.
    expect(await admin.pageHtml(`/console/tickets/${id}`)).toMatch(/id="latest"[\s\S]*已为你查到注册记录|已为你查到注册记录[\s\S]*id="latest"/);
  });

  it('lets admins keep macros with placeholders in the store; agents fill them into a reply', async () => {
    const { service, baseUrl, handle } = await startHelpdesk();
    const id = await escalate(service.user('macro-user'));
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const agent = await createAgent(admin, 'replier');

    const starters = await agent.json('/api/agent/macros');
    expect(starters.macros.length).toBeGreaterThanOrEqual(3);

    const created = await admin.post(
      '/api/agent/macros',
      { title: '核实中', body: '{{username}} 您好，工单 {{ticketId}} 由 {{agent}} 跟进。' },
      { 'x-csrf-token': admin.csrfToken },
    );
    expect(created.status).toBe(201);
    const macro = (await created.json()) as { id: string };
    expect((await agent.post('/api/agent/macros', { title: 'x', body: 'y' }, { 'x-csrf-token': agent.csrfToken })).status).toBe(403);
    const unknown = await admin.post('/api/agent/macros', { title: '坏的', body: '你好 {{password}}' }, { 'x-csrf-token': admin.csrfToken });
    expect(unknown.status).toBe(400);

    const filled = await agent.json(`/api/agent/tickets/${id}/macros/${macro.id}`);
    expect(filled.text).toBe(`139****5678 您好，工单 ${id} 由 replier 跟进。`);
    const page = await agent.pageHtml(`/console/tickets/${id}?macro=${macro.id}`);
    expect(page).toContain(`工单 ${id} 由 replier 跟进。</textarea>`);

    const edited = await admin.form('/console/macros', {
      id: macro.id,
      title: '核实中',
      body: '工单 {{ticketId}} 正在核实。',
      _csrf: admin.csrfToken,
    });
    expect(edited.headers.get('location')).toContain('notice=macro-saved');
    expect((await agent.json(`/api/agent/tickets/${id}/macros/${macro.id}`)).text).toBe(`工单 ${id} 正在核实。`);
    const removed = await admin.form(`/console/macros/${macro.id}/delete`, { _csrf: admin.csrfToken });
    expect(removed.headers.get('location')).toContain('notice=macro-deleted');
    expect((await agent.get(`/api/agent/tickets/${id}/macros/${macro.id}`)).status).toBe(404);
    expect((await handle.audit.recent(20)).filter((entry) => entry.action.startsWith('macro-')).length).toBe(3);
  });
});

describe('photo reviews', () => {
  it('lists reviews a page at a time, oldest first, in the JSON API and on the console page', async () => {
    const { baseUrl, core, clock } = await startHelpdesk();
    const ids: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      ids.push(await pendingReview(core, n));
      clock.advanceMinutes(5);
    }
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);

    type ReviewPage = { reviews: { id: string }[]; cursor: string | null };
    const first = (await admin.json('/api/agent/reviews?status=pending&limit=2')) as ReviewPage;
    expect(first.reviews.map((review) => review.id)).toEqual(ids.slice(0, 2));
    const second = (await admin.json(`/api/agent/reviews?status=pending&limit=2&cursor=${encodeURIComponent(first.cursor!)}`)) as ReviewPage;
    expect(second).toEqual({ reviews: [expect.objectContaining({ id: ids[2] })], cursor: null });

    const broken = await admin.get('/api/agent/reviews?status=pending&cursor=not-a-cursor');
    expect(broken.status).toBe(400);
    expect(await admin.get('/api/agent/reviews?limit=0').then((response) => response.status)).toBe(400);

    const page = visibleText(await admin.pageHtml('/console/reviews?status=pending'));
    for (const id of ids) expect(page).toContain(id);
    expect(page).not.toContain('下一页');
  });

  it('asks to confirm an approval, showing the masked accounts it cancels, then approves', async () => {
    const { baseUrl, core } = await startHelpdesk();
    const reviewId = await pendingReview(core);
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);

    const unconfirmed = await admin.form(`/console/reviews/${reviewId}/decision`, { decision: 'approve', _csrf: admin.csrfToken });
    expect(unconfirmed.headers.get('location')).toBe(`/console/reviews/${reviewId}/approve`);
    expect((await core.getReview({ reviewId })).ok && (await core.getReview({ reviewId }))).toMatchObject({ value: { state: 'pending' } });

    const confirm = visibleText(await admin.pageHtml(`/console/reviews/${reviewId}/approve`));
    expect(confirm).toContain('永久注销');
    expect(confirm).toContain('139****5678');
    expect(confirm).not.toContain('13912345678');
    const preview = await admin.json(`/api/agent/reviews/${reviewId}/approval`);
    expect(preview.cancels).toEqual(['139****5678']);

    const approved = await admin.form(`/console/reviews/${reviewId}/decision`, { decision: 'approve', confirmed: 'yes', _csrf: admin.csrfToken });
    expect(approved.headers.get('location')).toContain('notice=approved');
    const review = await core.getReview({ reviewId });
    expect(review.ok && review.value.state).toBe('approved');
  });

  it('offers preset reasons for rejecting, from the photo rules, and tells the user the chosen one', async () => {
    const { baseUrl, core } = await startHelpdesk();
    const reviewId = await pendingReview(core);
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const { reasons } = await admin.json('/api/agent/reject-reasons');
    const hidden = reasons.find((reason: { id: string }) => reason.id === 'face-hidden');
    expect(hidden.text).toContain('脸部');
    expect(visibleText(await admin.pageHtml(`/console/reviews/${reviewId}`))).toContain('面部不清或被遮挡');

    const unknown = await admin.form(`/console/reviews/${reviewId}/decision`, { decision: 'reject', reasonId: 'no-such', _csrf: admin.csrfToken });
    expect(unknown.headers.get('location')).toContain('notice=reason-needed');
    const rejected = await admin.form(`/console/reviews/${reviewId}/decision`, {
      decision: 'reject',
      reasonId: 'face-hidden',
      _csrf: admin.csrfToken,
    });
    expect(rejected.headers.get('location')).toContain('notice=rejected');
    const review = await core.getReview({ reviewId });
    expect(review.ok && review.value).toMatchObject({ state: 'rejected', reason: hidden.text });
  });
});

describe('display', () => {
  it('shows the audit log in words: Chinese action names, China time, no codes or JSON', async () => {
    const { service, baseUrl, clock } = await startHelpdesk();
    clock.set('2026-11-23T02:00:00Z');
    const id = await escalate(service.user('audited'));
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    await admin.post(`/api/agent/tickets/${id}/replies`, { text: '已处理。' }, { 'x-csrf-token': admin.csrfToken });

    const page = visibleText(await admin.pageHtml('/console/audit'));
    expect(page).toContain('回复用户');
    expect(page).toContain('送达：已送达');
    expect(page).toContain('2026-11-23 10:00');
    expect(page).not.toContain('ticket-reply');
    expect(page).not.toContain('{"');
    expect(page).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);

    const agents = visibleText(await admin.pageHtml('/console/agents'));
    expect(agents).toContain('2026-11-23 10:00');
    expect(agents).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
  });

  it('names topics by their titles on the ticket page', async () => {
    const { service, baseUrl, handle } = await startHelpdesk();
    const id = await escalate(service.user('topical'));
    const ticket = await handle.tickets.get(id);
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const page = visibleText(await admin.pageHtml(`/console/tickets/${id}`));
    for (const topic of ticket!.topics) expect(page).not.toContain(` ${topic} `);
  });
});

describe('live updates', () => {
  it('streams a new ticket to an open console as a server-sent event', async () => {
    const { service, baseUrl } = await startHelpdesk();
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const abort = new AbortController();
    const stream = await fetch(`${baseUrl}/console/events`, { headers: { cookie: admin.cookie }, signal: abort.signal });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    await reader.read().then(({ value }) => (received += decoder.decode(value)));

    const id = await escalate(service.user('live'));
    while (!received.includes(id)) received += decoder.decode((await reader.read()).value);
    abort.abort();
    expect(received).toContain('event: ticket');
    expect(received).toContain(`"ticketId":"${id}"`);
    expect(received).toContain('"kind":"created"');
    expect(received).not.toContain('13912345678');

    expect((await fetch(`${baseUrl}/console/events`)).status).toBe(401);
  });
});

describe('metrics', () => {
  it('counts tickets per day, first responses against the SLA, deflection, and exports CSV', async () => {
    const harness = await startHelpdesk();
    const { service, baseUrl, clock } = harness;
    clock.set('2026-11-23T02:00:00Z');
    await service.user('only-asks').says('怎么找回用户名');
    const answered = await escalate(service.user('metric-1'));
    await escalate(service.user('metric-2'));
    clock.set('2026-11-24T03:00:00Z');
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    await admin.post(`/api/agent/tickets/${answered}/replies`, { text: '已处理。' }, { 'x-csrf-token': admin.csrfToken });
    await admin.post(`/api/agent/tickets/${answered}/close`, {}, { 'x-csrf-token': admin.csrfToken });

    const report = await admin.json('/api/agent/metrics?days=7');
    expect(report.to).toBe('2026-11-24');
    const monday = report.days.find((day: { day: string }) => day.day === '2026-11-23');
    expect(monday).toMatchObject({ opened: 2, conversations: 3, escalatedConversations: 2 });
    const tuesday = report.days.find((day: { day: string }) => day.day === '2026-11-24');
    expect(tuesday).toMatchObject({ closed: 1, firstResponses: 1, firstResponsesInSla: 1, resolutionsInSla: 1 });
    expect(report.totals.firstResponseAvgHours).toBe(25);
    expect(report.totals.deflection).toBeCloseTo(1 / 3);

    expect((await admin.get('/api/agent/metrics?days=lots')).status).toBe(400);
    expect((await admin.get('/console/metrics?days=lots')).status).toBe(200);
    const html = await admin.pageHtml('/console/metrics?days=7');
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script>');
    expect(visibleText(html)).toContain('33.3%');
    const csv = await admin.get('/console/metrics.csv?days=7');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^day,opened,closed,/);
    expect(lines).toContain('2026-11-23,2,0,0,0,,0,,3,2,0.3333');

    // Yesterday's "already counted" markers go; a conversation still counts once a day.
    const { handle } = harness;
    expect(await handle.counters.pruneMarkers(clock.now())).toBe(3);
    await service.user('only-asks').says('怎么找回密码');
    await service.user('only-asks').says('谢谢');
    const today = (await admin.json('/api/agent/metrics?days=1')).days[0];
    expect(today).toMatchObject({ day: '2026-11-24', conversations: 1 });
  });
});

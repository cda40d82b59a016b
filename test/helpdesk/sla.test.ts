import chineseDays from 'chinese-days';
import pino from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { SlaPolicy } from '../../src/helpdesk/tickets/sla.js';
import { TestClock } from '../helpers/clock.js';
import { ADMIN, AgentClient, escalate, startHelpdesk } from './support.js';

const { isWorkday } = chineseDays as unknown as { isWorkday(date: string): boolean };
const calendar = new WorkingDayCalendar();

function dueFor(receivedChinaTime: string): string | null {
  return new SlaPolicy(calendar).start(new Date(receivedChinaTime)).dueAt;
}

describe('three working days on China’s calendar', () => {
  it('a Friday: the weekend does not count', () => {
    // Fri 27 Nov 2026 15:00 → Mon 30, Tue 1, Wed 2 Dec.
    expect(dueFor('2026-11-27T15:00:00+08:00')).toBe(new Date('2026-12-02T15:00:00+08:00').toISOString());
  });

  it('the 2026 National Day holiday, with its Saturday make-up workday', () => {
    // The package data: 1–7 Oct off, Sun 20 Sep and Sat 10 Oct are make-up workdays (调休补班).
    expect(['2026-10-01', '2026-10-05', '2026-10-07'].map(isWorkday)).toEqual([false, false, false]);
    expect(isWorkday('2026-09-20')).toBe(true);
    expect(isWorkday('2026-10-10')).toBe(true);
    // Wed 30 Sep 10:00 → Thu 8 Oct (1), Fri 9 Oct (2), Sat 10 Oct make-up day (3).
    expect(dueFor('2026-09-30T10:00:00+08:00')).toBe(new Date('2026-10-10T10:00:00+08:00').toISOString());
    // Sat 19 Sep → the make-up Sunday 20 Sep counts: Sun 20 (1), Mon 21 (2), Tue 22 (3).
    expect(dueFor('2026-09-19T09:00:00+08:00')).toBe(new Date('2026-09-22T09:00:00+08:00').toISOString());
  });

  it('Spring Festival 2026, with the make-up Saturdays before and after', () => {
    expect(isWorkday('2026-02-14')).toBe(true);
    expect(['2026-02-15', '2026-02-18', '2026-02-23'].map(isWorkday)).toEqual([false, false, false]);
    expect(isWorkday('2026-02-28')).toBe(true);
    // Fri 13 Feb 10:00 → Sat 14 make-up (1), holiday 15–23, Tue 24 (2), Wed 25 (3).
    expect(dueFor('2026-02-13T10:00:00+08:00')).toBe(new Date('2026-02-25T10:00:00+08:00').toISOString());
  });

  it('a deadline past the data’s last year is placed by the statutory rules and flagged provisional', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) }));
    const sla = new SlaPolicy(calendar, logger).start(new Date('2026-12-29T10:00:00+08:00'), 'T202612290001');
    // Wed 30 (1), Thu 31 (2), 元旦 Fri 1 Jan 2027 and the weekend off, Mon 4 Jan (3).
    expect(sla).toEqual({
      startedAt: new Date('2026-12-29T10:00:00+08:00').toISOString(),
      dueAt: new Date('2027-01-04T10:00:00+08:00').toISOString(),
      provisional: true,
    });
    expect(lines.join('')).toContain('provisional holiday calendar');
    expect(new SlaPolicy(calendar).status(sla, new Date('2026-12-29T11:00:00+08:00')).state).toBe('running');
  });

  it('warns under one working day, marks a breach, and stops the clock at the first reply', () => {
    const policy = new SlaPolicy(calendar);
    const sla = policy.start(new Date('2026-11-23T10:00:00+08:00'));
    expect(policy.status(sla, new Date('2026-11-24T10:00:00+08:00'))).toMatchObject({ state: 'running', workingDaysLeft: 2 });
    expect(policy.status(sla, new Date('2026-11-25T12:00:00+08:00'))).toMatchObject({ state: 'warning' });
    expect(policy.status(sla, new Date('2026-11-26T10:00:01+08:00')).state).toBe('breached');
    expect(
      policy.status({ ...sla, respondedAt: new Date('2026-11-25T09:00:00+08:00').toISOString() }, new Date('2026-12-10T00:00:00+08:00')).state,
    ).toBe('met');
    expect(
      policy.status({ ...sla, respondedAt: new Date('2026-11-27T09:00:00+08:00').toISOString() }, new Date('2026-12-10T00:00:00+08:00')).state,
    ).toBe('met-late');
  });
});

describe('SLA in the queue', () => {
  it('a late-December escalation tells the user a date that may move, and agents see it flagged provisional', async () => {
    const clock = new TestClock('2026-12-29T10:00:00+08:00');
    const { service, baseUrl } = await startHelpdesk({ clock });
    const user = service.user('december-user');
    const id = await escalate(user);
    const created = user.transcript.at(-1)!.assistant;
    expect(created).toContain('最晚 2027-01-04（周一）10:00 前');
    expect(created).toContain('公布后可能会调整');

    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const ticket = await admin.json(`/api/agent/tickets/${id}`);
    expect(ticket.dueAt).toBe(new Date('2027-01-04T10:00:00+08:00').toISOString());
    expect(ticket.calendarFlag).toBe('calendar-provisional');
    expect(ticket.sla).toMatchObject({ state: 'running', provisional: true });
    const list = await admin.json('/api/agent/tickets?status=open');
    expect(list[0]).toMatchObject({ id, calendarFlag: 'calendar-provisional' });
    const page = await admin.pageHtml(`/console/tickets/${id}`);
    expect(page).toContain('暂定日期');
  });

  it('sorts by deadline, shows time left, warns and highlights breaches; the first reply stops the clock', async () => {
    const clock = new TestClock('2026-11-20T16:00:00+08:00'); // a Friday
    const { service, baseUrl } = await startHelpdesk({ clock });
    const first = await escalate(service.user('u-first'), '第一个问题：激活邮件一直收不到');
    clock.set('2026-11-23T09:00:00+08:00');
    const second = await escalate(service.user('u-second'), '第二个问题：学籍信息显示不全');
    clock.set('2026-11-23T08:00:00+08:00');
    const third = await escalate(service.user('u-third'), '第三个问题：手机号换了收不到验证码');

    // Wed 25 Nov 17:00: the first (Fri 16:00 + 3 = Wed 25 16:00) is past due; the third is due Thu 08:00.
    clock.set('2026-11-25T17:00:00+08:00');
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const list = (await admin.json('/api/agent/tickets?status=open')) as { id: string; sla: { state: string; workingDaysLeft: number } }[];
    expect(list.map((row) => row.id)).toEqual([first, third, second]);
    expect(list[0]!.sla.state).toBe('breached');
    expect(list[1]!.sla.state).toBe('warning');
    expect(list[1]!.sla.workingDaysLeft).toBeLessThan(1);

    const queue = await admin.pageHtml('/console/tickets');
    expect(queue).toMatch(/class="row row--breached" data-ticket="T\d+"/);
    expect(queue).toContain('已超时');
    expect(queue).toContain('不足 1 个工作日');

    const reply = await admin.post(`/api/agent/tickets/${third}/replies`, { text: '已收到，正在核实。' });
    expect(reply.status).toBe(201);
    clock.set('2026-12-10T10:00:00+08:00');
    // The 12-hour console session has long expired.
    expect((await admin.get(`/api/agent/tickets/${third}`)).status).toBe(401);
    const later = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const answered = await later.json(`/api/agent/tickets/${third}`);
    expect(answered.sla.state).toBe('met');
    expect(answered.sla.respondedAt).toBe(new Date('2026-11-25T17:00:00+08:00').toISOString());
    const breachedFilter = (await later.json('/api/agent/tickets?status=open&sla=breached')) as { id: string }[];
    expect(breachedFilter.map((row) => row.id).sort()).toEqual([first, second].sort());
  });
});

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { TestClock } from '../helpers/clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ADMIN, AgentClient, escalate, pendingReview, startHelpdesk } from '../helpdesk/support.js';

const china = (local: string) => new Date(`${local}+08:00`).toISOString();

/** The State Council's 2027 notice as an operator would type it (a fixture: not the real notice). */
const NOTICE_2027 = `year: 2027
holidays:
  - { name: 元旦, from: 2027-01-01, to: 2027-01-04 }
  - { name: 春节, from: 2027-02-05, to: 2027-02-12 }
workdays: [2027-01-09, 2027-02-20]
`;

describe('due dates past the published holidays', () => {
  it('tickets from late 2026 and early 2027 get provisional dates; the 2027 notice moves them, audited', async () => {
    const knowledgeCalendar = tempDir('knowledge-calendar-');
    const calendar = new WorkingDayCalendar({ operatorDir: knowledgeCalendar });
    const clock = new TestClock('2026-12-29T10:00:00+08:00');
    const { service, handle, core } = await startHelpdesk({ clock, calendar });

    const december29 = service.user('opened-dec-29');
    const first = await escalate(december29);
    // Tue 29 Dec → Wed 30 (1), Thu 31 (2), 元旦 Fri 1 Jan, the weekend, Mon 4 Jan (3).
    expect(december29.transcript.at(-1)!.assistant).toContain('最晚 2027-01-04（周一）10:00 前');
    expect(december29.transcript.at(-1)!.assistant).toContain('公布后可能会调整');
    expect(december29.transcript.at(-1)!.assistant).not.toContain('尚未公布，具体日期由客服确认');

    clock.set('2026-12-31T10:00:00+08:00');
    const second = await escalate(service.user('opened-dec-31'));
    clock.set('2027-02-05T10:00:00+08:00');
    const third = await escalate(service.user('opened-on-chuxi'));
    const reviewId = await pendingReview(core);

    const before = await Promise.all([first, second, third].map((id) => handle.tickets.get(id)));
    expect(before.map((ticket) => ticket!.sla)).toMatchObject([
      { dueAt: china('2027-01-04T10:00:00'), provisional: true },
      { dueAt: china('2027-01-06T10:00:00'), provisional: true },
      // 除夕 Fri 5 Feb to 初三 Mon 8 Feb off → Tue 9 (1), Wed 10 (2), Thu 11 (3).
      { dueAt: china('2027-02-11T10:00:00'), provisional: true },
    ]);
    const reviewBefore = await core.getReview({ reviewId });
    expect(reviewBefore.ok && reviewBefore.value.dueAt).toBe(china('2027-02-11T10:00:00'));

    // The notice is published: the operator adds knowledge/calendar/2027.yaml and reloads.
    writeFileSync(path.join(knowledgeCalendar, '2027.yaml'), NOTICE_2027);
    const result = await handle.calendar.reload('admin');
    expect(result).toMatchObject({ changed: true, operatorYears: [2027], problems: [], ticketsMoved: 3, reviewsMoved: 1 });

    const after = await Promise.all([first, second, third].map((id) => handle.tickets.get(id)));
    expect(after.map((ticket) => ticket!.sla.dueAt)).toEqual([
      // 元旦 now runs to Mon 4 Jan: Wed 30 (1), Thu 31 (2), Tue 5 Jan (3).
      china('2027-01-05T10:00:00'),
      // Tue 5 (1), Wed 6 (2), Thu 7 (3).
      china('2027-01-07T10:00:00'),
      // Spring Festival to Fri 12 Feb: Mon 15 (1), Tue 16 (2), Wed 17 (3).
      china('2027-02-17T10:00:00'),
    ]);
    expect(after.every((ticket) => !ticket!.sla.provisional)).toBe(true);
    const reviewAfter = await core.getReview({ reviewId });
    expect(reviewAfter.ok && reviewAfter.value.dueAt).toBe(china('2027-02-17T10:00:00'));

    const audit = await handle.audit.recent(50);
    expect(audit.filter((entry) => entry.action === 'ticket-due-recomputed').map((entry) => [entry.target, entry.details])).toEqual(
      expect.arrayContaining([
        [first, { from: china('2027-01-04T10:00:00'), to: china('2027-01-05T10:00:00'), provisional: false }],
        [second, { from: china('2027-01-06T10:00:00'), to: china('2027-01-07T10:00:00'), provisional: false }],
        [third, { from: china('2027-02-11T10:00:00'), to: china('2027-02-17T10:00:00'), provisional: false }],
      ]),
    );
    expect(audit.find((entry) => entry.action === 'review-due-recomputed')).toMatchObject({ actor: 'admin', target: reviewId });
    expect(audit.find((entry) => entry.action === 'calendar-recompute')).toMatchObject({
      actor: 'admin',
      details: { trigger: 'reload', changed: true, operatorYears: '2027', ticketsMoved: 3, reviewsMoved: 1 },
    });

    // Reloading the same files again moves nothing.
    expect(await handle.calendar.reload('admin')).toMatchObject({ changed: false, ticketsMoved: 0 });
  });

  it('a broken calendar file is named and left out; the dates stay provisional', async () => {
    const knowledgeCalendar = tempDir('knowledge-calendar-');
    const calendar = new WorkingDayCalendar({ operatorDir: knowledgeCalendar });
    const { service, handle } = await startHelpdesk({ clock: new TestClock('2026-12-29T10:00:00+08:00'), calendar });
    const id = await escalate(service.user('opened-dec-29'));
    writeFileSync(path.join(knowledgeCalendar, '2027.yaml'), 'year: 2027\nholidays:\n  - { name: 元旦, from: 2027-13-01 }\n');
    const result = await handle.calendar.reload('admin');
    expect(result.problems).toEqual([{ file: path.join(knowledgeCalendar, '2027.yaml'), message: expect.stringContaining('holidays.0.from') }]);
    expect((await handle.tickets.get(id))!.sla).toMatchObject({ dueAt: china('2027-01-04T10:00:00'), provisional: true });
  });

  it('an admin reloads from the console; the periodic check audits only a change', async () => {
    const knowledgeCalendar = tempDir('knowledge-calendar-');
    const calendar = new WorkingDayCalendar({ operatorDir: knowledgeCalendar });
    const { service, handle, baseUrl } = await startHelpdesk({ clock: new TestClock('2026-12-29T10:00:00+08:00'), calendar });
    const id = await escalate(service.user('opened-dec-29'));

    // Nothing changed: the periodic check leaves no trace, and a restart does not walk the tickets again.
    await handle.calendar.reload('system', 'check');
    expect(await handle.calendar.afterStart()).toMatchObject({ changed: false, ticketsMoved: 0 });
    expect((await handle.audit.recent(50)).filter((entry) => entry.action === 'calendar-recompute')).toEqual([]);

    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    expect(await admin.pageHtml('/console/calendar')).toContain('2027 年 · 暂定：按法定假日规则推算');
    writeFileSync(path.join(knowledgeCalendar, '2027.yaml'), NOTICE_2027);
    const reloaded = await admin.form('/console/calendar/reload', { _csrf: admin.csrfToken });
    const page = await reloaded.text();
    expect(page).toContain('日历已更新：重新计算了 1 个工单、0 个证件审核的截止时间。');
    expect(page).toContain('2027 年 · 运营人员文件 knowledge/calendar/2027.yaml');
    expect((await handle.tickets.get(id))!.sla.dueAt).toBe(china('2027-01-05T10:00:00'));
    expect((await handle.audit.recent(50)).find((entry) => entry.action === 'calendar-recompute')).toMatchObject({ actor: 'admin' });

    // Without the session's CSRF token the reload is refused.
    expect((await admin.form('/console/calendar/reload', {})).status).toBe(403);
  });
});

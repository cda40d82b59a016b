// The agents' queue on indexed rows: pages by deadline, counts beside the filters, SLA filters
// from stored due dates, and the same SLA reading as the one-ticket view.
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { AuditTrail } from '../../src/helpdesk/tickets/audit.js';
import { SlaPolicy } from '../../src/helpdesk/tickets/sla.js';
import { TicketService, type TicketNotifier } from '../../src/helpdesk/tickets/ticket-service.js';
import { TicketStore } from '../../src/helpdesk/tickets/ticket-store.js';
import type { TicketDraft } from '../../src/helpdesk/tickets/ticket-types.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { TestClock } from '../helpers/clock.js';

const HOUR = 60 * 60 * 1000;
const calendar = new WorkingDayCalendar();

function helpdesk() {
  const storage = createMemoryStorage();
  onTestFinished(() => storage.close());
  const clock = new TestClock('2026-11-23T10:00:00+08:00');
  const notifier: TicketNotifier = { agentReply: async () => 'sent', closed: async () => undefined, reopened: async () => undefined };
  const sla = new SlaPolicy(calendar);
  const tickets = new TicketService({
    store: new TicketStore(storage),
    sla,
    audit: new AuditTrail(storage, clock.now),
    clock: clock.now,
    logger: pino({ level: 'silent' }),
    notifier,
  });
  return { tickets, clock, sla };
}

function draft(n: number): TicketDraft {
  return {
    channel: n % 4 === 0 ? 'email' : 'web',
    userId: `user-${n}`,
    conversationId: `web:user-${n}`,
    username: n === 7 ? 'LiMing@Example.com' : null,
    description: `第 ${n} 个问题：登录不了`,
    topics: [],
    screenshots: [],
    transcript: [],
  };
}

describe('the ticket queue on indexed rows', () => {
  it('pages open tickets by deadline, and every ticket shows up exactly once', async () => {
    const { tickets, clock } = helpdesk();
    for (let n = 1; n <= 120; n++) {
      await tickets.create(draft(n));
      clock.advanceMinutes(7);
    }
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await tickets.page({ limit: 50, cursor });
      expect(page.rows.length).toBeLessThanOrEqual(50);
      ids.push(...page.rows.map((row) => row.id));
      cursor = page.cursor ?? undefined;
    } while (cursor);
    expect(ids).toHaveLength(120);
    expect(ids[0]).toBe('T202611230001');
    expect(new Set(ids).size).toBe(120);

    const first = await tickets.page({ limit: 10 });
    expect(first.counts).toMatchObject({ open: 120, closed: 0, openByAssignee: { unassigned: 120 }, breached: 0, notCovered: 0 });
    expect((await tickets.page({ channel: 'email', limit: 200 })).rows).toHaveLength(30);
  });

  it('counts and filters follow assignment and closing', async () => {
    const { tickets } = helpdesk();
    for (let n = 1; n <= 5; n++) await tickets.create(draft(n));
    await tickets.assign('T202611230002', 'admin', 'li.wei');
    await tickets.close('T202611230003', 'li.wei');

    const page = await tickets.page({});
    expect(page.counts).toMatchObject({ open: 4, closed: 1, openByAssignee: { unassigned: 3, 'li.wei': 1 } });
    expect((await tickets.list({ assignee: 'li.wei' })).map((row) => row.id)).toEqual(['T202611230002']);
    expect((await tickets.list({ assignee: 'unassigned' })).map((row) => row.id)).toEqual(['T202611230001', 'T202611230004', 'T202611230005']);
    expect((await tickets.list({ status: 'closed' })).map((row) => row.id)).toEqual(['T202611230003']);
    expect(await tickets.list({ status: 'all' })).toHaveLength(5);
  });

  it('finds a ticket by its number or by the exact username, and reads a bad cursor as the first page', async () => {
    const { tickets } = helpdesk();
    for (let n = 1; n <= 8; n++) await tickets.create(draft(n));
    expect((await tickets.list({ query: 't202611230005' })).map((row) => row.id)).toEqual(['T202611230005']);
    expect((await tickets.list({ query: 'liming@example.com' })).map((row) => row.id)).toEqual(['T202611230007']);
    expect((await tickets.page({ limit: 3, cursor: '%%%' })).rows.map((row) => row.id)).toEqual(['T202611230001', 'T202611230002', 'T202611230003']);
  });

  it('filters breached and under-a-day tickets from the stored due dates as time passes, and an answer stops the clock', async () => {
    const { tickets, clock } = helpdesk();
    await tickets.create(draft(1)); // Monday 10:00, due Thursday 10:00
    clock.advance(24 * HOUR);
    await tickets.create(draft(2)); // Tuesday 10:00, due Friday 10:00

    clock.advance(2 * 24 * HOUR - 2 * HOUR); // Thursday 08:00
    let page = await tickets.page({});
    expect(page.counts).toMatchObject({ breached: 0, warning: 1 });
    expect((await tickets.list({ sla: 'warning' })).map((row) => row.id)).toEqual(['T202611230001']);

    clock.advance(3 * HOUR); // Thursday 11:00
    page = await tickets.page({});
    expect(page.counts).toMatchObject({ breached: 1, warning: 1 });
    expect((await tickets.list({ sla: 'breached' })).map((row) => [row.id, row.sla.state])).toEqual([['T202611230001', 'breached']]);
    expect((await tickets.list({ sla: 'warning' })).map((row) => row.id)).toEqual(['T202611240001']);

    await tickets.reply('T202611240001', 'li.wei', '您好，已收到');
    expect((await tickets.page({})).counts).toMatchObject({ breached: 1, warning: 0 });
    expect((await tickets.list({})).find((row) => row.id === 'T202611240001')!.sla.state).toBe('met');
    expect(await tickets.list({ status: 'closed', sla: 'breached' })).toEqual([]);
  });

  it('reads the SLA of a page exactly as the one-ticket view does, over holidays and weekends', () => {
    const { sla } = helpdesk();
    for (const now of ['2026-09-30T16:00:00+08:00', '2026-10-08T09:30:00+08:00', '2026-11-27T18:00:00+08:00', '2026-12-31T23:00:00+08:00']) {
      const clock = sla.clockAt(new Date(now));
      for (let hours = -30; hours <= 24 * 12; hours += 5) {
        const ticketSla = { startedAt: now, dueAt: new Date(Date.parse(now) + hours * HOUR).toISOString() };
        const single = sla.status(ticketSla, new Date(now));
        const paged = clock.status(ticketSla);
        expect(paged.state, `${now} +${hours}h`).toBe(single.state);
        if (single.state !== 'breached') expect(paged.workingDaysLeft).toBeCloseTo(single.workingDaysLeft!, 6);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { redactSensitive } from '../../src/privacy/mask.js';
import { ADMIN, AgentClient } from '../helpdesk/support.js';
import { startMailDesk, SUPPORT } from './mail-support.js';

/** Issue 10: "It misses +8613987654321, 8613876543210, codes written as 123 456, and ID numbers or phones in mail subjects." */
describe('redaction', () => {
  it('masks every phone form and codes read out in halves', () => {
    expect(redactSensitive('手机 +8613987654321')).toBe('手机 139****4321');
    expect(redactSensitive('手机 8613876543210')).toBe('手机 138****3210');
    expect(redactSensitive('手机 +86 139 1234 5678，或 +86-139-1234-5678')).toBe('手机 139****5678，或 139****5678');
    expect(redactSensitive('验证码是 123 456')).toBe('验证码是 ******');
    expect(redactSensitive('验证码：654-321。')).toBe('验证码：******。');
    // Dates and times are not codes.
    expect(redactSensitive('2026-11-23 10:00')).toBe('2026-11-23 10:00');
  });

  it('keeps no phone, ID number or code from a mail subject, in the ticket, the queue or the console', async () => {
    const { user, baseUrl, handle } = await startMailDesk();
    await user.sendMail({
      from: 'xiaoming@example.com',
      to: SUPPORT,
      subject: '身份证 110105200101011235 手机 +8613987654321 验证码 123 456 收不到',
      text: '如题，帮帮我。',
    });
    const [row] = await handle.tickets.list();
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const ticket = await admin.json(`/api/agent/tickets/${row!.id}`);
    const queue = (await admin.json('/api/agent/tickets?status=open')) as { summary: string }[];
    const stored = (await handle.tickets.get(row!.id))!;
    // The phone is the username the agents need (picked out of the subject); the subject itself keeps nothing.
    expect(ticket.username).toBe('13987654321');
    for (const subject of [ticket.subject, ticket.transcript[0].subject, queue[0]!.summary, stored.email!.subject, stored.transcript[0]!.subject!]) {
      expect(subject).toBe('身份证 110***********1235 手机 139****4321 验证码 ****** 收不到');
    }
    for (const page of [await admin.pageHtml(`/console/tickets/${row!.id}`), await admin.pageHtml('/console/tickets')]) {
      expect(page).not.toContain('110105200101011235');
      expect(page).not.toContain('123 456');
    }
  });
});

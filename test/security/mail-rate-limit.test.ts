import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../src/security/rate-limits.js';
import { startMailDesk, SUPPORT } from './mail-support.js';

/** Issue 10: "30 tickets by mail." New tickets by mail are limited per sender and per connecting IP. */
describe('a mail flood', () => {
  it('opens at most the sender’s budget of tickets; the rest are deferred with 450, not lost', async () => {
    const perSender = DEFAULT_RATE_LIMITS['ticket-mail:sender'].points;
    const { user, handle } = await startMailDesk();
    const codes: (number | 'ok')[] = [];
    for (let i = 0; i < 30; i += 1) {
      try {
        await user.sendMail({ from: 'flood@example.com', to: SUPPORT, subject: `问题 ${i}`, text: `第 ${i} 个问题：登录不了` });
        codes.push('ok');
      } catch (error) {
        codes.push((error as { responseCode: number }).responseCode);
      }
    }
    expect(codes.slice(0, perSender).every((code) => code === 'ok')).toBe(true);
    expect(codes.slice(perSender).every((code) => code === 450)).toBe(true);
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(perSender);
  });

  it('limits one connecting IP however many sender addresses it uses', async () => {
    const perIp = DEFAULT_RATE_LIMITS['ticket-mail:ip'].points;
    const { attacker, handle } = await startMailDesk();
    let refused = 0;
    for (let i = 0; i < perIp + 5; i += 1) {
      await attacker
        .sendMail({ from: `sender${i}@evil.example`, to: SUPPORT, subject: '问题', text: '登录不了，请帮忙' })
        .catch(() => (refused += 1));
    }
    expect(refused).toBe(5);
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(perIp);
  });
});

import { describe, expect, it } from 'vitest';
import { startMailDesk, SUPPORT } from './mail-support.js';

/**
 * Issue 10: "Auto-replies go to forged From addresses and carry the attacker's subject. Once
 * SMTP_URL is set, that makes the service a backscatter reflector."
 */
describe('automatic answers', () => {
  it('never go to a From address its domain does not vouch for', async () => {
    const { attacker, sink, handle } = await startMailDesk();
    await attacker.sendMail({ from: 'stranger@example.com', to: SUPPORT, subject: '求助', text: '学籍信息里没有我的本科学历，怎么办？' });
    // The mail is kept for the agents, but nobody is written to.
    expect(await handle.tickets.list()).toHaveLength(1);
    expect(sink.messages).toEqual([]);
  });

  it('never repeat the incoming subject', async () => {
    const { user, sink } = await startMailDesk();
    await user.sendMail({
      from: 'xiaoming@example.com',
      to: SUPPORT,
      subject: '恭喜中奖！点击 http://spam.example/win 领取 iPhone',
      text: '学籍信息里没有我的本科学历，怎么办？',
    });
    expect(sink.messages).toHaveLength(1);
    const ack = sink.messages[0]!.mail;
    expect(ack.subject).toMatch(/^\[工单 T\d{12}\] 我们已收到您的邮件$/);
    expect(ack.text).not.toContain('spam.example');
  });
});

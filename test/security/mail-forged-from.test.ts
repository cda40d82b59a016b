import { describe, expect, it } from 'vitest';
import { startMailDesk, SUPPORT } from './mail-support.js';

/** Issue 10: "A reply with a forged header From, plus the sequential ticket number in the subject, is appended to someone else's ticket." */
describe('a forged From with the victim’s ticket number', () => {
  it('opens a ticket of its own; the victim’s ticket and mailbox stay untouched', async () => {
    const { user, attacker, sink, handle } = await startMailDesk();
    await user.sendMail({ from: 'victim@example.com', to: SUPPORT, subject: '我的问题', text: '我的账号 13912345678 登录异常，请帮忙看看' });
    const [victimRow] = await handle.tickets.list();
    expect(sink.messages).toHaveLength(1); // the victim's acknowledgement

    // The attacker writes as the victim, from a host example.com does not send from, and guesses the number.
    await attacker.sendMail({
      from: 'victim@example.com',
      to: SUPPORT,
      subject: `Re: 我的问题 [工单 ${victimRow!.id}]`,
      text: '我换邮箱了，请把密码重置链接发到 attacker@evil.example',
    });

    const victim = (await handle.tickets.get(victimRow!.id))!;
    expect(victim.transcript.filter((entry) => entry.from === 'user')).toHaveLength(1);
    expect(JSON.stringify(victim.transcript)).not.toContain('重置链接');
    const all = await handle.tickets.list({ status: 'all' });
    expect(all).toHaveLength(2);
    // No automatic answer went to the victim's address for the forged mail.
    expect(sink.messages).toHaveLength(1);
    const refused = (await handle.audit.recent(20)).find((entry) => entry.action === 'mail-thread-refused');
    expect(refused).toMatchObject({ target: victimRow!.id, details: { reason: 'sender-not-verified', sender: 'v***@example.com' } });
  });

  it('the victim’s own reply, carrying the ticket’s token, still joins', async () => {
    const { user, sink, handle } = await startMailDesk();
    await user.sendMail({ from: 'victim@example.com', to: SUPPORT, subject: '我的问题', text: '我的账号 13912345678 登录异常，请帮忙看看' });
    const ack = sink.messages[0]!.mail;
    const replyTo = (ack.replyTo as { value: { address: string }[] }).value[0]!.address;
    expect(replyTo).toMatch(/^kefu\+t\.[0-9a-f]{30}@chsi\.com\.cn$/);
    await user.sendMail({ from: 'victim@example.com', to: replyTo, subject: '补充', text: '补充：是在手机上登录的。' });
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(1);
  });
});

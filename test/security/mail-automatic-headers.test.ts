import { describe, expect, it } from 'vitest';
import { startMailDesk, SUPPORT } from './mail-support.js';

/** Issue 10: "The List-Id check is dead code." List mail, Auto-Submitted and Precedence are honoured. */
describe('mail no person wrote', () => {
  it('gets no automatic answer: List-Id, List-Unsubscribe, Auto-Submitted, Precedence', async () => {
    const { user, sink, handle } = await startMailDesk();
    const question = '学籍信息里没有我的本科学历，怎么办？';
    await user.sendMail({ from: 'list@example.com', to: SUPPORT, subject: '周报', text: question, headers: { 'List-Id': '<weekly.example.com>' } });
    await user.sendMail({
      from: 'news@example.com',
      to: SUPPORT,
      subject: '订阅',
      text: question,
      headers: { 'List-Unsubscribe': '<mailto:leave@example.com>' },
    });
    await user.sendMail({ from: 'bot@example.com', to: SUPPORT, subject: '通知', text: question, headers: { 'Auto-Submitted': 'auto-generated' } });
    await user.sendMail({ from: 'junk@example.com', to: SUPPORT, subject: '广告', text: question, headers: { Precedence: 'junk' } });
    expect(sink.messages).toEqual([]);
    expect(await handle.tickets.list({ status: 'all' })).toEqual([]);

    // An ordinary mail from the same domain is answered.
    await user.sendMail({ from: 'person@example.com', to: SUPPORT, subject: '求助', text: question });
    expect(sink.messages).toHaveLength(1);
  });
});

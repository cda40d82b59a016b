import { describe, expect, it } from 'vitest';
import { TestClock } from '../helpers/clock.js';
import { fakeDns } from './email-dns.js';
import { mailClient, startMailSink } from './mail-support.js';
import { startHelpdesk } from './support.js';

const SUPPORT = 'kefu@chsi.com.cn';

async function startWithSink(clock = new TestClock()) {
  const sink = await startMailSink();
  const harness = await startHelpdesk({ clock, env: { SMTP_URL: sink.url, SUPPORT_EMAIL: SUPPORT }, module: { mailDnsResolver: fakeDns } });
  return { ...harness, sink, mail: mailClient(harness.helpdesk.smtpPort!) };
}

describe('a reply that lost its ticket tag and threading headers', () => {
  it('joins its ticket by sender, open ticket and subject when the sender’s domain vouches for it', async () => {
    const { mail, handle } = await startWithSink();
    await mail.sendMail({ from: 'xiaoming@example.com', to: SUPPORT, subject: '登录不了', text: '用户名 13912345678，登录时提示密码错误。' });
    const [row] = await handle.tickets.list();

    // The user's client wrote a fresh mail: no tag, no In-Reply-To, no References, plain address.
    await mail.sendMail({ from: 'xiaoming@example.com', to: SUPPORT, subject: '回复：登录不了', text: '补充：换了浏览器也一样。' });
    await mail.sendMail({ from: 'XiaoMing@Example.com', to: SUPPORT, subject: 'Re: 答复: 登录不了 ', text: '再补充：手机也登录不了。' });

    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(1);
    const ticket = (await handle.tickets.get(row!.id))!;
    expect(ticket.transcript.filter((entry) => entry.from === 'user').map((entry) => entry.text)).toEqual([
      '用户名 139****5678，登录时提示密码错误。',
      '补充：换了浏览器也一样。',
      '再补充：手机也登录不了。',
    ]);
  });

  it('opens a new ticket when the sender cannot be verified, the subject differs, or the thread went quiet', async () => {
    const clock = new TestClock('2026-11-23T10:00:00+08:00');
    const { mail, handle, sink } = await startWithSink(clock);
    // plain.example publishes no SPF, DKIM or DMARC: anyone could have written this From.
    await mail.sendMail({ from: 'student@plain.example', to: SUPPORT, subject: '学籍问题', text: '学籍信息里没有我的本科学历。' });
    expect(sink.messages).toEqual([]);
    await mail.sendMail({ from: 'student@plain.example', to: SUPPORT, subject: 'Re: 学籍问题', text: '补充一下截图。' });
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(2);

    await mail.sendMail({ from: 'xiaoming@example.com', to: SUPPORT, subject: '登录不了', text: '登录时提示密码错误。' });
    await mail.sendMail({ from: 'xiaoming@example.com', to: SUPPORT, subject: 'Re: 激活邮件', text: '另一个问题：激活邮件收不到。' });
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(4);

    clock.set('2026-12-02T10:00:00+08:00'); // eight days later: past the week-long window
    await mail.sendMail({ from: 'xiaoming@example.com', to: SUPPORT, subject: '回复: 登录不了', text: '还是登录不了。' });
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(5);
  });
});

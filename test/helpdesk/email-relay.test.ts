import { describe, expect, it } from 'vitest';
import { fakeDns } from './email-dns.js';
import { mailClient, startMailSink } from './mail-support.js';
import { startHelpdesk } from './support.js';

const SUPPORT = 'kefu@chsi.com.cn';

/** What the organisation's relay (127.0.0.1 here, listed in SMTP_TRUSTED_RELAYS) adds on top of a mail it received. */
function relayed(fromIp: string, returnPath: string) {
  return {
    Received: `from mail.sender.example ([${fromIp}]) by relay.chsi.com.cn with ESMTPS id 4a1b2c; Mon, 23 Nov 2026 10:00:00 +0800`,
    'Return-Path': `<${returnPath}>`,
  };
}

describe('the listener behind the organisation’s mail relay', () => {
  it('checks SPF for the host the relay received the mail from, not for the relay', async () => {
    const sink = await startMailSink();
    const { helpdesk, handle } = await startHelpdesk({
      env: { SMTP_URL: sink.url, SUPPORT_EMAIL: SUPPORT, SMTP_TRUSTED_RELAYS: '127.0.0.1' },
      module: { mailDnsResolver: fakeDns },
    });
    const relay = mailClient(helpdesk.smtpPort!);

    // example.com sends from 127.0.0.1: a genuine mail, handed over by the relay, is acknowledged.
    await relay.sendMail({
      from: 'xiaoming@example.com',
      to: SUPPORT,
      subject: '登录不了',
      text: '登录时提示密码错误。',
      headers: relayed('127.0.0.1', 'xiaoming@example.com'),
    });
    expect(sink.messages).toHaveLength(1);

    // A forger's mail reached the relay from elsewhere: same relay, but SPF fails for the real sender.
    await relay.sendMail({
      from: 'victim@example.com',
      to: SUPPORT,
      subject: '求助',
      text: '请把我的密码重置链接发到新邮箱。',
      headers: relayed('203.0.113.9', 'victim@example.com'),
    });
    expect(sink.messages).toHaveLength(1);
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(2);
  });
});

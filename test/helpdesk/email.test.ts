import { describe, expect, it } from 'vitest';
import { ADMIN, AgentClient, pngImage, startHelpdesk } from './support.js';
import { fakeDns } from './email-dns.js';
import { mailClient, sendRaw, startMailSink } from './mail-support.js';

const SUPPORT = 'kefu@chsi.com.cn';

async function startWithSink() {
  const sink = await startMailSink();
  const harness = await startHelpdesk({ env: { SMTP_URL: sink.url, SUPPORT_EMAIL: SUPPORT }, module: { mailDnsResolver: fakeDns } });
  const port = harness.helpdesk.smtpPort!;
  return { ...harness, sink, port, mail: mailClient(port) };
}

function header(value: unknown): string {
  return Array.isArray(value) ? value.join(' ') : String(value ?? '');
}

describe('ticket e-mail on loopback', () => {
  it('mail in → ticket → agent reply out, threaded → the user’s reply joins the same ticket', async () => {
    const { sink, mail, baseUrl, handle } = await startWithSink();

    await mail.sendMail({
      from: '小明 <xiaoming@example.com>',
      to: SUPPORT,
      subject: '登录不了',
      text: '我的用户名是 13912345678，登录时一直提示密码错误，重置密码也不行。',
      messageId: '<first-1@example.com>',
      attachments: [{ filename: 'login.png', content: pngImage().data, contentType: 'application/octet-stream' }],
    });

    const [row] = await handle.tickets.list();
    const ticket = (await handle.tickets.get(row!.id))!;
    expect(ticket).toMatchObject({ channel: 'email', userId: 'xiaoming@example.com', username: '13912345678', conversationId: null });
    expect(ticket.description).toContain('登录时一直提示密码错误');
    expect(ticket.screenshots).toHaveLength(1);
    expect(ticket.screenshots[0]!.type).toBe('image/png');

    // The automatic acknowledgement (the sender's domain vouches for it): threaded, marked
    // automatic, nothing missing, replies going to the ticket's own address.
    expect(sink.messages).toHaveLength(1);
    const ack = sink.messages[0]!.mail;
    expect(ack.to && header((ack.to as { text: string }).text)).toContain('xiaoming@example.com');
    expect(ack.inReplyTo).toBe('<first-1@example.com>');
    expect(ack.headers.get('auto-submitted')).toBe('auto-replied');
    expect(ack.subject).toBe(`[工单 ${ticket.id}] 我们已收到您的邮件`);
    expect(header((ack.replyTo as { text: string }).text)).toBe(`kefu+t.${ticket.email!.token}@chsi.com.cn`);
    expect(ack.text).toContain(`工单号 ${ticket.id}`);
    expect(ack.text).toContain('最晚 2026-11-26（周四）10:00 前');
    expect(ack.text).not.toContain('请直接回复本邮件补充以下内容');

    // The agent answers through the API; the reply goes out threaded, as a person's mail.
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const reply = await admin.post(`/api/agent/tickets/${ticket.id}/replies`, { text: '您好，请先在找回密码页面用手机验证码重置。' });
    expect(reply.status).toBe(201);
    expect((await reply.json()).delivery).toBe('sent');
    expect(sink.messages).toHaveLength(2);
    const answer = sink.messages[1]!;
    expect(answer.to).toEqual(['xiaoming@example.com']);
    expect(answer.mail.subject).toBe(`Re: 登录不了 [工单 ${ticket.id}]`);
    expect(answer.mail.inReplyTo).toBe('<first-1@example.com>');
    expect(header(answer.mail.references)).toContain('<first-1@example.com>');
    expect(header(answer.mail.references)).toContain(ack.messageId!);
    expect(answer.mail.headers.get('auto-submitted')).toBeUndefined();
    // The agent greeted already: the mail does not greet twice.
    expect(answer.mail.text).toMatch(/^您好，请先在找回密码页面用手机验证码重置/);

    // The user answers the agent's mail, quoting it: the new part joins the same ticket.
    await mail.sendMail({
      from: 'xiaoming@example.com',
      to: SUPPORT,
      subject: `Re: ${answer.mail.subject}`,
      text: `试过了，验证码一直收不到。\n\n在 2026年11月23日 写道：\n> 您好，请先在找回密码页面用手机验证码重置。`,
      messageId: '<second-2@example.com>',
      inReplyTo: answer.mail.messageId,
      references: [...(answer.mail.references as string[]), answer.mail.messageId!],
    });
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(1);
    const updated = (await handle.tickets.get(ticket.id))!;
    expect(updated.transcript.at(-1)).toMatchObject({ from: 'user', text: '试过了，验证码一直收不到。' });
    expect(updated.waitingOn).toBe('agent');
    // No second acknowledgement for a follow-up.
    expect(sink.messages).toHaveLength(2);

    // The next agent reply answers the user's latest mail.
    await admin.post(`/api/agent/tickets/${ticket.id}/replies`, { text: '已为您人工核实手机号。' });
    expect(sink.messages[2]!.mail.inReplyTo).toBe('<second-2@example.com>');
  });

  it('asks by automatic reply for what a new mail lacks', async () => {
    const { sink, mail, handle } = await startWithSink();
    await mail.sendMail({ from: 'user2@example.com', to: SUPPORT, subject: '求助', text: '学籍信息里没有我的本科学历，怎么办？' });
    const [row] = await handle.tickets.list();
    expect(row).toMatchObject({ channel: 'email', username: null });
    const ack = sink.messages[0]!.mail;
    expect(ack.text).toContain('请直接回复本邮件补充以下内容');
    expect(ack.text).toContain('学信网用户名');
    expect(ack.text).toContain('问题页面的截图');
    expect(ack.text).not.toContain('- 问题描述');

    // The answer with the missing items fills them in.
    await mail.sendMail({
      from: 'user2@example.com',
      to: SUPPORT,
      subject: 'Re: 求助',
      text: '用户名 110105200101011235',
      inReplyTo: ack.messageId,
      references: [ack.messageId!],
      attachments: [{ filename: 'xueji.png', content: pngImage().data }],
    });
    const ticket = (await handle.tickets.get(row!.id))!;
    expect(ticket.username).toBe('110105200101011235');
    expect(ticket.screenshots).toHaveLength(1);
    // The ID number is never stored in full in the transcript.
    expect(JSON.stringify(ticket.transcript)).not.toContain('110105200101011235');
  });

  it('never answers auto-replies, bounces or its own mail', async () => {
    const { sink, mail, port, handle } = await startWithSink();
    await mail.sendMail({
      from: 'away@example.com',
      to: SUPPORT,
      subject: '自动回复：休假中',
      text: '我正在休假。',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    await mail.sendMail({ from: 'news@example.com', to: SUPPORT, subject: '月报', text: '本月新闻很多很多。', headers: { Precedence: 'bulk' } });
    await mail.sendMail({
      from: 'robot@example.com',
      to: SUPPORT,
      subject: 'Out of office',
      text: 'I am away this week.',
      headers: { 'X-Autoreply': 'yes' },
    });
    await mail.sendMail({ from: SUPPORT, to: SUPPORT, subject: '我们自己的信', text: '不应该变成工单。' });
    const bounce = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
      `To: ${SUPPORT}`,
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <bounce-1@mx.example.com>',
      '',
      'This is the mail system. Your message could not be delivered.',
    ].join('\n');
    expect(await sendRaw(port, { from: '', to: [SUPPORT] }, bounce)).toBe(250);
    expect(await sendRaw(port, { from: 'someone@example.com', to: [SUPPORT] }, bounce.replace('bounce-1', 'bounce-2'))).toBe(250);

    expect(await handle.tickets.list({ status: 'all' })).toEqual([]);
    expect(sink.messages).toEqual([]);

    // A real mail gets one acknowledgement; when that comes back to us, it is recognised as ours.
    await mail.sendMail({ from: 'real@example.com', to: SUPPORT, subject: '真实问题', text: '手机号换了，收不到验证码，怎么办呢' });
    expect(sink.messages).toHaveLength(1);
    expect(await sendRaw(port, { from: SUPPORT, to: [SUPPORT] }, sink.messages[0]!.raw.toString('utf8'))).toBe(250);
    expect(await handle.tickets.list({ status: 'all' })).toHaveLength(1);
    expect(sink.messages).toHaveLength(1);

    // An out-of-office answer to our acknowledgement is kept on the ticket, unanswered.
    await mail.sendMail({
      from: 'real@example.com',
      to: SUPPORT,
      subject: '自动回复',
      text: '我在休假。',
      inReplyTo: sink.messages[0]!.mail.messageId,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const [row] = await handle.tickets.list();
    const ticket = (await handle.tickets.get(row!.id))!;
    expect(ticket.transcript.at(-1)).toMatchObject({ from: 'user', automatic: true });
    expect(ticket.waitingOn).toBe('agent');
    expect(sink.messages).toHaveLength(1);
  });

  it('refuses a forged In-Reply-To or ticket number from another sender: it opens its own ticket', async () => {
    const { sink, mail, handle } = await startWithSink();
    await mail.sendMail({
      from: 'victim@example.com',
      to: SUPPORT,
      subject: '我的问题',
      text: '我的账号 13912345678 登录异常，请帮忙看看',
      messageId: '<victim-1@example.com>',
    });
    const [victimRow] = await handle.tickets.list();
    const ack = sink.messages[0]!.mail;

    await mail.sendMail({
      from: 'attacker@evil.example',
      to: SUPPORT,
      subject: `Re: 我的问题 [工单 ${victimRow!.id}]`,
      text: '请把这个账号的密码重置发到我的邮箱',
      inReplyTo: '<victim-1@example.com>',
      references: ['<victim-1@example.com>', ack.messageId!],
    });
    await mail.sendMail({ from: 'attacker@evil.example', to: SUPPORT, subject: `[工单 ${victimRow!.id}] 补充`, text: '再补充一点内容，请尽快处理' });

    const victim = (await handle.tickets.get(victimRow!.id))!;
    expect(victim.transcript.filter((entry) => entry.from === 'user')).toHaveLength(1);
    expect(JSON.stringify(victim.transcript)).not.toContain('重置发到我的邮箱');
    const all = await handle.tickets.list({ status: 'all' });
    expect(all).toHaveLength(3);
    expect(all.filter((row) => row.id !== victimRow!.id).every((row) => row.summary.includes('工单') || row.summary.includes('我的问题'))).toBe(true);
    const refused = (await handle.audit.recent(20)).filter((entry) => entry.action === 'mail-thread-refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]!.target).toBe(victimRow!.id);
  });

  it('sanitises HTML mail and escapes subjects and file names in the console', async () => {
    const { mail, baseUrl, handle } = await startWithSink();
    await mail.sendMail({
      from: 'html@example.com',
      to: SUPPORT,
      subject: '<script>alert("subject")</script>',
      html: '<p>你好，<b>页面</b>打不开</p><script>alert("body")</script><img src=x onerror="alert(1)"><a href="javascript:alert(2)">点我</a><a href="https://www.chsi.com.cn/">学信网</a>',
      attachments: [{ filename: '<img src=x onerror=alert(3)>.png', content: pngImage().data }],
    });
    const [row] = await handle.tickets.list();
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const page = await admin.pageHtml(`/console/tickets/${row!.id}`);
    expect(page).toContain('<p>你好，<b>页面</b>打不开</p>');
    expect(page).toContain('href="https://www.chsi.com.cn/"');
    expect(page).not.toContain('alert("body")');
    expect(page).not.toContain('javascript:');
    expect(page).not.toMatch(/<img src="?x/);
    expect(page).not.toContain('<script>alert("subject")</script>');
    expect(page).toContain('&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(3)&gt;.png');
    const queue = await admin.pageHtml('/console/tickets');
    expect(queue).not.toContain('<script>alert("subject")');
    expect(queue).toContain('&lt;script&gt;');
  });

  it('keeps agent mail in the sent-mail store when SMTP_URL is not set, and says so', async () => {
    const harness = await startHelpdesk({ env: { SUPPORT_EMAIL: SUPPORT }, module: { mailDnsResolver: fakeDns } });
    const mail = mailClient(harness.helpdesk.smtpPort!);
    await mail.sendMail({
      from: 'nosmtp@example.com',
      to: SUPPORT,
      subject: '问题',
      text: '用户名 13912345678，激活邮件收不到',
      attachments: [{ filename: 'a.png', content: pngImage().data }],
    });
    const [row] = await harness.handle.tickets.list();
    const admin = await AgentClient.login(harness.baseUrl, ADMIN.username, ADMIN.password);
    const reply = await admin.post(`/api/agent/tickets/${row!.id}/replies`, { text: '请检查垃圾邮件文件夹。' });
    expect((await reply.json()).delivery).toBe('stored');
    const sent = await harness.handle.mailer.list();
    expect(sent.map((item) => [item.status, item.automatic])).toEqual([
      ['stored', false],
      ['stored', true],
    ]);
    expect(sent[0]!.text).toContain('请检查垃圾邮件文件夹');
    const outbox = await admin.pageHtml('/console/outbox');
    expect(outbox).toContain('仅保存');
    expect(outbox).toContain(row!.id);
  });

  it('registers an e-mail sender on the delivery router for mail outside any ticket', async () => {
    const { sink, service } = await startWithSink();
    await service.service.context.delivery.deliver('email', 'someone@example.com', [{ type: 'text', text: '您的问题已处理。' }]);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.mail.subject).toBe('学信网客服通知');
    expect(sink.messages[0]!.mail.text).toContain('您的问题已处理。');
  });
});

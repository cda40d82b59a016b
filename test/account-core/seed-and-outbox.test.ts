import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { createEmbeddedAccountCore, seedAccountCore } from '../../src/account-core/embedded-core.js';
import { createEmbeddedOutbox, createMailForwardingOutbox, createSmtpMailSender, type MailSender } from '../../src/account-core/outbox.js';
import { parseAccountSeed, readAccountSeedFile } from '../../src/account-core/seed.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { tempDir } from '../helpers/temp-dir.js';
import { createSeededCore, createTestClock, demoSeedFile, expectOk, fastHasher, PUBLIC_URL, render } from './harness.js';

const validAccount = {
  username: '13912345678',
  password: 'Demo@2024a',
  name: '李明',
  idType: 'resident-id',
  idNumber: '110105200101011235',
  phone: '13912345678',
  email: null,
  emailActivated: false,
  securityQuestions: [],
  realNameBound: true,
  createdAt: '2019-09-01T10:00:00+08:00',
};

describe('account seed file', () => {
  it('loads the demo file', async () => {
    const seed = await readAccountSeedFile(demoSeedFile);
    expect(seed.accounts).toHaveLength(7);
    expect(seed.pendingReviewIds).toEqual(['320102200305052346']);
  });

  it('names the broken field', () => {
    const { idNumber: _, ...noId } = validAccount;
    expect(() => parseAccountSeed({ accounts: [noId] })).toThrow(/accounts\[0\]\.idNumber/);
    expect(() => parseAccountSeed({ accounts: [validAccount, { ...validAccount, username: 'x@y.cn', idNumber: '110105200101011234' }] })).toThrow(
      /accounts\[1\]\.idNumber: invalid resident-id number \(check-digit\)/,
    );
    expect(() => parseAccountSeed({ accounts: [{ ...validAccount, createdAt: 'yesterday' }] })).toThrow(/accounts\[0\]\.createdAt/);
    expect(() => parseAccountSeed({ accounts: [validAccount, validAccount] })).toThrow(/accounts\[1\]\.username: duplicate/);
    expect(() => parseAccountSeed({ accounts: [validAccount], pendingReviewIds: ['12'] })).toThrow(/pendingReviewIds\[0\]/);
    expect(() => parseAccountSeed({})).toThrow(/accounts/);
  });

  it('names the file when it is not JSON', async () => {
    const file = path.join(tempDir(), 'broken.json');
    writeFileSync(file, '{"accounts": [');
    await expect(readAccountSeedFile(file)).rejects.toThrow(/broken\.json/);
  });

  it('imports only into a store that was never seeded', async () => {
    const { core } = await createSeededCore();
    expect(await seedAccountCore(core, demoSeedFile)).toEqual({ imported: false, accounts: 0 });
  });
});

describe('outbox', () => {
  it('stores messages newest first and filters by recipient', async () => {
    const clock = createTestClock();
    const outbox = createEmbeddedOutbox(createMemoryStorage(), clock.now);
    await outbox.send({ channel: 'sms', to: '13912345678', body: 'a' });
    clock.advance(1000);
    await outbox.send({ channel: 'email', to: 'A@Example.com', subject: 's', body: 'b' });
    expect((await outbox.list()).map((m) => m.body)).toEqual(['b', 'a']);
    expect((await outbox.list({ recipient: 'a@example.com' })).map((m) => m.body)).toEqual(['b']);
    expect(await outbox.list({ limit: 1 })).toHaveLength(1);
  });

  it('forwards e-mail through SMTP (a loopback server) and keeps a copy', async () => {
    const received: { to: string; subject: string; text: string }[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const to = Array.isArray(mail.to) ? mail.to[0]?.text : mail.to?.text;
            received.push({ to: to ?? '', subject: mail.subject ?? '', text: mail.text ?? '' });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    const mail = createSmtpMailSender(`smtp://127.0.0.1:${port}`);
    try {
      const clock = createTestClock();
      const storage = createMemoryStorage();
      const outbox = createMailForwardingOutbox(createEmbeddedOutbox(storage, clock.now), { mail, from: 'kefu@chsi.com.cn' });
      const core = createEmbeddedAccountCore({
        storage,
        render,
        calendar: new WorkingDayCalendar(),
        outbox,
        publicUrl: PUBLIC_URL,
        clock: clock.now,
        passwordHasher: fastHasher,
      });
      await seedAccountCore(core, demoSeedFile);
      expectOk(await core.sendResetEmail({ username: '13912345678' }));
      expectOk(await core.sendSmsCode({ username: '13912345678', purpose: 'reset-password' }));
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ to: 'liming@example.com', subject: '学信网重置密码邮件' });
      expect(received[0]!.text).toContain(`${PUBLIC_URL}/core/reset/`);
      expect(expectOk(await core.listOutbox({})).messages.map((m) => m.channel)).toEqual(['sms', 'email']);
    } finally {
      mail.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reports a failed e-mail as unavailable instead of claiming it was sent', async () => {
    const clock = createTestClock();
    const storage = createMemoryStorage();
    const failing: MailSender = { sendMail: async () => Promise.reject(new Error('connection refused')) };
    const outbox = createMailForwardingOutbox(createEmbeddedOutbox(storage, clock.now), { mail: failing, from: 'kefu@chsi.com.cn' });
    const core = createEmbeddedAccountCore({
      storage,
      render,
      calendar: new WorkingDayCalendar(),
      outbox,
      publicUrl: PUBLIC_URL,
      clock: clock.now,
      passwordHasher: fastHasher,
    });
    await seedAccountCore(core, demoSeedFile);
    const result = await core.sendResetEmail({ username: '13912345678' });
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(result.ok || result.error.message).toContain('邮件暂时发送失败');
  });
});

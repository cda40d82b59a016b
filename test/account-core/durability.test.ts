import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStorage } from '../../src/storage/open-storage.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import type { Storage } from '../../src/storage/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import { createSeededCore, createTestClock, expectOk, latestCode, photo, SECOND } from './harness.js';

const NEWCOMER = {
  username: '13811112222',
  phone: '13811112222',
  password: 'Newpass2024',
  name: '李明',
  idType: 'resident-id' as const,
  idNumber: '110105200101011235',
  reRegister: true,
};

describe('durability on SQLite storage', () => {
  it('keeps every acknowledged change across a crash and restart', async () => {
    const dir = tempDir();
    const clock = createTestClock();
    // First process: never closed, as if killed.
    const first = await createSeededCore({ storage: createSqliteStorage(dir), clock });
    expectOk(await first.core.register(NEWCOMER));
    const review = expectOk(await first.core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }));
    expectOk(await first.core.sendSmsCode({ username: '13912345678', purpose: 'reset-password' }));
    const code = await latestCode(first.core, '13912345678');
    expectOk(await first.core.startBinding({ channelUserId: 'wx-1', username: 'wangfang@example.com', via: 'email' }));
    expectOk(await first.core.confirmBinding({ channelUserId: 'wx-1', code: await latestCode(first.core, 'wangfang@example.com') }));

    const second = await createSeededCore({ storage: createSqliteStorage(dir), clock });
    expect(expectOk(await second.core.getAccount({ username: NEWCOMER.username })).state).toBe('duplicate-unverified');
    expect(expectOk(await second.core.getDuplicateStatus({ username: NEWCOMER.username }))).toMatchObject({ state: 'pending', uploadsTotal: 1 });
    expect(expectOk(await second.core.listReviews({ status: 'pending' })).reviews.map((r) => r.id)).toEqual([review.id]);
    expect(expectOk(await second.core.getBinding({ channelUserId: 'wx-1' })).maskedUsername).toBe('w***@example.com');
    // The 60-second rule survived the restart, and so did the code.
    expectError(await second.core.sendSmsCode({ username: '13912345678', purpose: 'reset-password' }), 'send_too_soon');
    expectOk(await second.core.verifySmsCode({ username: '13912345678', code }));
    expectError(await second.core.getAccount({ username: '13900000000' }), 'not_registered');
    await second.storage.close();
  });

  it('seeds only once, and hashes seeded passwords and answers', async () => {
    const dir = tempDir();
    const clock = createTestClock();
    const first = await createSeededCore({ storage: createSqliteStorage(dir), clock });
    expectOk(
      await first.core.verifySecurityAnswers({ username: '13912345678', answers: ['王秀英'] }).then(async (grant) => {
        if (!grant.ok) return grant;
        return first.core.resetPassword({ token: grant.value.resetToken, newPassword: 'Changed2025' });
      }),
    );
    await first.storage.close();

    const second = await createSeededCore({ storage: createSqliteStorage(dir), clock });
    expectOk(await second.core.login({ username: '13912345678', password: 'Changed2025' }));
    await second.storage.close();

    // Whatever the engine keeps on disk (database, write-ahead log) holds hashes only.
    const stored = readdirSync(dir)
      .map((name) => readFileSync(path.join(dir, name)).toString('utf8'))
      .join('\n');
    expect(stored).toContain('$argon2id$');
    expect(stored).not.toMatch(/Demo@2024|Changed2025|王秀英/);
  });
});

describe.each([
  ['memory', () => createMemoryStorage()],
  ['sqlite', () => createSqliteStorage(tempDir())],
])('concurrent requests on %s storage', (_name, makeStorage: () => Storage) => {
  it('sends one SMS when ten arrive at once (60 s rule), and counts it once', async () => {
    const { core, clock } = await createSeededCore({ storage: makeStorage() });
    const results = await Promise.all(Array.from({ length: 10 }, () => core.sendSmsCode({ username: '13912345678', purpose: 'reset-password' })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.error.code === 'send_too_soon')).toHaveLength(9);
    clock.advance(61 * SECOND);
    expect(expectOk(await core.sendSmsCode({ username: '13912345678', purpose: 'reset-password' })).remainingToday).toBe(3);
  });

  it('lets exactly 5 of 8 parallel classmate requests through', async () => {
    const { core } = await createSeededCore({ storage: makeStorage() });
    expectOk(await core.register(NEWCOMER));
    const ask = () =>
      core.requestClassmateAssist({ username: NEWCOMER.username, classmateName: '王芳', classmatePhone: '13700001111', ownPhone: NEWCOMER.phone });
    const results = await Promise.all(Array.from({ length: 8 }, ask));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(expectOk(await core.listInbox({ username: 'wangfang@example.com' })).requests).toHaveLength(5);
  });

  it('accepts one of several parallel photo submissions and counts one upload', async () => {
    const { core } = await createSeededCore({ storage: makeStorage() });
    expectOk(await core.register(NEWCOMER));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username }))).toMatchObject({ uploadsToday: 1, uploadsTotal: 1 });
    expect(expectOk(await core.listReviews({ status: 'pending' })).reviews).toHaveLength(1);
  });

  it('registers one account when the same username or the same free ID arrive together', async () => {
    const { core } = await createSeededCore({ storage: makeStorage() });
    const sameUsername = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        core.register({
          username: 'x@example.com',
          email: 'x@example.com',
          password: 'Abcdefg1',
          name: '周杰',
          idType: 'other',
          idNumber: `E1234567${i}`,
        }),
      ),
    );
    expect(sameUsername.filter((r) => r.ok)).toHaveLength(1);
    const sameId = await Promise.all(
      ['13300000001', '13300000002', '13300000003'].map((phone) =>
        core.register({ username: phone, phone, password: 'Abcdefg1', name: '钱七', idType: 'resident-id', idNumber: '110105200505051233' }),
      ),
    );
    expect(sameId.filter((r) => r.ok)).toHaveLength(1);
    expect(sameId.filter((r) => !r.ok && r.error.code === 'id_taken')).toHaveLength(2);
  });

  it('decides a review once when two agents decide at the same time', async () => {
    const { core } = await createSeededCore({ storage: makeStorage() });
    expectOk(await core.register(NEWCOMER));
    const review = expectOk(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }));
    const [approve, reject] = await Promise.all([
      core.decideReview({ reviewId: review.id, decision: 'approve', agent: 'agent-a' }),
      core.decideReview({ reviewId: review.id, decision: 'reject', reason: '照片不符合要求', agent: 'agent-b' }),
    ]);
    expect([approve.ok, reject.ok].filter(Boolean)).toHaveLength(1);
  });

  it('counts every one of many parallel wrong passwords', async () => {
    const { core } = await createSeededCore({ storage: makeStorage() });
    // Five failures are free; the sixth, counted although all arrive at once, starts the growing delay.
    await Promise.all(Array.from({ length: 6 }, () => core.login({ username: '13912345678', password: 'wrong1234' })));
    expectError(await core.login({ username: '13912345678', password: 'Demo@2024a' }), 'rate_limited');
  });
});

function expectError(result: { ok: boolean; error?: { code: string } }, code: string): void {
  expect(result.ok).toBe(false);
  expect(result.error?.code).toBe(code);
}

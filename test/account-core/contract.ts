import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDigitFor, toFifteenDigit } from '../../src/domain/id-number.js';
import { maskIdNumber } from '../../src/privacy/mask.js';
import type { AccountCore, RegistrationInput } from '../../src/account-core/types.js';
import {
  DAY,
  expectError,
  expectOk,
  HOUR,
  latestCode,
  latestLinkToken,
  latestMessage,
  photo,
  SECOND,
  type CoreHarness,
  type TestClock,
} from './harness.js';

// Demo accounts (src/account-core/demo-accounts.json).
const LI_MING = {
  username: '13912345678',
  password: 'Demo@2024a',
  name: '李明',
  id: '110105200101011235',
  phone: '13912345678',
  email: 'liming@example.com',
};
const WANG_FANG = { username: 'wangfang@example.com', password: 'Demo@2024b', name: '王芳', phone: '13700001111', id: '110101200202020207' };
const CHEN_JING = { username: '440306200203154564', name: '陈静', password: 'Demo@2024c' };
const ZHANG_WEI = { username: '18800002222', name: '张伟', phone: '18800002222' };
const SUN_LI = { username: 'sunli@example.com', name: '孙丽', id: '11010519491231002X' };
const LIU_YANG = { username: '15500004444', name: '刘洋', id: '61011320020808888X' };
const PENDING_ID = '320102200305052346';

const residentId = (first17: string) => first17 + checkDigitFor(first17);
const FREE_ID = residentId('11010520050505123');

/** Someone who never used 学信网 and whose ID number is 李明's (我要重新注册). */
const NEWCOMER: RegistrationInput = {
  username: '13811112222',
  password: 'Newpass2024',
  name: '李明',
  idType: 'resident-id',
  idNumber: LI_MING.id,
  phone: '13811112222',
  reRegister: true,
};

/**
 * The behaviour every AccountCore must show, as users meet it. Run against the embedded core
 * and against the HTTP client talking to a live server; callers cannot tell them apart.
 */
export function describeAccountCoreContract(name: string, makeHarness: () => Promise<CoreHarness>): void {
  describe(`AccountCore contract: ${name}`, () => {
    let core: AccountCore;
    let clock: TestClock;
    let harness: CoreHarness;

    beforeEach(async () => {
      // Only Date is faked: the limiters' windows follow the test clock, sockets and timeouts stay real.
      vi.useFakeTimers({ toFake: ['Date'] });
      harness = await makeHarness();
      core = harness.core;
      clock = harness.clock;
    });
    afterEach(async () => {
      await harness.close();
      vi.useRealTimers();
    });

    async function reRegisterNewcomer(overrides: Partial<RegistrationInput> = {}) {
      return expectOk(await core.register({ ...NEWCOMER, ...overrides }));
    }
    async function uploadAndReject(username = NEWCOMER.username) {
      const review = expectOk(await core.submitPhotoReview({ username, front: photo('jpeg'), back: photo('png') }));
      expectOk(await core.decideReview({ reviewId: review.id, decision: 'reject', reason: '照片不符合要求', agent: 'agent-wu' }));
      return review;
    }
    const tomorrowMorning = () => {
      // 09:00 Beijing time on the next calendar day.
      const beijing = new Date(clock.now().getTime() + 8 * HOUR);
      const next = Date.UTC(beijing.getUTCFullYear(), beijing.getUTCMonth(), beijing.getUTCDate() + 1, 1, 0, 0);
      clock.set(new Date(next).toISOString());
    };

    describe('ID numbers', () => {
      it('tells free, registered and pending-review numbers apart', async () => {
        expect(expectOk(await core.getIdStatus({ idNumber: FREE_ID })).status).toBe('free');
        expect(expectOk(await core.getIdStatus({ idNumber: LI_MING.id })).status).toBe('registered');
        expect(expectOk(await core.getIdStatus({ idNumber: PENDING_ID })).status).toBe('pending-review');
      });

      it('says exactly what is wrong with a malformed number', async () => {
        expect(expectError(await core.getIdStatus({ idNumber: '11010520010101123' }), 'invalid_id_number')).toContain('17位');
        expect(expectError(await core.getIdStatus({ idNumber: '110105200102301235' }), 'invalid_id_number')).toContain('出生日期');
        expect(expectError(await core.getIdStatus({ idNumber: '110105200101011234' }), 'invalid_id_number')).toContain('校验位应为 5');
        expectError(await core.getIdStatus({ idNumber: '11010520010101123Y' }), 'invalid_id_number');
        expectError(await core.getIdStatus({ idNumber: '' }), 'invalid_id_number');
      });

      it('accepts a lowercase x, spaces and full-width digits', async () => {
        expect(expectOk(await core.getIdStatus({ idNumber: ' 110105 19491231 002x ' })).status).toBe('registered');
        expect(expectOk(await core.getIdStatus({ idNumber: '１１０１０５２００１０１０１１２３５' })).status).toBe('registered');
      });

      it('accepts the 15-digit old number, which the 征兵 registration does not block', async () => {
        const fifteen = toFifteenDigit(LIU_YANG.id);
        expect(expectOk(await core.getIdStatus({ idNumber: LIU_YANG.id })).status).toBe('registered');
        expect(expectOk(await core.getIdStatus({ idNumber: fifteen })).status).toBe('free');
        const student = expectOk(
          await core.register({
            username: '13322223333',
            password: 'Student2024',
            name: '刘洋',
            idType: 'resident-id',
            idNumber: fifteen,
            phone: '13322223333',
          }),
        );
        expect(student).toMatchObject({ maskedIdNumber: maskIdNumber(fifteen), state: 'active' });
      });

      it('takes any letters and digits for idType "other"', async () => {
        expect(expectOk(await core.getIdStatus({ idType: 'other', idNumber: 'E12345678' })).status).toBe('free');
        expectError(await core.getIdStatus({ idType: 'other', idNumber: '护照' }), 'invalid_id_number');
      });
    });

    describe('找回用户名', () => {
      it('finds the account by ID number and name, forgiving spaces and a lowercase x; the answer is masked', async () => {
        const alice = core.forEndUser('web:alice');
        const found = expectOk(await alice.findUsername({ idNumber: LI_MING.id, name: '李明' }));
        expect(found.maskedUsername).toBe('139****5678');
        expect(JSON.stringify(found)).not.toContain(LI_MING.username);
        expect(expectOk(await alice.findUsername({ idNumber: '110105 19491231 002x', name: '孙丽' })).maskedUsername).toBe('s***@example.com');
        // The reference names the account again for the same user, and for nobody else.
        expect(expectOk(await alice.getRecoveryMethods({ username: found.accountRef })).methods[0]).toEqual({ kind: 'sms', target: '139****5678' });
        expectError(await core.forEndUser('web:mallory').getRecoveryMethods({ username: found.accountRef }), 'not_registered');
      });

      it('answers "not registered" and "name does not match"', async () => {
        const bob = core.forEndUser('web:bob');
        expect(expectError(await bob.findUsername({ idNumber: FREE_ID, name: '李明' }), 'not_registered')).toContain('尚未注册');
        expect(expectError(await bob.findUsername({ idNumber: LI_MING.id, name: '李敏' }), 'name_mismatch')).toContain('证件和姓名不符合');
      });

      it("a stranger's wrong names limit the stranger, never the owner's own lookup", async () => {
        const stranger = core.forEndUser('web:stranger');
        for (let i = 0; i < 5; i += 1) expectError(await stranger.findUsername({ idNumber: LI_MING.id, name: '李敏' }), 'name_mismatch');
        const refused = await stranger.findUsername({ idNumber: LI_MING.id, name: '李明' });
        expect(expectError(refused, 'rate_limited')).toContain('请求被取消，不能频繁使用该功能');
        expect(refused.ok || refused.error.details?.retryAfterSeconds).toBeGreaterThan(0);
        expectOk(await core.forEndUser('web:owner').findUsername({ idNumber: LI_MING.id, name: '李明' }));
      });

      it('refuses one caller after 5 failures on different IDs, without blocking others, for an hour', async () => {
        const prober = core.forEndUser('wechat:prober');
        for (let i = 0; i < 5; i += 1) {
          expectError(await prober.findUsername({ idNumber: residentId(`1101052005050${5100 + i}`), name: '王五' }), 'not_registered');
        }
        expectError(await prober.findUsername({ idNumber: LI_MING.id, name: '李明' }), 'rate_limited');
        expectOk(await core.forEndUser('wechat:honest').findUsername({ idNumber: LI_MING.id, name: '李明' }));
        clock.advance(HOUR + SECOND);
        expectOk(await prober.findUsername({ idNumber: LI_MING.id, name: '李明' }));
      });

      it('has no failure budget in service scope, which speaks for everybody', async () => {
        for (let i = 0; i < 6; i += 1) expectError(await core.findUsername({ idNumber: LI_MING.id, name: '王五' }), 'name_mismatch');
        expect(expectOk(await core.findUsername({ idNumber: LI_MING.id, name: '李明' })).maskedUsername).toBe('139****5678');
      });

      it('does not count a malformed ID number as a lookup', async () => {
        const typo = core.forEndUser('web:typo');
        for (let i = 0; i < 6; i += 1) expectError(await typo.findUsername({ idNumber: '123', name: '李明' }), 'invalid_id_number');
        expectOk(await typo.findUsername({ idNumber: LI_MING.id, name: '李明' }));
      });
    });

    describe('login and registration', () => {
      it('logs in with the password and never returns it', async () => {
        const account = expectOk(await core.login({ username: LI_MING.username, password: LI_MING.password }));
        expect(account).toMatchObject({ maskedUsername: '139****5678', name: '李明', state: 'active', realNameBound: true });
        expect(JSON.stringify(account)).not.toMatch(/Demo@2024a|password|argon2|13912345678|110105200101011235|liming@/i);
        expect(JSON.stringify(expectOk(await core.getAccount({ username: LI_MING.username })))).not.toMatch(/Demo@2024a|password|argon2/i);
        expectError(await core.getAccount({ username: '13000000000' }), 'not_registered');
      });

      it('refuses a wrong password; after 5 a stranger is slowed down, and the owner waits seconds, not an hour', async () => {
        const stranger = core.forEndUser('web:guesser');
        expect(expectError(await stranger.login({ username: LI_MING.username, password: 'wrong123' }), 'wrong_credentials')).toContain(
          '用户名或密码错误',
        );
        expectError(await stranger.login({ username: '13000000000', password: 'whatever1' }), 'wrong_credentials');
        for (let i = 0; i < 5; i += 1) await stranger.login({ username: LI_MING.username, password: 'wrong123' });
        const owner = core.forEndUser('web:li-ming');
        expectError(await owner.login({ username: LI_MING.username, password: LI_MING.password }), 'rate_limited');
        clock.advance(31 * SECOND);
        expectOk(await owner.login({ username: LI_MING.username, password: LI_MING.password }));
      });

      it('registers with a free ID number; the username is the phone, e-mail or ID number', async () => {
        const account = expectOk(
          await core.register({
            username: 'new.user@example.com',
            password: 'Abcdefg1',
            name: '周杰',
            idType: 'resident-id',
            idNumber: FREE_ID,
            email: 'New.User@example.com',
          }),
        );
        expect(account).toMatchObject({ maskedUsername: 'n***@example.com', state: 'active', realNameBound: false, emailActivated: false });
        expect(expectOk(await core.getIdStatus({ idNumber: FREE_ID })).status).toBe('registered');
        expectOk(await core.login({ username: 'NEW.USER@example.com', password: 'Abcdefg1' }));
        expect(await latestMessage(core, 'new.user@example.com')).toContain('/core/activate/');
        expect(
          expectError(
            await core.register({ username: 'zhoujie', password: 'Abcdefg1', name: '周杰', idType: 'resident-id', idNumber: FREE_ID }),
            'invalid_input',
          ),
        ).toContain('手机号、邮箱或证件号码');
      });

      it('checks the name, the phone and the password rules', async () => {
        const base = {
          username: '13344445555',
          phone: '13344445555',
          idType: 'resident-id' as const,
          idNumber: FREE_ID,
          name: '周杰',
          password: 'Abcdefg1',
        };
        expect(expectError(await core.register({ ...base, name: '周' }), 'invalid_input')).toContain('两个字符');
        expect(expectError(await core.register({ ...base, username: '23344445555', phone: '23344445555' }), 'invalid_input')).toContain(
          '11位手机号码',
        );
        expect(expectError(await core.register({ ...base, password: 'Abc123' }), 'weak_password')).toContain('8到16位');
        expect(expectError(await core.register({ ...base, password: 'Abcdefgh12345678X' }), 'weak_password')).toContain('8到16位');
        expect(expectError(await core.register({ ...base, password: 'abcdefghij' }), 'weak_password')).toContain('字母和数字');
        expect(expectError(await core.register({ ...base, password: '1234 5678a' }), 'weak_password')).toContain('空格');
      });

      it('refuses a phone, e-mail or username that is already registered', async () => {
        const base = { password: 'Abcdefg1', name: '周杰', idType: 'resident-id' as const, idNumber: FREE_ID };
        expect(expectError(await core.register({ ...base, username: WANG_FANG.phone, phone: WANG_FANG.phone }), 'username_taken')).toContain(
          '手机号码已被注册',
        );
        expect(expectError(await core.register({ ...base, username: FREE_ID, email: 'liming@example.com' }), 'username_taken')).toContain(
          '邮箱已经注册',
        );
        expect(expectOk(await core.getIdStatus({ idNumber: FREE_ID })).status).toBe('free');
      });

      it('with a taken ID asks for 我要重新注册, then creates a duplicate-unverified account that cannot bind real-name', async () => {
        const { reRegister: _, ...withoutTick } = NEWCOMER;
        expect(expectError(await core.register(withoutTick), 'id_taken')).toContain('我要重新注册');
        const account = await reRegisterNewcomer();
        expect(account.state).toBe('duplicate-unverified');
        expect(expectOk(await core.getIdStatus({ idNumber: LI_MING.id })).status).toBe('pending-review');
        expect(
          expectError(await core.bindRealName({ username: NEWCOMER.username, proof: { password: NEWCOMER.password } }), 'duplicate_unresolved'),
        ).toContain('证件号码重复');
        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username }))).toMatchObject({
          state: 'unresolved',
          uploadsToday: 0,
          uploadsLeftToday: 3,
          uploadsLeftTotal: 5,
        });
        // A third person is told to wait for the review.
        const third = await core.register({ ...NEWCOMER, username: '13955556666', phone: '13955556666' });
        expect(expectError(third, 'id_pending_review')).toBe('证件号码已经被注册，客服审核通过后才能被再次注册');
        // The original holder is unaffected until the conflict is resolved.
        expectOk(await core.login({ username: LI_MING.username, password: LI_MING.password }));
      });

      it('refuses registration of an ID awaiting review, even with 我要重新注册', async () => {
        const message = expectError(
          await core.register({
            username: '13977778888',
            phone: '13977778888',
            password: 'Abcdefg1',
            name: '钱七',
            idType: 'resident-id',
            idNumber: PENDING_ID,
            reRegister: true,
          }),
          'id_pending_review',
        );
        expect(message).toBe('证件号码已经被注册，客服审核通过后才能被再次注册');
      });

      it("binds real-name information for a settled account, only with the owner's proof", async () => {
        expect(expectError(await core.bindRealName({ username: CHEN_JING.username, proof: { password: 'Guess2024x' } }), 'proof_invalid')).toContain(
          '密码不正确',
        );
        expectError(await core.bindRealName({ username: CHEN_JING.username, proof: { smsCode: '123456' } }), 'code_invalid');
        expect(expectOk(await core.bindRealName({ username: CHEN_JING.username, proof: { password: CHEN_JING.password } })).realNameBound).toBe(true);
        // An account-change code sent to the owner's phone proves it too.
        expectOk(await core.sendSmsCode({ username: ZHANG_WEI.username, purpose: 'account-change' }));
        const code = await latestCode(core, ZHANG_WEI.phone);
        expectOk(await core.bindRealName({ username: ZHANG_WEI.username, proof: { smsCode: code } }));
      });
    });

    describe('找回密码', () => {
      it('lists the recovery methods, masked, or none', async () => {
        expect(expectOk(await core.getRecoveryMethods({ username: LI_MING.username })).methods).toEqual([
          { kind: 'sms', target: '139****5678' },
          { kind: 'email', target: 'l***@example.com' },
          { kind: 'questions', questions: ['您母亲的姓名是？'] },
        ]);
        expect(expectOk(await core.getRecoveryMethods({ username: ZHANG_WEI.username })).methods).toEqual([{ kind: 'sms', target: '188****2222' }]);
        expect(expectOk(await core.getRecoveryMethods({ username: CHEN_JING.username })).methods).toEqual([]);
        // An e-mail that was never activated is not a security e-mail yet.
        expect(expectOk(await core.getRecoveryMethods({ username: SUN_LI.username })).methods).toEqual([]);
        expectError(await core.getRecoveryMethods({ username: '13000000000' }), 'not_registered');
      });

      it('resets the password with an SMS code and a single-use token', async () => {
        const sent = expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        expect(sent).toMatchObject({ sentTo: '139****5678', remainingToday: 4 });
        expect(Date.parse(sent.expiresAt) - clock.now().getTime()).toBe(DAY);
        const code = await latestCode(core, LI_MING.phone);
        const grant = expectOk(await core.verifySmsCode({ username: LI_MING.username, code }));
        expect(grant.resetToken.length).toBeGreaterThanOrEqual(32);

        expect(expectError(await core.resetPassword({ token: grant.resetToken, newPassword: 'short1' }), 'weak_password')).toContain('8到16位');
        expect(expectOk(await core.resetPassword({ token: grant.resetToken, newPassword: 'Brandnew2025' }))).toEqual({
          maskedUsername: '139****5678',
        });
        expect(expectError(await core.resetPassword({ token: grant.resetToken, newPassword: 'Another2025' }), 'token_invalid')).toContain(
          '只能用一次',
        );
        expectError(await core.login({ username: LI_MING.username, password: LI_MING.password }), 'wrong_credentials');
        expectOk(await core.login({ username: LI_MING.username, password: 'Brandnew2025' }));
      });

      it('refuses a resend within 60 seconds', async () => {
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        clock.advance(30 * SECOND);
        const refused = await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' });
        expect(expectError(refused, 'send_too_soon')).toContain('30秒');
        clock.advance(30 * SECOND);
        expect(expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' })).remainingToday).toBe(3);
      });

      it('sends at most 5 codes per phone per day; a code already received still works', async () => {
        const firstSent = expectOk(await core.sendSmsCode({ username: ZHANG_WEI.username, purpose: 'reset-password' }));
        expect(firstSent.remainingToday).toBe(4);
        const firstCode = await latestCode(core, ZHANG_WEI.phone);
        for (let i = 0; i < 4; i += 1) {
          clock.advance(61 * SECOND);
          expectOk(await core.sendSmsCode({ username: ZHANG_WEI.username, purpose: 'reset-password' }));
        }
        clock.advance(61 * SECOND);
        expect(expectError(await core.sendSmsCode({ username: ZHANG_WEI.username, purpose: 'reset-password' }), 'daily_limit')).toContain(
          '24小时内有效',
        );
        expectOk(await core.verifySmsCode({ username: ZHANG_WEI.username, code: firstCode }));
        tomorrowMorning();
        expect(expectOk(await core.sendSmsCode({ username: ZHANG_WEI.username, purpose: 'reset-password' })).remainingToday).toBe(4);
      });

      it('refuses an expired code (24 h) and a reused one', async () => {
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        const stale = await latestCode(core, LI_MING.phone);
        clock.advance(DAY + SECOND);
        expect(expectError(await core.verifySmsCode({ username: LI_MING.username, code: stale }), 'code_expired')).toContain('过期');

        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        const fresh = await latestCode(core, LI_MING.phone);
        clock.advance(23 * HOUR);
        expectOk(await core.verifySmsCode({ username: LI_MING.username, code: fresh }));
        expect(expectError(await core.verifySmsCode({ username: LI_MING.username, code: fresh }), 'code_invalid')).toContain('已经使用过');
      });

      it('voids the codes after 5 wrong entries', async () => {
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        const code = await latestCode(core, LI_MING.phone);
        const wrong = code === '000000' ? '111111' : '000000';
        expect(expectError(await core.verifySmsCode({ username: LI_MING.username, code: wrong }), 'code_invalid')).toContain('还可以尝试4次');
        for (let i = 0; i < 3; i += 1) await core.verifySmsCode({ username: LI_MING.username, code: wrong });
        expectError(await core.verifySmsCode({ username: LI_MING.username, code: wrong }), 'attempts_exceeded');
        expectError(await core.verifySmsCode({ username: LI_MING.username, code }), 'attempts_exceeded');
        clock.advance(61 * SECOND);
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        expectOk(await core.verifySmsCode({ username: LI_MING.username, code: await latestCode(core, LI_MING.phone) }));
      });

      it('refuses SMS recovery without a bound phone', async () => {
        expect(expectError(await core.sendSmsCode({ username: SUN_LI.username, purpose: 'reset-password' }), 'method_unavailable')).toContain(
          '手机号',
        );
        expectError(await core.verifySmsCode({ username: ZHANG_WEI.username, code: '123456' }), 'code_invalid');
      });

      it('sends a one-time reset link to the security e-mail', async () => {
        const sent = expectOk(await core.sendResetEmail({ username: LI_MING.username }));
        expect(sent.sentTo).toBe('l***@example.com');
        const body = await latestMessage(core, LI_MING.email);
        expect(body).toContain('http://assistant.test/core/reset/');
        const token = await latestLinkToken(core, LI_MING.email);
        expectOk(await core.resetPassword({ token, newPassword: 'Mailreset2025' }));
        expectError(await core.resetPassword({ token, newPassword: 'Mailreset2026' }), 'token_invalid');
        expectOk(await core.login({ username: LI_MING.username, password: 'Mailreset2025' }));
        expect(expectError(await core.sendResetEmail({ username: ZHANG_WEI.username }), 'method_unavailable')).toContain('邮箱');
      });

      it('voids older reset tokens once the password has changed', async () => {
        expectOk(await core.sendResetEmail({ username: LI_MING.username }));
        const older = await latestLinkToken(core, LI_MING.email);
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        const grant = expectOk(await core.verifySmsCode({ username: LI_MING.username, code: await latestCode(core, LI_MING.phone) }));
        clock.advance(SECOND);
        expectOk(await core.resetPassword({ token: grant.resetToken, newPassword: 'Viasms2025' }));
        expectError(await core.resetPassword({ token: older, newPassword: 'Viamail2025' }), 'token_invalid');
      });

      it('expires reset tokens and refuses unknown ones', async () => {
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        const grant = expectOk(await core.verifySmsCode({ username: LI_MING.username, code: await latestCode(core, LI_MING.phone) }));
        clock.advance(HOUR + SECOND);
        expect(expectError(await core.resetPassword({ token: grant.resetToken, newPassword: 'Toolate2025' }), 'token_invalid')).toContain('过期');
        expectError(await core.resetPassword({ token: 'not-a-real-token-at-all-0000', newPassword: 'Toolate2025' }), 'token_invalid');
      });

      it('checks security answers with 3 attempts a day', async () => {
        expect(expectError(await core.verifySecurityAnswers({ username: LI_MING.username, answers: ['张秀英'] }), 'answers_wrong')).toContain('2次');
        expectError(await core.verifySecurityAnswers({ username: LI_MING.username, answers: [] }), 'invalid_input');
        const grant = expectOk(await core.verifySecurityAnswers({ username: LI_MING.username, answers: [' 王秀英 '] }));
        expectOk(await core.resetPassword({ token: grant.resetToken, newPassword: 'Question2025' }));
        await core.verifySecurityAnswers({ username: LI_MING.username, answers: ['不知道'] });
        await core.verifySecurityAnswers({ username: LI_MING.username, answers: ['不记得'] });
        expectError(await core.verifySecurityAnswers({ username: LI_MING.username, answers: ['王秀英'] }), 'attempts_exceeded');
        tomorrowMorning();
        expectOk(await core.verifySecurityAnswers({ username: LI_MING.username, answers: ['王秀英'] }));
        expectError(await core.verifySecurityAnswers({ username: ZHANG_WEI.username, answers: ['x'] }), 'method_unavailable');
      });
    });

    describe('证件重复: photo review', () => {
      it('accepts jpg/png/gif by content up to 300 KB, due in 3 working days', async () => {
        await reRegisterNewcomer();
        const notAnImage = await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('text', 5000, 'front.jpg'), back: photo('png') });
        expect(expectError(notAnImage, 'image_type')).toContain('jpg、jpeg、png、gif');
        const tooLarge = await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png', 301 * 1024) });
        expect(expectError(tooLarge, 'image_too_large')).toContain('背面');
        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username })).uploadsTotal).toBe(0);

        const review = expectOk(
          await core.submitPhotoReview({
            username: NEWCOMER.username,
            front: photo('gif', 300 * 1024, 'front.gif'),
            back: photo('png', 300 * 1024, 'back.bmp'),
          }),
        );
        // Monday 10:00 → Thursday 10:00 Beijing time.
        expect(review).toMatchObject({ state: 'pending', dueAt: '2026-11-26T02:00:00.000Z' });
        // The submitter's answer names neither the account nor the ID number.
        expect(JSON.stringify(review)).not.toMatch(new RegExp(`${NEWCOMER.username}|${LI_MING.id}`));
        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username }))).toMatchObject({
          state: 'pending',
          uploadsToday: 1,
          uploadsLeftToday: 2,
          uploadsLeftTotal: 4,
          latestReview: { id: review.id, state: 'pending' },
        });
        expect(
          expectError(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }), 'review_pending'),
        ).toContain('三个工作日');
      });

      it('counts working days on the official calendar', async () => {
        await reRegisterNewcomer();
        clock.set('2026-09-30T10:00:00+08:00');
        const beforeNationalDay = expectOk(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }));
        // 国庆 holidays, then the make-up Saturday 10 October counts.
        expect(beforeNationalDay.dueAt).toBe('2026-10-10T02:00:00.000Z');
      });

      it('allows 3 uploads a day and 5 in total; a rejected user may upload again within them', async () => {
        await reRegisterNewcomer();
        const first = await uploadAndReject();
        const status = expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username }));
        expect(status).toMatchObject({ state: 'rejected', latestReview: { id: first.id, state: 'rejected', reason: '照片不符合要求' } });
        await uploadAndReject();
        await uploadAndReject();
        expect(
          expectError(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }), 'upload_daily_limit'),
        ).toContain('每天只能上传3次');
        tomorrowMorning();
        await uploadAndReject();
        await uploadAndReject();
        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username }))).toMatchObject({
          uploadsTotal: 5,
          uploadsLeftTotal: 0,
          uploadsLeftToday: 0,
        });
        tomorrowMorning();
        expect(
          expectError(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }), 'upload_total_limit'),
        ).toContain('累计上传不能超过5次');
      });

      it('has nothing to review for an account without a conflict', async () => {
        expectError(await core.submitPhotoReview({ username: LI_MING.username, front: photo('jpeg'), back: photo('png') }), 'no_conflict');
        expect(expectOk(await core.getDuplicateStatus({ username: LI_MING.username })).state).toBe('none');
      });
    });

    describe('证件重复: agent decisions', () => {
      it('approval resolves the conflict and cancels the old account, which can no longer log in, bind or recover', async () => {
        await reRegisterNewcomer();
        const submitted = expectOk(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }));
        const queue = expectOk(await core.listReviews({ status: 'pending' })).reviews;
        expect(queue.map((r) => r.id)).toEqual([submitted.id]);
        const detail = expectOk(await core.getReview({ reviewId: submitted.id }));
        expect(detail).toMatchObject({ name: '李明', otherHolders: [LI_MING.username], front: { type: 'image/jpeg' }, back: { type: 'image/png' } });

        const approved = expectOk(await core.decideReview({ reviewId: submitted.id, decision: 'approve', agent: 'agent-wu' }));
        expect(approved).toMatchObject({ state: 'approved', decidedBy: 'agent-wu' });
        expect(expectOk(await core.listReviews({ status: 'pending' })).reviews).toEqual([]);
        expect(expectOk(await core.listReviews({ status: 'approved' })).reviews.map((r) => r.id)).toEqual([submitted.id]);
        expectError(await core.decideReview({ reviewId: submitted.id, decision: 'reject', reason: '重复', agent: 'agent-li' }), 'already_decided');

        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username })).state).toBe('resolved');
        expect(expectOk(await core.bindRealName({ username: NEWCOMER.username, proof: { password: NEWCOMER.password } })).realNameBound).toBe(true);
        expect(expectOk(await core.getIdStatus({ idNumber: LI_MING.id })).status).toBe('registered');
        expect(expectOk(await core.findUsername({ idNumber: LI_MING.id, name: '李明' })).maskedUsername).toBe('138****2222');

        const old = expectOk(await core.getAccount({ username: LI_MING.username }));
        expect(old.state).toBe('cancelled');
        expect(old.cancelledReason).toContain(submitted.id);
        expect(expectError(await core.login({ username: LI_MING.username, password: LI_MING.password }), 'account_cancelled')).toContain('注销原因');
        expectError(await core.getRecoveryMethods({ username: LI_MING.username }), 'account_cancelled');
        expectError(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }), 'account_cancelled');
        expectError(await core.sendResetEmail({ username: LI_MING.username }), 'account_cancelled');
        expectError(await core.verifySecurityAnswers({ username: LI_MING.username, answers: ['王秀英'] }), 'account_cancelled');
        expectError(await core.bindRealName({ username: LI_MING.username, proof: { password: LI_MING.password } }), 'account_cancelled');
        expectError(await core.startBinding({ channelUserId: 'wx-old', username: LI_MING.username, via: 'sms' }), 'account_cancelled');
        // Its phone is free for a new registration; its username stays with the cancelled record.
        expectOk(
          await core.register({
            username: FREE_ID,
            phone: LI_MING.phone,
            password: 'Phoneback2025',
            name: '周杰',
            idType: 'resident-id',
            idNumber: FREE_ID,
          }),
        );
        expectError(
          await core.register({
            username: LI_MING.phone,
            phone: LI_MING.phone,
            password: 'Phoneback2025',
            name: '周杰',
            idType: 'resident-id',
            idNumber: residentId('11010520060606456'),
          }),
          'username_taken',
        );
      });

      it('a reset token granted before the cancellation cannot be spent after it', async () => {
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        const grant = expectOk(await core.verifySmsCode({ username: LI_MING.username, code: await latestCode(core, LI_MING.phone) }));
        await reRegisterNewcomer();
        const review = expectOk(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }));
        expectOk(await core.decideReview({ reviewId: review.id, decision: 'approve', agent: 'agent-wu' }));
        expectError(await core.resetPassword({ token: grant.resetToken, newPassword: 'Toolate2025' }), 'account_cancelled');
      });

      it('rejection needs a reason and shows 审核失败 with it', async () => {
        await reRegisterNewcomer();
        const review = expectOk(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }));
        expect(expectError(await core.decideReview({ reviewId: review.id, decision: 'reject', agent: 'agent-wu' }), 'invalid_input')).toContain(
          '原因',
        );
        expectOk(await core.decideReview({ reviewId: review.id, decision: 'reject', reason: '照片不符合要求', agent: 'agent-wu' }));
        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username }))).toMatchObject({
          state: 'rejected',
          latestReview: { state: 'rejected', reason: '照片不符合要求' },
        });
        expect(expectOk(await core.getAccount({ username: LI_MING.username })).state).toBe('active');
        expectError(await core.decideReview({ reviewId: 'rv-nope', decision: 'approve', agent: 'agent-wu' }), 'not_found');
        expectError(await core.getReview({ reviewId: 'rv-nope' }), 'not_found');
      });
    });

    describe('证件重复: classmate assistance', () => {
      it('lands in the classmate inbox; acceptance resolves the conflict', async () => {
        await reRegisterNewcomer();
        const request = expectOk(
          await core.requestClassmateAssist({
            username: NEWCOMER.username,
            classmateName: '王芳',
            classmatePhone: WANG_FANG.phone,
            ownPhone: '13811112222',
          }),
        );
        expect(request).toMatchObject({ state: 'pending', requesterName: '李明', requesterPhone: '138****2222' });
        const inbox = expectOk(await core.listInbox({ username: WANG_FANG.username })).requests;
        expect(inbox).toHaveLength(1);
        expect(inbox[0]).toMatchObject({ id: request.id, requesterName: '李明', requesterPhone: '138****2222', state: 'pending' });
        expect(expectOk(await core.listInbox({ username: ZHANG_WEI.username })).requests).toEqual([]);

        const asWangFang = { password: WANG_FANG.password };
        expectError(
          await core.respondToAssist({ username: ZHANG_WEI.username, requestId: request.id, accept: true, proof: { password: 'Demo@2024d' } }),
          'not_found',
        );
        // Nobody but the classmate can accept: the requester does not know the classmate's password.
        expectError(
          await core.respondToAssist({ username: WANG_FANG.username, requestId: request.id, accept: true, proof: { password: NEWCOMER.password } }),
          'proof_invalid',
        );
        expect(
          expectOk(await core.respondToAssist({ username: WANG_FANG.username, requestId: request.id, accept: true, proof: asWangFang })).state,
        ).toBe('accepted');
        expectError(
          await core.respondToAssist({ username: WANG_FANG.username, requestId: request.id, accept: false, proof: asWangFang }),
          'already_decided',
        );
        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username })).state).toBe('resolved');
        expectOk(await core.bindRealName({ username: NEWCOMER.username, proof: { password: NEWCOMER.password } }));
        expect(expectOk(await core.getAccount({ username: LI_MING.username })).state).toBe('cancelled');
      });

      it('a declined request leaves the conflict open', async () => {
        await reRegisterNewcomer();
        const request = expectOk(
          await core.requestClassmateAssist({
            username: NEWCOMER.username,
            classmateName: '王芳',
            classmatePhone: WANG_FANG.phone,
            ownPhone: '13811112222',
          }),
        );
        const declined = await core.respondToAssist({
          username: WANG_FANG.username,
          requestId: request.id,
          accept: false,
          proof: { password: WANG_FANG.password },
        });
        expect(expectOk(declined).state).toBe('declined');
        expect(expectOk(await core.getDuplicateStatus({ username: NEWCOMER.username })).state).toBe('unresolved');
      });

      it('needs an existing, phone-bound classmate with a matching name', async () => {
        await reRegisterNewcomer();
        const ask = (classmateName: string, classmatePhone: string) =>
          core.requestClassmateAssist({ username: NEWCOMER.username, classmateName, classmatePhone, ownPhone: '13811112222' });
        expect(expectError(await ask('王芳', '13000000000'), 'classmate_not_found')).toContain('手机号');
        expect(expectError(await ask('王小芳', WANG_FANG.phone), 'classmate_name_mismatch')).toContain('姓名');
        expectOk(
          await core.register({
            username: '13344445555',
            phone: '13344445555',
            password: 'Abcdefg1',
            name: '周杰',
            idType: 'resident-id',
            idNumber: FREE_ID,
          }),
        );
        expect(expectError(await ask('周杰', '13344445555'), 'classmate_not_bound')).toContain('手机实名绑定');
        expectError(await ask('王芳', '1370000111'), 'invalid_input');
        expectError(
          await core.requestClassmateAssist({
            username: LI_MING.username,
            classmateName: '王芳',
            classmatePhone: WANG_FANG.phone,
            ownPhone: LI_MING.phone,
          }),
          'no_conflict',
        );
      });

      it('sends at most 5 requests a day', async () => {
        await reRegisterNewcomer();
        for (let i = 0; i < 5; i += 1) {
          expectOk(
            await core.requestClassmateAssist({
              username: NEWCOMER.username,
              classmateName: '王芳',
              classmatePhone: WANG_FANG.phone,
              ownPhone: '13811112222',
            }),
          );
        }
        const sixth = await core.requestClassmateAssist({
          username: NEWCOMER.username,
          classmateName: '张伟',
          classmatePhone: ZHANG_WEI.phone,
          ownPhone: '13811112222',
        });
        expect(expectError(sixth, 'assist_daily_limit')).toContain('5条');
        tomorrowMorning();
        expectOk(
          await core.requestClassmateAssist({
            username: NEWCOMER.username,
            classmateName: '张伟',
            classmatePhone: ZHANG_WEI.phone,
            ownPhone: '13811112222',
          }),
        );
      });
    });

    describe('channel binding', () => {
      it('binds a chat user after a code to the bound phone, and unbinds', async () => {
        const chatUser = core.forEndUser('wx-openid-1');
        expect(expectOk(await chatUser.getBinding({})).accountRef).toBeNull();
        const sent = expectOk(await chatUser.startBinding({ username: LI_MING.username, via: 'sms' }));
        expect(sent.sentTo).toBe('139****5678');
        expect(await latestMessage(core, LI_MING.phone)).toContain('绑定');
        expectError(await chatUser.confirmBinding({ code: '12345' }), 'code_invalid');
        expect(expectOk(await chatUser.confirmBinding({ code: await latestCode(core, LI_MING.phone) })).maskedUsername).toBe('139****5678');
        const binding = expectOk(await chatUser.getBinding({}));
        expect(binding.maskedUsername).toBe('139****5678');
        expect(expectOk(await chatUser.getDuplicateStatus({ username: binding.accountRef! })).state).toBe('none');
        // The service sees the same binding by naming the chat user.
        expect(expectOk(await core.getBinding({ channelUserId: 'wx-openid-1' })).maskedUsername).toBe('139****5678');
        expect(expectOk(await chatUser.unbind({})).maskedUsername).toBe('139****5678');
        expect(expectOk(await chatUser.getBinding({})).accountRef).toBeNull();
        expect(expectOk(await chatUser.unbind({})).accountRef).toBeNull();
      });

      it("a chat user can neither read, complete nor remove another chat user's binding", async () => {
        const owner = core.forEndUser('wx-owner');
        expectOk(await owner.startBinding({ username: LI_MING.username, via: 'sms' }));
        expectOk(await owner.confirmBinding({ code: await latestCode(core, LI_MING.phone) }));
        const other = core.forEndUser('wx-other');
        expectError(await other.getBinding({ channelUserId: 'wx-owner' }), 'forbidden');
        expectError(await other.unbind({ channelUserId: 'wx-owner' }), 'forbidden');
        expectError(await other.confirmBinding({ channelUserId: 'wx-owner', code: '000000' }), 'forbidden');
        expect(expectOk(await owner.getBinding({})).maskedUsername).toBe('139****5678');
      });

      it('binds by e-mail code, and shares the phone limits with password recovery', async () => {
        expectOk(await core.startBinding({ channelUserId: 'web-chat-9', username: WANG_FANG.username, via: 'email' }));
        expectOk(await core.confirmBinding({ channelUserId: 'web-chat-9', code: await latestCode(core, 'wangfang@example.com') }));
        expectError(await core.startBinding({ channelUserId: 'web-chat-10', username: ZHANG_WEI.username, via: 'email' }), 'method_unavailable');
        expectOk(await core.startBinding({ channelUserId: 'web-chat-10', username: ZHANG_WEI.username, via: 'sms' }));
        expectError(await core.sendSmsCode({ username: ZHANG_WEI.username, purpose: 'reset-password' }), 'send_too_soon');
        expectError(await core.confirmBinding({ channelUserId: 'never-started', code: '123456' }), 'not_bound');
      });

      it('a cancelled account loses its bindings', async () => {
        expectOk(await core.startBinding({ channelUserId: 'wx-openid-2', username: LI_MING.username, via: 'sms' }));
        expectOk(await core.confirmBinding({ channelUserId: 'wx-openid-2', code: await latestCode(core, LI_MING.phone) }));
        await reRegisterNewcomer();
        const review = expectOk(await core.submitPhotoReview({ username: NEWCOMER.username, front: photo('jpeg'), back: photo('png') }));
        expectOk(await core.decideReview({ reviewId: review.id, decision: 'approve', agent: 'agent-wu' }));
        expect(expectOk(await core.getBinding({ channelUserId: 'wx-openid-2' })).accountRef).toBeNull();
      });
    });

    describe('limits and scopes', () => {
      it('reports the figures users are told, so templates never write them down', async () => {
        expect(expectOk(await core.limits({}))).toMatchObject({
          smsPerDay: 5,
          resendIntervalSeconds: 60,
          codeValidityHours: 24,
          password: { minLength: 8, maxLength: 16, needsLettersAndDigits: true },
          photoMaxKb: 300,
          uploadsPerDay: 3,
          uploadsTotal: 5,
          assistsPerDay: 5,
          reviewWorkingDays: 3,
          lookupFailuresPerHour: 5,
        });
      });

      it('refuses the agent operations to a core acting for an end user', async () => {
        const user = core.forEndUser('web:curious');
        expectError(await user.listOutbox({}), 'forbidden');
        expectError(await user.listReviews({ status: 'pending' }), 'forbidden');
        expectError(await user.getReview({ reviewId: 'rv-1' }), 'forbidden');
        expectError(await user.decideReview({ reviewId: 'rv-1', decision: 'approve', agent: 'me' }), 'forbidden');
        expectOk(await user.limits({}));
      });
    });

    describe('outbox', () => {
      it('lists what was sent, newest first, by recipient', async () => {
        expectOk(await core.sendSmsCode({ username: LI_MING.username, purpose: 'reset-password' }));
        expectOk(await core.sendResetEmail({ username: LI_MING.username }));
        const all = expectOk(await core.listOutbox({})).messages;
        expect(all.map((m) => m.channel)).toEqual(['email', 'sms']);
        expect(all[0]).toMatchObject({ to: LI_MING.email, subject: expect.stringContaining('重置密码') });
        expect(expectOk(await core.listOutbox({ recipient: LI_MING.phone, limit: 5 })).messages).toHaveLength(1);
      });
    });
  });
}

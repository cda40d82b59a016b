import { toEighteenDigit, toFifteenDigit } from '../domain/id-number.js';
import { checkPassword } from '../domain/password.js';
import { maskEmail } from '../privacy/mask.js';
import { limitKey } from '../security/rate-limits.js';
import {
  callerKey,
  failWith,
  isLive,
  namedAccount,
  normalizeName,
  normalizeUsername,
  ok,
  refFor,
  spendLookup,
  viewFor,
  type Caller,
  type CoreContext,
  type Failure,
  type Implementations,
} from './context.js';
import { holdersOf, idStatusOf, parseIdNumber } from './id-holders.js';
import { CORE_LIMITS } from './limits.js';
import { checkOwnerProof } from './owner-proof.js';
import type { AccountRecord } from './records.js';
import { normalizeAnswer, newToken, tokenKey } from './secrets.js';
import type { AccountView, CoreResult, RegistrationInput } from './types.js';

type Identity = Implementations<'getIdStatus' | 'findUsername' | 'getAccount' | 'login' | 'register' | 'bindRealName'>;

const PHONE = /^1[3-9]\d{9}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Han characters, letters, the middle dot of transliterated names, and inner spaces.
const NAME = /^[\p{Script=Han}A-Za-z·•][\p{Script=Han}A-Za-z·• ]*$/u;

/** Registration, login, lookups and real-name binding. */
export function createIdentity(ctx: CoreContext): Identity {
  const { stores, render } = ctx;
  const fail = (code: Parameters<typeof failWith>[1], details?: Parameters<typeof failWith>[2]) => failWith(render, code, details);
  const limited = (retryAfterMs: number) => fail('rate_limited', { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) });

  return {
    async getIdStatus(input, caller) {
      const id = parseIdNumber(ctx, input.idNumber, input.idType);
      if (!id.ok) return id;
      const spent = await spendLookup(ctx, caller);
      if (spent) return spent;
      const record = await stores.idRecords.get(id.value);
      const { live } = await holdersOf(ctx, record);
      return ok({ status: idStatusOf(record, live) });
    },

    async findUsername(input, caller) {
      const id = parseIdNumber(ctx, input.idNumber, input.idType);
      if (!id.ok) return id;
      // Failures are the asker's own budget: a stranger's wrong names never lock the ID's owner out.
      // The service scope speaks for everybody, so it has no budget of its own to exhaust.
      const asker = caller.kind === 'end-user' ? callerKey(caller) : undefined;
      const budget = asker ? await ctx.rateLimits.peek('account-lookup-failure:identity', asker) : undefined;
      if (budget && !budget.allowed) return limited(budget.retryAfterMs);
      const spent = await spendLookup(ctx, caller);
      if (spent) return spent;
      const countFailure = async () => {
        if (asker) await ctx.rateLimits.consume('account-lookup-failure:identity', asker);
      };

      let { live, cancelled } = await holdersOf(ctx, await stores.idRecords.get(id.value));
      if (live.length === 0 && cancelled.length === 0 && id.format !== 'other') {
        // Someone who registered with the other form of the same resident ID (the 征兵 15-digit case).
        const alternate = id.format === '18' ? toFifteenDigit(id.value) : toEighteenDigit(id.value);
        ({ live, cancelled } = await holdersOf(ctx, await stores.idRecords.get(alternate)));
      }
      if (live.length === 0 && cancelled.length === 0) {
        await countFailure();
        return fail('not_registered', { subject: 'id' });
      }
      if (live.length === 0) return fail('account_cancelled', { reason: cancelled[0]?.cancelledReason ?? null });
      const name = normalizeName(input.name);
      const matching = live.filter((account) => normalizeName(account.name) === name);
      if (matching.length === 0) {
        await countFailure();
        return fail('name_mismatch');
      }
      // The settled account first, then the oldest.
      matching.sort((a, b) => rank(a) - rank(b) || a.createdAt.localeCompare(b.createdAt));
      const found = matching[0]!;
      return ok({ accountRef: await refFor(ctx, found, caller), maskedUsername: (await viewFor(ctx, found, caller)).maskedUsername });
    },

    async getAccount(input, caller) {
      const named = await namedAccount(ctx, input.username, caller);
      if (!named.ok) return named;
      if (!named.value) return fail('not_registered', { subject: 'username' });
      return ok(await viewFor(ctx, named.value, caller));
    },

    async login(input, caller) {
      const username = normalizeUsername(input.username);
      if (username === '' || input.password === '') return fail('invalid_input', { field: username === '' ? 'username' : 'password' });
      // The asker's failures limit the asker (an end user; the service scope speaks for everybody);
      // the account itself only gets short growing delays.
      const asker = caller.kind === 'end-user' ? callerKey(caller) : undefined;
      const budget = asker ? await ctx.rateLimits.peek('core-login-failure:identity', asker) : undefined;
      if (budget && !budget.allowed) return limited(budget.retryAfterMs);
      const delay = ctx.rateLimits.delay('core-login:account');
      const accountKey = limitKey.account(username);
      const waitMs = await delay.waitMs(accountKey);
      if (waitMs > 0) return limited(waitMs);
      const account = await stores.accounts.get(username);
      if (!account || !(await ctx.hasher.verify(account.passwordHash, input.password))) {
        await Promise.all([asker ? ctx.rateLimits.consume('core-login-failure:identity', asker) : undefined, delay.recordFailure(accountKey)]);
        return fail('wrong_credentials');
      }
      if (account.state === 'cancelled') return fail('account_cancelled', { reason: account.cancelledReason ?? null });
      await delay.recordSuccess(accountKey);
      return ok(await viewFor(ctx, account, caller));
    },

    register: (input, caller) => register(ctx, input, caller),

    async bindRealName(input, caller) {
      const named = await namedAccount(ctx, input.username, caller);
      if (!named.ok) return named;
      if (!named.value) return fail('not_registered', { subject: 'username' });
      const refused = await checkOwnerProof(ctx, named.value, input.proof, caller);
      if (refused) return refused;
      const bound = await stores.accounts.update(named.value.username, (account) =>
        account && account.state === 'active' ? { ...account, realNameBound: true } : account,
      );
      if (!bound) return fail('not_registered', { subject: 'username' });
      if (bound.state === 'cancelled') return fail('account_cancelled', { reason: bound.cancelledReason ?? null });
      if (bound.state === 'duplicate-unverified') return fail('duplicate_unresolved');
      return ok(await viewFor(ctx, bound, caller));
    },
  };
}

function rank(account: AccountRecord): number {
  return account.state === 'active' ? 0 : 1;
}

async function register(ctx: CoreContext, input: RegistrationInput, caller: Caller): Promise<CoreResult<AccountView>> {
  const { stores, render } = ctx;
  const fail = (code: Parameters<typeof failWith>[1], details?: Parameters<typeof failWith>[2]) => failWith(render, code, details);

  const name = input.name.normalize('NFKC').trim().replace(/\s+/g, ' ');
  if ([...name.replace(/ /g, '')].length < 2 || name.length > 30 || !NAME.test(name)) return fail('invalid_input', { field: 'name' });
  const id = parseIdNumber(ctx, input.idNumber, input.idType ?? 'resident-id');
  if (!id.ok) return id;
  const phone = input.phone && input.phone.trim() !== '' ? input.phone.normalize('NFKC').replace(/[\s-]/g, '') : null;
  if (phone !== null && !PHONE.test(phone)) return fail('invalid_input', { field: 'phone' });
  const email = input.email && input.email.trim() !== '' ? input.email.normalize('NFKC').trim().toLowerCase() : null;
  if (email !== null && (!EMAIL.test(email) || email.length > 100)) return fail('invalid_input', { field: 'email' });
  const username = normalizeUsername(input.username);
  if (username === '' || ![phone, email, id.value].includes(username)) return fail('invalid_input', { field: 'username' });
  const passwordProblem = checkPassword(input.password);
  if (passwordProblem) return fail('weak_password', { problem: passwordProblem });
  const questions = input.securityQuestions ?? [];
  if (questions.some((q) => q.question.trim() === '' || normalizeAnswer(q.answer) === '')) {
    return fail('invalid_input', { field: 'securityQuestions' });
  }

  // Cheap refusals first, before the deliberately slow hashing.
  const early = await uniquenessProblem(ctx, username, phone, email);
  if (early) return early;
  const idRecord = await stores.idRecords.get(id.value);
  const status = idStatusOf(idRecord, (await holdersOf(ctx, idRecord)).live);
  if (status === 'pending-review') return fail('id_pending_review');
  if (status === 'registered' && input.reRegister !== true) return fail('id_taken');

  const passwordHash = await ctx.hasher.hash(input.password);
  const securityQuestions = await Promise.all(
    questions.map(async (q) => ({ question: q.question.trim(), answerHash: await ctx.hasher.hash(normalizeAnswer(q.answer)) })),
  );

  let outcome: Failure | undefined = fail('unavailable');
  let created: AccountRecord | undefined;
  // The ID record's lock serialises registrations of one ID; accounts and indexes are written
  // inside it, before the ID record that points at them.
  await stores.idRecords.update(id.value, async (current) => {
    const holders = await holdersOf(ctx, current);
    const nowStatus = idStatusOf(current, holders.live);
    if (nowStatus === 'pending-review') {
      outcome = fail('id_pending_review');
      return current;
    }
    if (nowStatus === 'registered' && input.reRegister !== true) {
      outcome = fail('id_taken');
      return current;
    }
    const now = ctx.now().toISOString();
    const account: AccountRecord = {
      username,
      passwordHash,
      name,
      idType: id.idType,
      idNumber: id.value,
      phone,
      email,
      emailActivated: false,
      realNameBound: false,
      securityQuestions,
      state: nowStatus === 'registered' ? 'duplicate-unverified' : 'active',
      createdAt: now,
      ...(nowStatus === 'registered' ? { duplicate: { since: now, uploads: { day: '', today: 0, total: 0 } } } : {}),
    };
    let usernameFree = false;
    await stores.accounts.update(username, (existing) => {
      if (existing) return existing;
      usernameFree = true;
      return account;
    });
    if (!usernameFree) {
      outcome = fail('username_taken', { field: 'username' });
      return current;
    }
    const claim = await claimContacts(ctx, username, phone, email);
    if (claim) {
      await stores.accounts.delete(username);
      outcome = claim;
      return current;
    }
    created = account;
    outcome = undefined;
    return { ...current, holders: [...(current?.holders ?? []).filter((h) => h !== username), username] };
  });

  if (!created) return outcome ?? fail('unavailable');
  if (created.email) await sendActivation(ctx, created);
  return ok(await viewFor(ctx, created, caller));
}

async function uniquenessProblem(ctx: CoreContext, username: string, phone: string | null, email: string | null): Promise<Failure | undefined> {
  const { stores, render } = ctx;
  if (await stores.accounts.get(username)) return failWith(render, 'username_taken', { field: 'username' });
  if (phone && (await liveOwner(ctx, await stores.phones.get(phone)))) return failWith(render, 'username_taken', { field: 'phone' });
  if (email && (await liveOwner(ctx, await stores.emails.get(email)))) return failWith(render, 'username_taken', { field: 'email' });
  return undefined;
}

async function liveOwner(ctx: CoreContext, index: { username: string } | undefined): Promise<string | undefined> {
  if (!index) return undefined;
  return isLive(await ctx.stores.accounts.get(index.username)) ? index.username : undefined;
}

/** Points the phone and e-mail indexes at the new account, unless a live account holds them. */
async function claimContacts(ctx: CoreContext, username: string, phone: string | null, email: string | null): Promise<Failure | undefined> {
  const claimed: { store: typeof ctx.stores.phones; key: string }[] = [];
  for (const [field, store, key] of [
    ['phone', ctx.stores.phones, phone],
    ['email', ctx.stores.emails, email],
  ] as const) {
    if (key === null) continue;
    let taken = false;
    await store.update(key, async (current) => {
      const owner = current && current.username !== username ? await liveOwner(ctx, current) : undefined;
      if (owner) {
        taken = true;
        return current;
      }
      return { username };
    });
    if (taken) {
      for (const done of claimed) await done.store.update(done.key, (current) => (current?.username === username ? undefined : current));
      return failWith(ctx.render, 'username_taken', { field });
    }
    claimed.push({ store, key });
  }
  return undefined;
}

/** The seeds' 帐号激活邮件: a one-time link that marks the e-mail as activated. */
async function sendActivation(ctx: CoreContext, account: AccountRecord): Promise<void> {
  if (!account.email) return;
  const now = ctx.now();
  const token = newToken(ctx.random);
  const expiresAt = new Date(now.getTime() + CORE_LIMITS.activationValidityMs).toISOString();
  await ctx.stores.tokens.put(tokenKey(token), { kind: 'activate', username: account.username, issuedAt: now.toISOString(), expiresAt });
  const vars = { link: `${ctx.publicUrl}/core/activate/${token}`, name: account.name, maskedEmail: maskEmail(account.email), expiresAt };
  try {
    await ctx.outbox.send({
      channel: 'email',
      to: account.email,
      subject: ctx.render('core/email/activation-subject', vars),
      body: ctx.render('core/email/activation', vars),
    });
  } catch {
    // The account exists either way; an undelivered activation mail only delays e-mail recovery.
  }
}

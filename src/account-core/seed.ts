import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { checkIdNumber } from '../domain/id-number.js';
import { isLive, normalizeUsername, type CoreContext } from './context.js';
import type { AccountRecord } from './records.js';
import { normalizeAnswer } from './secrets.js';

const seedAccountSchema = z.object({
  username: z.string().trim().min(1),
  password: z.string().min(1),
  name: z.string().trim().min(1),
  idType: z.enum(['resident-id', 'other']),
  idNumber: z.string().trim().min(1),
  phone: z.string().trim().min(1).nullish(),
  email: z.string().trim().email().nullish(),
  emailActivated: z.boolean().default(false),
  securityQuestions: z.array(z.object({ question: z.string().trim().min(1), answer: z.string().min(1) })).default([]),
  realNameBound: z.boolean().default(false),
  createdAt: z.string().datetime({ offset: true }),
  source: z.string().optional(),
});

const seedFileSchema = z.object({
  accounts: z.array(seedAccountSchema),
  pendingReviewIds: z.array(z.string().trim().min(1)).default([]),
});

/** The account seed format (docs/api.md), validated. */
export type AccountSeed = z.infer<typeof seedFileSchema>;

/** Parses a seed document; the error names every bad field, e.g. `accounts[2].idNumber`. */
export function parseAccountSeed(data: unknown, source = 'account seed', today: Date = new Date()): AccountSeed {
  const parsed = seedFileSchema.safeParse(data);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${fieldPath(issue.path)}: ${issue.message}`);
  } else {
    const seen = new Set<string>();
    parsed.data.accounts.forEach((account, index) => {
      const check = checkIdNumber(account.idNumber, account.idType, today);
      if (!check.ok) problems.push(`accounts[${index}].idNumber: invalid ${account.idType} number (${check.problem.kind})`);
      const username = normalizeUsername(account.username);
      if (seen.has(username)) problems.push(`accounts[${index}].username: duplicate username`);
      seen.add(username);
    });
    parsed.data.pendingReviewIds.forEach((id, index) => {
      if (!checkIdNumber(id, 'resident-id', today).ok && !checkIdNumber(id, 'other', today).ok) {
        problems.push(`pendingReviewIds[${index}]: invalid ID number`);
      }
    });
  }
  if (problems.length > 0 || !parsed.success) throw new Error(`Invalid ${source}:\n  ${problems.join('\n  ')}`);
  return parsed.data;
}

/** Reads and validates a seed file. */
export async function readAccountSeedFile(file: string, today?: Date): Promise<AccountSeed> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read account seed file ${file}: ${(error as Error).message}`);
  }
  return parseAccountSeed(data, `account seed file ${file}`, today);
}

/**
 * Imports a seed once: when the marker is absent. Existing accounts are never overwritten, so a
 * seed interrupted by a crash can simply run again. Passwords and answers are hashed on import.
 */
export async function importAccountSeed(ctx: CoreContext, seed: AccountSeed): Promise<{ imported: boolean; accounts: number }> {
  if (await ctx.stores.meta.get('seed')) return { imported: false, accounts: 0 };
  for (const entry of seed.accounts) {
    const idNumber = checkIdNumber(entry.idNumber, entry.idType, ctx.now());
    if (!idNumber.ok) continue;
    const account: AccountRecord = {
      username: normalizeUsername(entry.username),
      passwordHash: await ctx.hasher.hash(entry.password),
      name: entry.name,
      idType: entry.idType,
      idNumber: idNumber.value,
      phone: entry.phone ?? null,
      email: entry.email?.toLowerCase() ?? null,
      emailActivated: entry.emailActivated,
      realNameBound: entry.realNameBound,
      securityQuestions: await Promise.all(
        entry.securityQuestions.map(async (q) => ({ question: q.question, answerHash: await ctx.hasher.hash(normalizeAnswer(q.answer)) })),
      ),
      state: 'active',
      createdAt: new Date(entry.createdAt).toISOString(),
      ...(entry.source === undefined ? {} : { source: entry.source }),
    };
    await ctx.stores.accounts.update(account.username, (existing) => existing ?? account);
    for (const [store, key] of [
      [ctx.stores.phones, account.phone],
      [ctx.stores.emails, account.email],
    ] as const) {
      if (key === null) continue;
      await store.update(key, async (current) =>
        current && isLive(await ctx.stores.accounts.get(current.username)) ? current : { username: account.username },
      );
    }
    await ctx.stores.idRecords.update(account.idNumber, (record) => ({
      ...record,
      holders: [...(record?.holders ?? []).filter((h) => h !== account.username), account.username],
    }));
  }
  for (const raw of seed.pendingReviewIds) {
    const resident = checkIdNumber(raw, 'resident-id', ctx.now());
    const id = resident.ok ? resident.value : checkIdNumber(raw, 'other', ctx.now());
    const key = typeof id === 'string' ? id : id.ok ? id.value : undefined;
    if (key) await ctx.stores.idRecords.update(key, (record) => ({ holders: record?.holders ?? [], seededPending: true }));
  }
  await ctx.stores.meta.put('seed', { seededAt: ctx.now().toISOString(), accounts: seed.accounts.length });
  return { imported: true, accounts: seed.accounts.length };
}

function fieldPath(path: (string | number)[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '') || '(file)';
}

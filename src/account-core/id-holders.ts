import { checkIdNumber, type IdType } from '../domain/id-number.js';
import { failWith, isLive, type CoreContext, type Failure } from './context.js';
import type { AccountRecord, IdRecord } from './records.js';
import type { IdStatus } from './types.js';

/** The accounts an ID record points at, split by whether they still count. Dangling names are skipped. */
export async function holdersOf(ctx: CoreContext, record: IdRecord | undefined): Promise<{ live: AccountRecord[]; cancelled: AccountRecord[] }> {
  const live: AccountRecord[] = [];
  const cancelled: AccountRecord[] = [];
  for (const username of record?.holders ?? []) {
    const account = await ctx.stores.accounts.get(username);
    if (isLive(account)) live.push(account);
    else if (account) cancelled.push(account);
  }
  return { live, cancelled };
}

/**
 * free: nobody holds it; registered: held; pending-review: several people registered it and
 * the conflict awaits resolution (or the seed says so).
 */
export function idStatusOf(record: IdRecord | undefined, live: AccountRecord[]): IdStatus {
  if (record?.seededPending) return 'pending-review';
  if (live.some((account) => account.state === 'duplicate-unverified' && !account.duplicate?.resolvedAt)) return 'pending-review';
  return live.length > 0 ? 'registered' : 'free';
}

/** Validates and compacts an ID number, or explains exactly what is wrong with it. */
export function parseIdNumber(
  ctx: CoreContext,
  raw: unknown,
  idType: unknown,
): { ok: true; value: string; idType: IdType; format: '18' | '15' | 'other' } | Failure {
  const type: IdType = idType === 'other' ? 'other' : 'resident-id';
  if (idType !== undefined && idType !== 'resident-id' && idType !== 'other') return failWith(ctx.render, 'invalid_input', { field: 'idType' });
  if (typeof raw !== 'string') return failWith(ctx.render, 'invalid_id_number', { problem: 'empty' });
  const check = checkIdNumber(raw, type, ctx.now());
  if (check.ok) return { ok: true, value: check.value, idType: type, format: check.format };
  const { problem } = check;
  const details: Record<string, string | number> = { problem: problem.kind, idType: type };
  if (problem.kind === 'length') details.length = problem.length;
  if (problem.kind === 'check-digit') details.expected = problem.expected;
  return failWith(ctx.render, 'invalid_id_number', details);
}

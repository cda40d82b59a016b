import { CalendarNotCoveredError } from '../calendar/working-days.js';
import { decodeBase64, detectImageType } from '../media/image-type.js';
import { maskIdNumber, maskPhone, maskUsername } from '../privacy/mask.js';
import { StorageQueryError } from '../storage/types.js';
import { chinaDay, failWith, isLive, normalizeName, ok, spendLookup, type CoreContext, type Failure, type Implementations } from './context.js';
import { CORE_LIMITS } from './limits.js';
import { MAX_REVIEW_PAGE, REVIEW_PAGE } from './operations.js';
import type { AccountRecord, AssistRecord, DuplicateRecord, ReviewRecord } from './records.js';
import { checkOwnerProof } from './owner-proof.js';
import { recoverableAccount } from './recovery.js';
import { notifyReviewDecision } from './review-notice.js';
import { newId } from './secrets.js';
import type { AssistRequest, CoreResult, DuplicateStatus, ImageUpload, ReviewStatus, ReviewSummary } from './types.js';

type DuplicateId = Implementations<
  | 'getDuplicateStatus'
  | 'submitPhotoReview'
  | 'requestClassmateAssist'
  | 'listInbox'
  | 'respondToAssist'
  | 'listReviews'
  | 'getReview'
  | 'decideReview'
>;

const PHONE = /^1[3-9]\d{9}$/;

/** 证件重复: photo review, classmate assistance, and the agents' decisions. */
export function createDuplicateId(ctx: CoreContext): DuplicateId {
  const { stores, render } = ctx;
  const fail = (code: Parameters<typeof failWith>[1], details?: Parameters<typeof failWith>[2]) => failWith(render, code, details);

  function dueAtFor(createdAt: Date): string | null {
    try {
      return ctx.calendar.addWorkingDays(createdAt, CORE_LIMITS.reviewWorkingDays).toISOString();
    } catch (error) {
      if (error instanceof CalendarNotCoveredError) return null;
      throw error;
    }
  }

  /** The review as its submitter sees it: no username, no ID number. */
  function status(review: ReviewRecord): ReviewStatus {
    // A pending review's deadline follows the current holiday calendar, which an operator may have
    // reloaded since (knowledge/calendar/<year>.yaml); a decided one keeps the date it had.
    const dueAt =
      review.state === 'pending' ? (dueAtFor(new Date(review.createdAt)) ?? review.dueAt) : (review.dueAt ?? dueAtFor(new Date(review.createdAt)));
    return {
      id: review.id,
      state: review.state,
      ...(review.reason === undefined ? {} : { reason: review.reason }),
      createdAt: review.createdAt,
      dueAt,
      ...(dueAt === null ? { dueAtUnavailable: 'calendar-not-covered' as const } : {}),
      ...(review.decidedAt === undefined ? {} : { decidedAt: review.decidedAt }),
    };
  }

  /** The review as agents see it (service scope only). */
  function summary(review: ReviewRecord): ReviewSummary {
    return {
      ...status(review),
      username: review.username,
      idNumber: review.idNumber,
      ...(review.decidedBy === undefined ? {} : { decidedBy: review.decidedBy }),
    };
  }

  function assistView(request: AssistRecord): AssistRequest {
    // Each side sees the other's username masked: it may be a phone or an ID number.
    return {
      id: request.id,
      requester: maskUsername(request.requester),
      requesterName: request.requesterName,
      requesterPhone: maskPhone(request.requesterPhone),
      classmate: maskUsername(request.classmate),
      state: request.state,
      createdAt: request.createdAt,
    };
  }

  function uploadCounts(duplicate: DuplicateRecord | undefined, day: string): { today: number; total: number } {
    if (!duplicate) return { today: 0, total: 0 };
    return { today: duplicate.uploads.day === day ? duplicate.uploads.today : 0, total: duplicate.uploads.total };
  }

  /** Why this account cannot submit photos now, if it cannot. */
  async function uploadRefusal(account: AccountRecord, day: string): Promise<Failure | undefined> {
    if (account.state === 'cancelled') return fail('account_cancelled', { reason: account.cancelledReason ?? null });
    if (!account.duplicate || account.duplicate.resolvedAt) return fail('no_conflict');
    const latest = account.duplicate.latestReviewId ? await stores.reviews.get(account.duplicate.latestReviewId) : undefined;
    if (latest?.state === 'pending') return fail('review_pending', { dueAt: status(latest).dueAt });
    const counts = uploadCounts(account.duplicate, day);
    if (counts.total >= CORE_LIMITS.uploadsTotal) return fail('upload_total_limit', { limit: CORE_LIMITS.uploadsTotal });
    if (counts.today >= CORE_LIMITS.uploadsPerDay) return fail('upload_daily_limit', { limit: CORE_LIMITS.uploadsPerDay });
    return undefined;
  }

  async function checkPhoto(side: 'front' | 'back', upload: ImageUpload | undefined): Promise<CoreResult<{ type: string; data: string }>> {
    const bytes = typeof upload?.data === 'string' ? decodeBase64(upload.data) : undefined;
    const type = bytes ? await detectImageType(bytes) : undefined;
    if (!bytes || !type) return fail('image_type', { side });
    if (bytes.length > CORE_LIMITS.photoMaxBytes) {
      return fail('image_too_large', { side, maxKb: CORE_LIMITS.photoMaxBytes / 1024, sizeKb: Math.ceil(bytes.length / 1024) });
    }
    return ok({ type, data: bytes.toString('base64') });
  }

  /**
   * The conflict is settled in this account's favour: it becomes active and every other account
   * holding the ID is cancelled, with the reason recorded. Idempotent, so a retry completes it.
   */
  async function resolveConflict(username: string, by: { kind: 'review' | 'assist'; reference: string }): Promise<void> {
    const now = ctx.now().toISOString();
    const resolved = await stores.accounts.update(username, (account) => {
      if (!account || account.state === 'cancelled') return account;
      const duplicate =
        account.duplicate && !account.duplicate.resolvedAt ? { ...account.duplicate, resolvedAt: now, resolvedBy: by.kind } : account.duplicate;
      return { ...account, state: 'active', ...(duplicate ? { duplicate } : {}) };
    });
    if (!resolved || resolved.state === 'cancelled') return;
    const reason = render(`core/reasons/cancelled-by-${by.kind}`, {
      maskedIdNumber: maskIdNumber(resolved.idNumber),
      date: chinaDay(new Date(now)),
      reference: by.reference,
    });
    // Same lock order as registration: the ID record, then the accounts it points at.
    await stores.idRecords.update(resolved.idNumber, async (record) => {
      for (const holder of record?.holders ?? []) {
        if (holder === username) continue;
        await stores.accounts.update(holder, (other) =>
          other && other.state !== 'cancelled' ? { ...other, state: 'cancelled', cancelledAt: now, cancelledReason: reason } : other,
        );
      }
      if (!record) return { holders: [username] };
      const { seededPending: _settled, ...rest } = record;
      return rest;
    });
  }

  return {
    async getDuplicateStatus(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const account = found.value;
      const counts = uploadCounts(account.duplicate, chinaDay(ctx.now()));
      const latest = account.duplicate?.latestReviewId ? await stores.reviews.get(account.duplicate.latestReviewId) : undefined;
      let state: DuplicateStatus['state'] = 'none';
      if (account.duplicate?.resolvedAt) state = 'resolved';
      else if (account.duplicate)
        state =
          latest?.state === 'pending'
            ? 'pending'
            : latest?.state === 'rejected'
              ? 'rejected'
              : latest?.state === 'approved'
                ? 'resolved'
                : 'unresolved';
      const leftTotal = Math.max(0, CORE_LIMITS.uploadsTotal - counts.total);
      return ok({
        state,
        maskedIdNumber: maskIdNumber(account.idNumber),
        ...(latest ? { latestReview: status(latest) } : {}),
        uploadsToday: counts.today,
        uploadsTotal: counts.total,
        uploadsLeftToday: Math.min(leftTotal, Math.max(0, CORE_LIMITS.uploadsPerDay - counts.today)),
        uploadsLeftTotal: leftTotal,
      });
    },

    async submitPhotoReview(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const now = ctx.now();
      const day = chinaDay(now);
      const refusal = await uploadRefusal(found.value, day);
      if (refusal) return refusal;
      const front = await checkPhoto('front', input.front);
      if (!front.ok) return front;
      const back = await checkPhoto('back', input.back);
      if (!back.ok) return back;

      const review: ReviewRecord = {
        id: newId('rv', ctx.random),
        username: found.value.username,
        idNumber: found.value.idNumber,
        state: 'pending',
        createdAt: now.toISOString(),
        dueAt: dueAtFor(now),
      };
      // Photos and the pending review (listed through the reviews' state index) exist before the
      // account counts the upload, so agents always see what a user was told was submitted.
      await stores.reviewPhotos.put(review.id, { front: front.value, back: back.value });
      await stores.reviews.put(review.id, review);
      let refused: Failure | undefined;
      await stores.accounts.update(review.username, async (account) => {
        refused = account ? await uploadRefusal(account, day) : fail('not_registered', { subject: 'username' });
        if (refused || !account?.duplicate) return account;
        const counts = uploadCounts(account.duplicate, day);
        return {
          ...account,
          duplicate: { ...account.duplicate, latestReviewId: review.id, uploads: { day, today: counts.today + 1, total: counts.total + 1 } },
        };
      });
      if (refused) {
        await stores.reviews.delete(review.id);
        await stores.reviewPhotos.delete(review.id);
        return refused;
      }
      return ok(status(review));
    },

    async requestClassmateAssist(input, caller) {
      const classmatePhone = input.classmatePhone.replace(/[\s-]/g, '');
      const ownPhone = input.ownPhone.replace(/[\s-]/g, '');
      if (!PHONE.test(classmatePhone)) return fail('invalid_input', { field: 'classmatePhone' });
      if (!PHONE.test(ownPhone)) return fail('invalid_input', { field: 'ownPhone' });
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const account = found.value;
      if (!account.duplicate || account.duplicate.resolvedAt) return fail('no_conflict');
      // Naming a classmate by phone is a lookup by phone.
      const spent = await spendLookup(ctx, caller);
      if (spent) return spent;

      const owner = await stores.phones.get(classmatePhone);
      const classmate = owner ? await stores.accounts.get(owner.username) : undefined;
      if (!isLive(classmate) || classmate.phone !== classmatePhone) return fail('classmate_not_found');
      if (classmate.username === account.username) return fail('invalid_input', { field: 'classmatePhone' });
      if (normalizeName(classmate.name) !== normalizeName(input.classmateName)) return fail('classmate_name_mismatch');
      if (classmate.state !== 'active' || !classmate.realNameBound) return fail('classmate_not_bound');

      const now = ctx.now();
      const day = chinaDay(now);
      let allowed = false;
      await stores.limits.update(`assist:${account.username}`, (current) => {
        const count = current?.day === day ? (current.count ?? 0) : 0;
        if (count >= CORE_LIMITS.assistsPerDay) return current;
        allowed = true;
        return { day, count: count + 1 };
      });
      if (!allowed) return fail('assist_daily_limit', { limit: CORE_LIMITS.assistsPerDay });

      const request: AssistRecord = {
        id: newId('as', ctx.random),
        requester: account.username,
        requesterName: account.name,
        requesterPhone: ownPhone,
        classmate: classmate.username,
        state: 'pending',
        createdAt: now.toISOString(),
      };
      await stores.assists.put(request.id, request);
      await stores.inboxes.update(classmate.username, (inbox) => ({ ids: [...(inbox?.ids ?? []), request.id].slice(-200) }));
      return ok(assistView(request));
    },

    async listInbox(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      const inbox = await stores.inboxes.get(found.value.username);
      const requests: AssistRequest[] = [];
      for (const id of [...(inbox?.ids ?? [])].reverse()) {
        const request = await stores.assists.get(id);
        if (request) requests.push(assistView(request));
      }
      return ok({ requests });
    },

    async respondToAssist(input, caller) {
      const found = await recoverableAccount(ctx, input.username, caller);
      if (!found.ok) return found;
      // Accepting resolves the requester's conflict and cancels the ID's other holders: only the classmate may.
      const refused = await checkOwnerProof(ctx, found.value, input.proof, caller);
      if (refused) return refused;
      let outcome: CoreResult<AssistRequest> = fail('not_found', { what: 'assist' });
      const now = ctx.now().toISOString();
      const answered = await stores.assists.update(input.requestId, (request) => {
        if (!request || request.classmate !== found.value.username) return request;
        if (request.state !== 'pending') {
          outcome = fail('already_decided', { what: 'assist' });
          return request;
        }
        const next: AssistRecord = { ...request, state: input.accept ? 'accepted' : 'declined', respondedAt: now };
        outcome = ok(assistView(next));
        return next;
      });
      if (outcome.ok && answered?.state === 'accepted') await resolveConflict(answered.requester, { kind: 'assist', reference: answered.id });
      return outcome;
    },

    async listReviews(input) {
      // One page through the state index, oldest first (the collection is ordered by createdAt).
      try {
        const page = await stores.reviews.page({
          ...(input.status ? { where: { state: input.status } } : {}),
          limit: Math.min(input.limit ?? REVIEW_PAGE, MAX_REVIEW_PAGE),
          cursor: input.cursor,
        });
        return ok({ reviews: page.items.map(summary), cursor: page.cursor });
      } catch (error) {
        if (error instanceof StorageQueryError) return fail('invalid_input', { field: 'cursor' });
        throw error;
      }
    },

    async getReview(input) {
      const review = await stores.reviews.get(input.reviewId);
      const photos = review ? await stores.reviewPhotos.get(review.id) : undefined;
      if (!review || !photos) return fail('not_found', { what: 'review' });
      const account = await stores.accounts.get(review.username);
      const idRecord = await stores.idRecords.get(review.idNumber);
      const otherHolders: string[] = [];
      for (const holder of idRecord?.holders ?? []) {
        if (holder !== review.username && isLive(await stores.accounts.get(holder))) otherHolders.push(holder);
      }
      return ok({ ...summary(review), name: account?.name ?? '', front: photos.front, back: photos.back, otherHolders });
    },

    async decideReview(input) {
      const agent = input.agent.trim();
      const reason = input.reason?.trim() ?? '';
      if ((input.decision === 'reject' && reason === '') || reason.length > 200) return fail('invalid_input', { field: 'reason' });

      const now = ctx.now().toISOString();
      let outcome: CoreResult<ReviewSummary> = fail('not_found', { what: 'review' });
      let apply = false;
      let justDecided = false;
      const decided = await stores.reviews.update(input.reviewId, (review) => {
        if (!review) return review;
        if (review.state !== 'pending') {
          // A crash may have interrupted an approval's effects; approving again completes them.
          apply = review.state === 'approved' && !review.applied && input.decision === 'approve';
          outcome = apply ? ok(summary(review)) : fail('already_decided', { what: 'review', state: review.state });
          return review;
        }
        const next: ReviewRecord = {
          ...review,
          state: input.decision === 'approve' ? 'approved' : 'rejected',
          ...(reason === '' ? {} : { reason }),
          decidedAt: now,
          decidedBy: agent,
        };
        apply = input.decision === 'approve';
        justDecided = true;
        outcome = ok(summary(next));
        return next;
      });
      if (!decided || !outcome.ok) return outcome;
      if (apply) {
        await resolveConflict(decided.username, { kind: 'review', reference: decided.id });
        await stores.reviews.update(decided.id, (review) => (review ? { ...review, applied: true } : review));
      }
      // The decision stands even if the notice cannot be sent; the help desk also tells the user on their chat channel.
      if (justDecided) await notifyReviewDecision(ctx, decided).catch(() => undefined);
      return outcome;
    },
  };
}

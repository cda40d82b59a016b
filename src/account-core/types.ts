import type { IdType } from '../domain/id-number.js';
import type { Result } from '../domain/result.js';

/**
 * The 学信网 account system as the assistant sees it. Implemented by the embedded core and by
 * an HTTP client for a remote core; both pass the same contract test suite, so callers cannot
 * tell them apart. Every operation returns a CoreResult instead of throwing for domain failures.
 *
 * Two scopes (docs/account-core.md): the core as a **service** (what the composition root and
 * the agent console hold) and the core **acting for one end user** (`forEndUser`, what the
 * engine hands each flow, keyed by the conversation id). Acting for an end user, channel
 * bindings are that user's own, lookups are limited per that user, and agent-only operations are
 * refused. Answers never carry a full ID number, phone, e-mail or username in either scope;
 * `accountRef` stands in for a username the caller was not told.
 */
/** Where an end user's request came from, as far as the caller knows. */
export interface EndUserOrigin {
  address?: string;
}

export interface AccountCore extends CoreOperations {
  /**
   * The same core acting for one end user (a conversation id, a web identity, an openid).
   * `address`: where that user's message came from, when the channel knows; lookups are then
   * limited per address as well as per user.
   */
  forEndUser(endUserId: string, origin?: EndUserOrigin): AccountCore;
}

/** The operations themselves: one entry each in the operations table (operations.ts). */
export interface CoreOperations {
  // ---- limits ----
  /** The figures users are told (SMS per day, resend interval, password policy, lifetimes). */
  limits(input: Record<string, never>): Promise<CoreResult<CoreLimitsView>>;

  // ---- identity and lookup ----
  /** Status of an ID number: free, registered, or awaiting duplicate review. */
  getIdStatus(input: { idType?: IdType; idNumber: string }): Promise<CoreResult<{ status: IdStatus }>>;
  /** 找回用户名: ID number + name. Failures count against the asker, never against the ID number. */
  findUsername(input: { idType?: IdType; idNumber: string; name: string }): Promise<CoreResult<FoundAccount>>;
  /** Masked view of one account (never the password). `username` may be an `accountRef`. */
  getAccount(input: { username: string }): Promise<CoreResult<AccountView>>;
  /** Checks a username and password (cancelled accounts cannot log in). */
  login(input: { username: string; password: string }): Promise<CoreResult<AccountView>>;
  /** Registration. With a taken ID, `reRegister: true` (我要重新注册) creates a duplicate-unverified account. */
  register(input: RegistrationInput): Promise<CoreResult<AccountView>>;
  /** A one-time link to the registration page (`/core/register/:token`), for a flow to hand out. */
  createRegistrationLink(input: Record<string, never>): Promise<CoreResult<RegistrationLink>>;
  /**
   * Real-name binding; refused while a duplicate-ID conflict is unresolved or the account is
   * cancelled. Needs the owner's proof: the password, or an `account-change` SMS code.
   */
  bindRealName(input: { username: string; proof: OwnerProof }): Promise<CoreResult<AccountView>>;

  // ---- password recovery ----
  /** The recovery methods an account has, with targets already masked; an empty list when it has none. */
  getRecoveryMethods(input: { username: string }): Promise<CoreResult<{ methods: RecoveryMethod[] }>>;
  /** Sends a 6-digit SMS code (valid 24 h) to the bound phone. Max 5 per phone per day, none within 60 s. */
  sendSmsCode(input: { username: string; purpose: CodePurpose }): Promise<CoreResult<CodeSent>>;
  /** Checks an SMS code for password reset; success returns a single-use reset token. */
  verifySmsCode(input: { username: string; code: string }): Promise<CoreResult<ResetGrant>>;
  /** Sends a one-time reset link to the security e-mail. */
  sendResetEmail(input: { username: string }): Promise<CoreResult<CodeSent>>;
  /** Checks security-question answers (limited attempts); success returns a reset token. */
  verifySecurityAnswers(input: { username: string; answers: string[] }): Promise<CoreResult<ResetGrant>>;
  /** Sets a new password (8–16 characters with letters and digits) with a reset token; the token is spent. */
  resetPassword(input: { token: string; newPassword: string }): Promise<CoreResult<{ maskedUsername: string }>>;

  // ---- duplicate-ID resolution ----
  /** Where the account's duplicate-ID conflict stands, with upload counters. */
  getDuplicateStatus(input: { username: string }): Promise<CoreResult<DuplicateStatus>>;
  /** Hand-held ID photos, front and back; creates a review item due in 3 working days. */
  submitPhotoReview(input: { username: string; front: ImageUpload; back: ImageUpload }): Promise<CoreResult<ReviewStatus>>;
  /** Asks a classmate (existing, phone-bound account with matching name) to vouch. Max 5 per day. */
  requestClassmateAssist(input: {
    username: string;
    classmateName: string;
    classmatePhone: string;
    ownPhone: string;
  }): Promise<CoreResult<AssistRequest>>;
  /** A user's inbox of assistance requests addressed to them. */
  listInbox(input: { username: string }): Promise<CoreResult<{ requests: AssistRequest[] }>>;
  /**
   * The classmate accepts or declines; acceptance resolves the requester's conflict (and so
   * cancels the other holders of the ID). Needs the classmate's own proof.
   */
  respondToAssist(input: { username: string; requestId: string; accept: boolean; proof: OwnerProof }): Promise<CoreResult<AssistRequest>>;

  // ---- agent review (service scope only) ----
  listReviews(input: ReviewListQuery): Promise<CoreResult<{ reviews: ReviewSummary[]; cursor: string | null }>>;
  /** One review with both photos (base64), for authenticated agents only. */
  getReview(input: { reviewId: string }): Promise<CoreResult<ReviewDetail>>;
  /** Approve (resolves the conflict, cancels the other holders of the ID) or reject with a reason. */
  decideReview(input: { reviewId: string; decision: 'approve' | 'reject'; reason?: string; agent: string }): Promise<CoreResult<ReviewSummary>>;

  // ---- channel binding ----
  /**
   * `channelUserId` names the chat user to bind. Acting for an end user it may only be that
   * user (and may be left out); in service scope it is required.
   */
  startBinding(input: { channelUserId?: string; username: string; via: 'sms' | 'email' }): Promise<CoreResult<CodeSent>>;
  confirmBinding(input: { channelUserId?: string; code: string }): Promise<CoreResult<BoundAccount>>;
  getBinding(input: { channelUserId?: string }): Promise<CoreResult<BoundAccount | NoAccount>>;
  /** Unbinding is the bound chat user's own act: acting for an end user, only their own binding. */
  unbind(input: { channelUserId?: string }): Promise<CoreResult<BoundAccount | NoAccount>>;

  // ---- deliveries (service scope only) ----
  /** SMS and e-mail the core sent (the embedded core's outbox), newest first. */
  listOutbox(input: { limit?: number; recipient?: string }): Promise<CoreResult<{ messages: OutboxMessage[] }>>;
}

/** The operations only a service (not an end user) may call. */
export const SERVICE_ONLY_OPERATIONS = [
  'listReviews',
  'getReview',
  'decideReview',
  'listOutbox',
] as const satisfies readonly (keyof CoreOperations)[];

/**
 * Proof that the account's owner asks for a change: the account's password, or a code sent
 * to its bound phone with `sendSmsCode({ purpose: 'account-change' })`.
 */
export type OwnerProof = { password: string } | { smsCode: string };

/**
 * An account the caller may name again without being told its username: pass `accountRef`
 * wherever an operation takes `username`. Valid for the end user it was issued to, for a day.
 */
export interface FoundAccount {
  accountRef: string;
  maskedUsername: string;
}

export type BoundAccount = FoundAccount;
export interface NoAccount {
  accountRef: null;
  maskedUsername: null;
}

export interface RegistrationLink {
  url: string;
  expiresAt: string;
}

/** What templates quote instead of hard-coding figures. */
export interface CoreLimitsView {
  smsPerDay: number;
  resendIntervalSeconds: number;
  codeValidityHours: number;
  codeWrongAttempts: number;
  answerFailuresPerDay: number;
  resetLinkValidityHours: number;
  resetGrantValidityMinutes: number;
  activationValidityHours: number;
  registrationLinkValidityHours: number;
  password: { minLength: number; maxLength: number; needsLettersAndDigits: boolean };
  photoMaxKb: number;
  uploadsPerDay: number;
  uploadsTotal: number;
  assistsPerDay: number;
  reviewWorkingDays: number;
  lookupFailuresPerHour: number;
}

export type CoreResult<T> = Result<T, CoreError>;

/** A domain failure: a stable code, a Chinese message for people, optional details. */
export interface CoreError {
  code: CoreErrorCode;
  message: string;
  details?: Record<string, string | number | boolean | null>;
}

export type CoreErrorCode =
  | 'invalid_input'
  | 'invalid_id_number'
  | 'not_registered'
  | 'name_mismatch'
  | 'rate_limited'
  | 'account_cancelled'
  | 'id_taken'
  | 'id_pending_review'
  | 'username_taken'
  | 'no_recovery_method'
  | 'method_unavailable'
  | 'send_too_soon'
  | 'daily_limit'
  | 'code_invalid'
  | 'code_expired'
  | 'attempts_exceeded'
  | 'answers_wrong'
  | 'token_invalid'
  | 'weak_password'
  | 'duplicate_unresolved'
  | 'no_conflict'
  | 'review_pending'
  | 'image_type'
  | 'image_too_large'
  | 'upload_daily_limit'
  | 'upload_total_limit'
  | 'classmate_not_found'
  | 'classmate_name_mismatch'
  | 'classmate_not_bound'
  | 'assist_daily_limit'
  | 'not_found'
  | 'already_decided'
  | 'not_bound'
  /** Login refused: unknown username or wrong password (deliberately not told apart). */
  | 'wrong_credentials'
  /** HTTP only: a route was called without the shared service token. */
  | 'unauthorized'
  /** The caller may not do this: another user's binding, an agent operation for an end user, a wrong proof. */
  | 'forbidden'
  /** The owner's proof (password or account-change code) for a change to an account was wrong. */
  | 'proof_invalid'
  | 'unavailable';

export type IdStatus = 'free' | 'registered' | 'pending-review';
export type CodePurpose = 'reset-password' | 'bind' | 'account-change';
export type AccountState = 'active' | 'duplicate-unverified' | 'cancelled';
/** 待审核 / 审核失败 / 已通过 */
export type ReviewState = 'pending' | 'rejected' | 'approved';

/** One page of reviews, oldest first: `cursor` from the previous page, `limit` up to 200 (default 50). */
export interface ReviewListQuery {
  status?: ReviewState;
  cursor?: string;
  limit?: number;
}

/** An account as callers see it: masked contact data, an `accountRef` instead of the username. */
export interface AccountView extends FoundAccount {
  name: string;
  idType: IdType;
  maskedIdNumber: string;
  maskedPhone: string | null;
  maskedEmail: string | null;
  emailActivated: boolean;
  realNameBound: boolean;
  state: AccountState;
  createdAt: string;
  cancelledReason?: string;
  source?: string;
}

export interface RegistrationInput {
  username: string;
  password: string;
  name: string;
  idType: IdType;
  idNumber: string;
  phone?: string | null;
  email?: string | null;
  securityQuestions?: { question: string; answer: string }[];
  /** 我要重新注册: proceed although the ID is already registered. */
  reRegister?: boolean;
}

export type RecoveryMethod = { kind: 'sms'; target: string } | { kind: 'email'; target: string } | { kind: 'questions'; questions: string[] };

export interface CodeSent {
  /** Masked phone or e-mail. */
  sentTo: string;
  expiresAt: string;
  /** Sends left today for this phone, where the rule counts them. */
  remainingToday?: number;
}

export interface ResetGrant {
  /** Single-use token for `/core/reset/:token`. */
  resetToken: string;
  expiresAt: string;
}

export interface DuplicateStatus {
  /** none: no conflict; unresolved: re-registered, nothing submitted or last review rejected. */
  state: 'none' | 'unresolved' | 'pending' | 'rejected' | 'resolved';
  maskedIdNumber: string;
  latestReview?: ReviewStatus;
  uploadsToday: number;
  uploadsTotal: number;
  uploadsLeftToday: number;
  uploadsLeftTotal: number;
}

export interface ImageUpload {
  name: string;
  /** The declared MIME type; the core decides by content, not by this or the name. */
  type: string;
  /** Base64-encoded bytes. */
  data: string;
}

/** A review as its submitter sees it: no username, no ID number. */
export interface ReviewStatus {
  id: string;
  state: ReviewState;
  reason?: string;
  createdAt: string;
  /** 3 working days after `createdAt`; `null` while the holiday calendar does not cover the deadline. */
  dueAt: string | null;
  /** Why `dueAt` is null: the holiday data ends before the deadline (never guessed from Mon–Fri). */
  dueAtUnavailable?: 'calendar-not-covered';
  decidedAt?: string;
}

/** A review as agents see it (service scope only). */
export interface ReviewSummary extends ReviewStatus {
  username: string;
  idNumber: string;
  decidedBy?: string;
}

export interface ReviewDetail extends ReviewSummary {
  name: string;
  front: { type: string; data: string };
  back: { type: string; data: string };
  /** Other accounts holding the same ID number, which approval would cancel. */
  otherHolders: string[];
}

export interface AssistRequest {
  id: string;
  requester: string;
  requesterName: string;
  /** The requester's own phone, shown masked to the classmate. */
  requesterPhone: string;
  classmate: string;
  state: 'pending' | 'accepted' | 'declined';
  createdAt: string;
}

export interface OutboxMessage {
  id: string;
  channel: 'sms' | 'email';
  to: string;
  subject?: string;
  body: string;
  createdAt: string;
}

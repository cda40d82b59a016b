import type { IdType } from '../domain/id-number.js';

/**
 * The 学信网 account system as the assistant sees it. Implemented by the embedded core and by
 * an HTTP client for a remote core; both pass the same contract test suite, so callers cannot
 * tell them apart. Every operation returns a CoreResult instead of throwing for domain failures.
 */
export interface AccountCore {
  // ---- identity and lookup ----
  /** Status of an ID number: free, registered, or awaiting duplicate review. */
  getIdStatus(input: { idType?: IdType; idNumber: string }): Promise<CoreResult<{ status: IdStatus }>>;
  /** 找回用户名: ID number + name. `callerId` identifies who asks, for rate limiting. */
  findUsername(input: { idType?: IdType; idNumber: string; name: string; callerId: string }): Promise<CoreResult<{ username: string }>>;
  /** Public view of one account (never the password). */
  getAccount(input: { username: string }): Promise<CoreResult<AccountView>>;
  /** Checks a username and password (cancelled accounts cannot log in). */
  login(input: { username: string; password: string }): Promise<CoreResult<AccountView>>;
  /** Registration. With a taken ID, `reRegister: true` (我要重新注册) creates a duplicate-unverified account. */
  register(input: RegistrationInput): Promise<CoreResult<AccountView>>;
  /** Real-name binding; refused while a duplicate-ID conflict is unresolved or the account is cancelled. */
  bindRealName(input: { username: string }): Promise<CoreResult<AccountView>>;

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
  resetPassword(input: { token: string; newPassword: string }): Promise<CoreResult<{ username: string }>>;

  // ---- duplicate-ID resolution ----
  /** Where the account's duplicate-ID conflict stands, with upload counters. */
  getDuplicateStatus(input: { username: string }): Promise<CoreResult<DuplicateStatus>>;
  /** Hand-held ID photos, front and back; creates a review item due in 3 working days. */
  submitPhotoReview(input: { username: string; front: ImageUpload; back: ImageUpload }): Promise<CoreResult<ReviewSummary>>;
  /** Asks a classmate (existing, phone-bound account with matching name) to vouch. Max 5 per day. */
  requestClassmateAssist(input: {
    username: string;
    classmateName: string;
    classmatePhone: string;
    ownPhone: string;
  }): Promise<CoreResult<AssistRequest>>;
  /** A user's inbox of assistance requests addressed to them. */
  listInbox(input: { username: string }): Promise<CoreResult<{ requests: AssistRequest[] }>>;
  /** The classmate accepts or declines; acceptance resolves the requester's conflict. */
  respondToAssist(input: { username: string; requestId: string; accept: boolean }): Promise<CoreResult<AssistRequest>>;

  // ---- agent review ----
  listReviews(input: { status?: ReviewState }): Promise<CoreResult<{ reviews: ReviewSummary[] }>>;
  /** One review with both photos (base64), for authenticated agents only. */
  getReview(input: { reviewId: string }): Promise<CoreResult<ReviewDetail>>;
  /** Approve (resolves the conflict, cancels the other holders of the ID) or reject with a reason. */
  decideReview(input: { reviewId: string; decision: 'approve' | 'reject'; reason?: string; agent: string }): Promise<CoreResult<ReviewSummary>>;

  // ---- channel binding ----
  /** Sends a code to the account's bound phone (or e-mail) to prove possession. */
  startBinding(input: { channelUserId: string; username: string; via: 'sms' | 'email' }): Promise<CoreResult<CodeSent>>;
  confirmBinding(input: { channelUserId: string; code: string }): Promise<CoreResult<{ username: string }>>;
  getBinding(input: { channelUserId: string }): Promise<CoreResult<{ username: string | null }>>;
  unbind(input: { channelUserId: string }): Promise<CoreResult<{ username: string | null }>>;

  // ---- deliveries ----
  /** SMS and e-mail the core sent (the embedded core's outbox), newest first. */
  listOutbox(input: { limit?: number; recipient?: string }): Promise<CoreResult<{ messages: OutboxMessage[] }>>;
}

export type CoreResult<T> = { ok: true; value: T } | { ok: false; error: CoreError };

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
  /** HTTP only: a privileged route was called without the shared service token. */
  | 'unauthorized'
  | 'unavailable';

export type IdStatus = 'free' | 'registered' | 'pending-review';
export type CodePurpose = 'reset-password' | 'bind';
export type AccountState = 'active' | 'duplicate-unverified' | 'cancelled';
/** 待审核 / 审核失败 / 已通过 */
export type ReviewState = 'pending' | 'rejected' | 'approved';

export interface AccountView {
  username: string;
  name: string;
  idType: IdType;
  idNumber: string;
  phone: string | null;
  email: string | null;
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
  idNumber: string;
  latestReview?: ReviewSummary;
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

export interface ReviewSummary {
  id: string;
  username: string;
  idNumber: string;
  state: ReviewState;
  reason?: string;
  createdAt: string;
  /** 3 working days after `createdAt`; `null` while the holiday calendar does not cover the deadline. */
  dueAt: string | null;
  /** Why `dueAt` is null: the holiday data ends before the deadline (never guessed from Mon–Fri). */
  dueAtUnavailable?: 'calendar-not-covered';
  decidedAt?: string;
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

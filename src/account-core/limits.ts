const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Every limit of the account core in one place. Figures quoted by the seeds are marked; the
 * others are our own choices, documented in docs/account-core.md.
 */
export const CORE_LIMITS = {
  /** 找回用户名: failed lookups (not registered / name mismatch) per ID number and per caller. Our choice. */
  lookupFailures: 5,
  lookupWindowMs: HOUR,
  /** Wrong passwords per account before login is refused for a rolling hour. Our choice. */
  loginFailures: 5,
  loginWindowMs: HOUR,
  /** Seeds: an SMS code stays valid for 24 hours (1 天). */
  codeValidityMs: DAY,
  /** Code sends (SMS or e-mail) per phone or address per China calendar day. */
  sendsPerDay: 5,
  /** A second send to the same phone or address within this interval is refused. */
  resendIntervalMs: MINUTE,
  /** Wrong code entries before every outstanding code of that purpose is void. Our choice. */
  codeWrongAttempts: 5,
  /** Wrong security-answer submissions per account per China calendar day. Our choice. */
  answerFailuresPerDay: 3,
  /** A reset token granted after an SMS code or security answers. Our choice. */
  resetGrantValidityMs: HOUR,
  /** A reset link sent by e-mail. Our choice. */
  resetLinkValidityMs: DAY,
  /** An e-mail activation link. Our choice. */
  activationValidityMs: DAY,
  /** Seeds: each photo at most 300 KB. */
  photoMaxBytes: 300 * 1024,
  /** Seeds: at most 3 uploads a day and 5 in total; one submission of front + back is one upload. */
  uploadsPerDay: 3,
  uploadsTotal: 5,
  /** Seeds: at most 5 classmate-assistance requests a day. */
  assistsPerDay: 5,
  /** Seeds: reviews are handled within three working days. */
  reviewWorkingDays: 3,
} as const;

export type CoreLimits = typeof CORE_LIMITS;

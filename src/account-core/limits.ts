import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../domain/password.js';
import { DEFAULT_RATE_LIMITS } from '../security/rate-limits.js';
import type { CoreLimitsView } from './types.js';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Every limit of the account core in one place. Figures quoted by the seeds are marked; the
 * others are our own choices, documented in docs/account-core.md.
 */
export const CORE_LIMITS = {
  /** Seeds: an SMS code stays valid for 24 hours (1 天). */
  codeValidityMs: DAY,
  /** Code sends (SMS or e-mail) per phone or address per China calendar day. */
  sendsPerDay: 5,
  /** A second send to the same phone or address within this interval is refused. */
  resendIntervalMs: MINUTE,
  /** Wrong code entries one asker may make before they must get a new code. Our choice. */
  codeWrongAttempts: 5,
  /** Wrong code entries by all askers together before every outstanding code of that purpose is void. Our choice. */
  codeWrongAttemptsTotal: 20,
  /** Wrong security-answer submissions per account, per asker and China calendar day. Our choice. */
  answerFailuresPerDay: 3,
  /** Wrong security-answer submissions per account per China calendar day, all askers together. Our choice. */
  answerFailuresPerDayTotal: 10,
  /** A reset token granted after an SMS code or security answers. Our choice. */
  resetGrantValidityMs: HOUR,
  /** A reset link sent by e-mail. Our choice. */
  resetLinkValidityMs: DAY,
  /** An e-mail activation link. Our choice. */
  activationValidityMs: DAY,
  /** A one-time link to the registration page, handed out by a flow. Our choice. */
  registrationLinkValidityMs: DAY,
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

/**
 * The figures users are told, for templates (`limits()`); lookup budgets are the rate limits'
 * defaults (src/security/rate-limits.ts).
 */
export function coreLimitsView(): CoreLimitsView {
  const lookupFailures = DEFAULT_RATE_LIMITS['account-lookup-failure:identity'];
  return {
    smsPerDay: CORE_LIMITS.sendsPerDay,
    resendIntervalSeconds: CORE_LIMITS.resendIntervalMs / 1000,
    codeValidityHours: CORE_LIMITS.codeValidityMs / HOUR,
    codeWrongAttempts: CORE_LIMITS.codeWrongAttempts,
    answerFailuresPerDay: CORE_LIMITS.answerFailuresPerDay,
    resetLinkValidityHours: CORE_LIMITS.resetLinkValidityMs / HOUR,
    resetGrantValidityMinutes: CORE_LIMITS.resetGrantValidityMs / MINUTE,
    activationValidityHours: CORE_LIMITS.activationValidityMs / HOUR,
    registrationLinkValidityHours: CORE_LIMITS.registrationLinkValidityMs / HOUR,
    password: { minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, needsLettersAndDigits: true },
    photoMaxKb: CORE_LIMITS.photoMaxBytes / 1024,
    uploadsPerDay: CORE_LIMITS.uploadsPerDay,
    uploadsTotal: CORE_LIMITS.uploadsTotal,
    assistsPerDay: CORE_LIMITS.assistsPerDay,
    reviewWorkingDays: CORE_LIMITS.reviewWorkingDays,
    lookupFailuresPerHour: (lookupFailures.points * 3600) / lookupFailures.durationSeconds,
  };
}

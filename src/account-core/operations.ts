import { z } from 'zod';
import type { CoreOperations, CoreResult } from './types.js';

/**
 * The account core's API, described once. Each operation has its HTTP method and path, the zod
 * schema of its input (which the router, the embedded core and nothing else use to check
 * input) and the zod schema of its answer (which the HTTP client uses to check what a remote
 * core says). The table is checked against `CoreOperations` with `satisfies`, so an operation
 * cannot be missing, and a schema cannot disagree with the interface.
 */

/** Two 300 KB photos in base64 are ~820 KB; 1.2 MB leaves room for names and JSON. */
export const DEFAULT_BODY_LIMIT = 1_200_000;

const text = (max: number) => z.string().max(max);
/** Reviews listed per page: at most, and when the caller does not say. */
export const MAX_REVIEW_PAGE = 200;
export const REVIEW_PAGE = 50;
const nonBlank = (max: number) => z.string().trim().min(1).max(max);
const idType = z.enum(['resident-id', 'other']);
const timestamp = z.string();
const image = z.object({ name: text(255), type: text(100), data: z.string().max(DEFAULT_BODY_LIMIT) });
// A username as typed (at most 100 characters) or an account reference from an earlier answer.
const username = text(400);
const channelUserId = nonBlank(200).optional();
const ownerProof = z.union([z.object({ password: text(128) }).strict(), z.object({ smsCode: text(32) }).strict()]);
const empty = z.object({}).strict() as z.ZodType<Record<string, never>, z.ZodTypeDef, unknown>;

const foundAccount = z.object({ accountRef: z.string(), maskedUsername: z.string() });
const noAccount = z.object({ accountRef: z.null(), maskedUsername: z.null() });
const accountView = foundAccount.extend({
  name: z.string(),
  idType,
  maskedIdNumber: z.string(),
  maskedPhone: z.string().nullable(),
  maskedEmail: z.string().nullable(),
  emailActivated: z.boolean(),
  realNameBound: z.boolean(),
  state: z.enum(['active', 'duplicate-unverified', 'cancelled']),
  createdAt: timestamp,
  cancelledReason: z.string().optional(),
  source: z.string().optional(),
});
const codeSent = z.object({ sentTo: z.string(), expiresAt: timestamp, remainingToday: z.number().optional() });
const resetGrant = z.object({ resetToken: z.string(), expiresAt: timestamp });
const reviewState = z.enum(['pending', 'rejected', 'approved']);
const reviewStatus = z.object({
  id: z.string(),
  state: reviewState,
  reason: z.string().optional(),
  createdAt: timestamp,
  dueAt: timestamp.nullable(),
  dueAtUnavailable: z.literal('calendar-not-covered').optional(),
  decidedAt: timestamp.optional(),
});
const reviewSummary = reviewStatus.extend({ username: z.string(), idNumber: z.string(), decidedBy: z.string().optional() });
const storedPhoto = z.object({ type: z.string(), data: z.string() });
const assistRequest = z.object({
  id: z.string(),
  requester: z.string(),
  requesterName: z.string(),
  requesterPhone: z.string(),
  classmate: z.string(),
  state: z.enum(['pending', 'accepted', 'declined']),
  createdAt: timestamp,
});
const recoveryMethod = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sms'), target: z.string() }),
  z.object({ kind: z.literal('email'), target: z.string() }),
  z.object({ kind: z.literal('questions'), questions: z.array(z.string()) }),
]);
const limitsView = z.object({
  smsPerDay: z.number(),
  resendIntervalSeconds: z.number(),
  codeValidityHours: z.number(),
  codeWrongAttempts: z.number(),
  answerFailuresPerDay: z.number(),
  resetLinkValidityHours: z.number(),
  resetGrantValidityMinutes: z.number(),
  activationValidityHours: z.number(),
  registrationLinkValidityHours: z.number(),
  password: z.object({ minLength: z.number(), maxLength: z.number(), needsLettersAndDigits: z.boolean() }),
  photoMaxKb: z.number(),
  uploadsPerDay: z.number(),
  uploadsTotal: z.number(),
  assistsPerDay: z.number(),
  reviewWorkingDays: z.number(),
  lookupFailuresPerHour: z.number(),
});

type OkValue<R> = R extends Promise<{ ok: true; value: infer T } | { ok: false; error: unknown }> ? T : never;

/** One operation of the table. `created`: answers 201. */
export interface OperationSpec<Input, Output> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Below `/core/v1`; `:name` segments are input fields. */
  path: string;
  input: z.ZodType<Input, z.ZodTypeDef, unknown>;
  output: z.ZodType<Output, z.ZodTypeDef, unknown>;
  created?: boolean;
}

/** The table's type: one spec per operation, its schemas agreeing with the interface. */
export type OperationTable = {
  [Name in keyof CoreOperations]: OperationSpec<Parameters<CoreOperations[Name]>[0], OkValue<ReturnType<CoreOperations[Name]>>>;
};

/** Every operation of the account core, in the order the docs list them. */
export const CORE_OPERATIONS = {
  limits: { method: 'GET', path: '/limits', input: empty, output: limitsView },
  // A POST keeps ID numbers out of URLs and access logs.
  getIdStatus: {
    method: 'POST',
    path: '/id-number-checks',
    input: z.object({ idNumber: text(64), idType: idType.optional() }),
    output: z.object({ status: z.enum(['free', 'registered', 'pending-review']) }),
  },
  findUsername: {
    method: 'POST',
    path: '/username-lookups',
    input: z.object({ idType: idType.optional(), idNumber: text(64), name: nonBlank(64) }),
    output: foundAccount,
  },
  getAccount: { method: 'GET', path: '/accounts/:username', input: z.object({ username }), output: accountView },
  login: { method: 'POST', path: '/sessions', input: z.object({ username, password: text(128) }), output: accountView },
  register: {
    method: 'POST',
    path: '/accounts',
    input: z.object({
      username,
      password: text(128),
      name: text(64),
      idType,
      idNumber: text(64),
      phone: text(32).nullish(),
      email: text(200).nullish(),
      securityQuestions: z
        .array(z.object({ question: text(100), answer: text(100) }))
        .max(3)
        .optional(),
      reRegister: z.boolean().optional(),
    }),
    output: accountView,
    created: true,
  },
  createRegistrationLink: {
    method: 'POST',
    path: '/registration-links',
    input: empty,
    output: z.object({ url: z.string(), expiresAt: timestamp }),
    created: true,
  },
  bindRealName: {
    method: 'POST',
    path: '/accounts/:username/real-name-binding',
    input: z.object({ username, proof: ownerProof }),
    output: accountView,
  },
  getRecoveryMethods: {
    method: 'GET',
    path: '/accounts/:username/recovery-methods',
    input: z.object({ username }),
    output: z.object({ methods: z.array(recoveryMethod) }),
  },
  sendSmsCode: {
    method: 'POST',
    path: '/accounts/:username/sms-codes',
    input: z.object({ username, purpose: z.enum(['reset-password', 'bind', 'account-change']) }),
    output: codeSent,
    created: true,
  },
  verifySmsCode: {
    method: 'POST',
    path: '/accounts/:username/sms-code-verifications',
    input: z.object({ username, code: text(32) }),
    output: resetGrant,
  },
  sendResetEmail: {
    method: 'POST',
    path: '/accounts/:username/reset-emails',
    input: z.object({ username }),
    output: codeSent,
    created: true,
  },
  verifySecurityAnswers: {
    method: 'POST',
    path: '/accounts/:username/security-answer-verifications',
    input: z.object({ username, answers: z.array(text(100)).max(10) }),
    output: resetGrant,
  },
  resetPassword: {
    method: 'POST',
    path: '/password-resets',
    input: z.object({ token: text(200), newPassword: text(128) }),
    output: z.object({ maskedUsername: z.string() }),
  },
  getDuplicateStatus: {
    method: 'GET',
    path: '/accounts/:username/duplicate-status',
    input: z.object({ username }),
    output: z.object({
      state: z.enum(['none', 'unresolved', 'pending', 'rejected', 'resolved']),
      maskedIdNumber: z.string(),
      latestReview: reviewStatus.optional(),
      uploadsToday: z.number(),
      uploadsTotal: z.number(),
      uploadsLeftToday: z.number(),
      uploadsLeftTotal: z.number(),
    }),
  },
  submitPhotoReview: {
    method: 'POST',
    path: '/accounts/:username/photo-reviews',
    input: z.object({ username, front: image, back: image }),
    output: reviewStatus,
    created: true,
  },
  requestClassmateAssist: {
    method: 'POST',
    path: '/accounts/:username/assist-requests',
    input: z.object({ username, classmateName: nonBlank(64), classmatePhone: text(32), ownPhone: text(32) }),
    output: assistRequest,
    created: true,
  },
  listInbox: {
    method: 'GET',
    path: '/accounts/:username/inbox',
    input: z.object({ username }),
    output: z.object({ requests: z.array(assistRequest) }),
  },
  respondToAssist: {
    method: 'POST',
    path: '/accounts/:username/inbox/:requestId/response',
    input: z.object({ username, requestId: text(100), accept: z.boolean(), proof: ownerProof }),
    output: assistRequest,
  },
  listReviews: {
    method: 'GET',
    path: '/reviews',
    // One page, oldest first; `cursor` (null on the last page) asks for the next.
    input: z.object({
      status: reviewState.optional(),
      cursor: text(500).optional(),
      limit: z.coerce.number().int().min(1).max(MAX_REVIEW_PAGE).optional(),
    }),
    output: z.object({ reviews: z.array(reviewSummary), cursor: z.string().nullable() }),
  },
  getReview: {
    method: 'GET',
    path: '/reviews/:reviewId',
    input: z.object({ reviewId: text(100) }),
    output: reviewSummary.extend({ name: z.string(), front: storedPhoto, back: storedPhoto, otherHolders: z.array(z.string()) }),
  },
  decideReview: {
    method: 'POST',
    path: '/reviews/:reviewId/decision',
    input: z.object({
      reviewId: text(100),
      decision: z.enum(['approve', 'reject']),
      reason: text(200).optional(),
      agent: nonBlank(64),
    }),
    output: reviewSummary,
  },
  startBinding: {
    method: 'POST',
    path: '/channel-bindings',
    input: z.object({ channelUserId, username, via: z.enum(['sms', 'email']) }),
    output: codeSent,
    created: true,
  },
  confirmBinding: {
    method: 'POST',
    path: '/channel-bindings/confirmation',
    input: z.object({ channelUserId, code: text(32) }),
    output: foundAccount,
  },
  // The chat user is named in the query (service scope) or by the end-user header, never in the path.
  getBinding: { method: 'GET', path: '/channel-bindings', input: z.object({ channelUserId }), output: z.union([foundAccount, noAccount]) },
  unbind: { method: 'DELETE', path: '/channel-bindings', input: z.object({ channelUserId }), output: z.union([foundAccount, noAccount]) },
  listOutbox: {
    method: 'GET',
    path: '/outbox',
    input: z.object({ limit: z.coerce.number().int().min(1).max(500).optional(), recipient: text(200).optional() }),
    output: z.object({
      messages: z.array(
        z.object({
          id: z.string(),
          channel: z.enum(['sms', 'email']),
          to: z.string(),
          subject: z.string().optional(),
          body: z.string(),
          createdAt: timestamp,
        }),
      ),
    }),
  },
} as const satisfies OperationTable;

export type OperationName = keyof CoreOperations;

/** The operation names, in table order. */
export const OPERATION_NAMES = Object.keys(CORE_OPERATIONS) as OperationName[];

/** The `:name` segments of a path, in order. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((match) => match[1]!);
}

/** How an implementation runs any operation by name: the embedded core's checks, or an HTTP call. */
export type OperationRunner = (name: OperationName, input: unknown) => Promise<CoreResult<unknown>>;

/**
 * The operations interface over one runner. The runner has checked (embedded) or will check
 * (HTTP client, with the output schema) that the answer fits the operation it was asked for.
 */
export function operationsFrom(run: OperationRunner): CoreOperations {
  const op =
    <Name extends OperationName>(name: Name) =>
    (input: Parameters<CoreOperations[Name]>[0]) =>
      run(name, input) as ReturnType<CoreOperations[Name]>;
  return {
    limits: op('limits'),
    getIdStatus: op('getIdStatus'),
    findUsername: op('findUsername'),
    getAccount: op('getAccount'),
    login: op('login'),
    register: op('register'),
    createRegistrationLink: op('createRegistrationLink'),
    bindRealName: op('bindRealName'),
    getRecoveryMethods: op('getRecoveryMethods'),
    sendSmsCode: op('sendSmsCode'),
    verifySmsCode: op('verifySmsCode'),
    sendResetEmail: op('sendResetEmail'),
    verifySecurityAnswers: op('verifySecurityAnswers'),
    resetPassword: op('resetPassword'),
    getDuplicateStatus: op('getDuplicateStatus'),
    submitPhotoReview: op('submitPhotoReview'),
    requestClassmateAssist: op('requestClassmateAssist'),
    listInbox: op('listInbox'),
    respondToAssist: op('respondToAssist'),
    listReviews: op('listReviews'),
    getReview: op('getReview'),
    decideReview: op('decideReview'),
    startBinding: op('startBinding'),
    confirmBinding: op('confirmBinding'),
    getBinding: op('getBinding'),
    unbind: op('unbind'),
    listOutbox: op('listOutbox'),
  };
}

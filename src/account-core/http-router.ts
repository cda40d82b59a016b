import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Render } from '../render/renderer.js';
import { failWith } from './context.js';
import { HTTP_STATUS } from './http-errors.js';
import type { AccountCore, CoreError, CoreErrorCode, CoreResult } from './types.js';

export interface AccountCoreRouterOptions {
  /** Text renderer; HTTP-level errors use `templates/core/errors/`. */
  render: Render;
  /**
   * Shared secret for privileged routes (agent review routes, outbox, full account view), sent
   * as `Authorization: Bearer <token>`. When unset, those routes answer 401 to every caller: the
   * assistant then uses the embedded core in-process.
   */
  apiToken?: string;
  /** JSON body limit; the default fits two 300 KB photos in base64 with room to spare. */
  bodyLimit?: string | number;
}

/** Two 300 KB photos in base64 are ~820 KB; 1.2 MB leaves room for names and JSON. */
export const DEFAULT_BODY_LIMIT = 1_200_000;

const text = (max: number) => z.string().max(max);
const idType = z.enum(['resident-id', 'other']);
const image = z.object({ name: text(255), type: text(100), data: z.string().max(DEFAULT_BODY_LIMIT) });

interface RouteSpec {
  method: 'get' | 'post' | 'delete';
  path: string;
  schema: z.ZodTypeAny;
  call: (core: AccountCore, input: never) => Promise<CoreResult<unknown>>;
  privileged?: boolean;
  created?: boolean;
}

/** Route table: resource-style paths over the AccountCore operations. */
const ROUTES: RouteSpec[] = [
  {
    // A POST keeps ID numbers out of URLs and access logs.
    method: 'post',
    path: '/id-number-checks',
    schema: z.object({ idNumber: text(64), idType: idType.optional() }),
    call: (core, input: Parameters<AccountCore['getIdStatus']>[0]) => core.getIdStatus(input),
  },
  {
    method: 'post',
    path: '/username-lookups',
    schema: z.object({ idType: idType.optional(), idNumber: text(64), name: text(64), callerId: text(200).min(1) }),
    call: (core, input: Parameters<AccountCore['findUsername']>[0]) => core.findUsername(input),
  },
  {
    method: 'get',
    path: '/accounts/:username',
    schema: z.object({ username: text(100) }),
    call: (core, input: Parameters<AccountCore['getAccount']>[0]) => core.getAccount(input),
    privileged: true,
  },
  {
    method: 'post',
    path: '/sessions',
    schema: z.object({ username: text(100), password: text(128) }),
    call: (core, input: Parameters<AccountCore['login']>[0]) => core.login(input),
  },
  {
    method: 'post',
    path: '/accounts',
    schema: z.object({
      username: text(100),
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
    call: (core, input: Parameters<AccountCore['register']>[0]) => core.register(input),
    created: true,
  },
  {
    method: 'post',
    path: '/accounts/:username/real-name-binding',
    schema: z.object({ username: text(100) }),
    call: (core, input: Parameters<AccountCore['bindRealName']>[0]) => core.bindRealName(input),
  },
  {
    method: 'get',
    path: '/accounts/:username/recovery-methods',
    schema: z.object({ username: text(100) }),
    call: (core, input: Parameters<AccountCore['getRecoveryMethods']>[0]) => core.getRecoveryMethods(input),
  },
  {
    method: 'post',
    path: '/accounts/:username/sms-codes',
    schema: z.object({ username: text(100), purpose: z.enum(['reset-password', 'bind']) }),
    call: (core, input: Parameters<AccountCore['sendSmsCode']>[0]) => core.sendSmsCode(input),
    created: true,
  },
  {
    method: 'post',
    path: '/accounts/:username/sms-code-verifications',
    schema: z.object({ username: text(100), code: text(32) }),
    call: (core, input: Parameters<AccountCore['verifySmsCode']>[0]) => core.verifySmsCode(input),
  },
  {
    method: 'post',
    path: '/accounts/:username/reset-emails',
    schema: z.object({ username: text(100) }),
    call: (core, input: Parameters<AccountCore['sendResetEmail']>[0]) => core.sendResetEmail(input),
    created: true,
  },
  {
    method: 'post',
    path: '/accounts/:username/security-answer-verifications',
    schema: z.object({ username: text(100), answers: z.array(text(100)).max(10) }),
    call: (core, input: Parameters<AccountCore['verifySecurityAnswers']>[0]) => core.verifySecurityAnswers(input),
  },
  {
    method: 'post',
    path: '/password-resets',
    schema: z.object({ token: text(200), newPassword: text(128) }),
    call: (core, input: Parameters<AccountCore['resetPassword']>[0]) => core.resetPassword(input),
  },
  {
    method: 'get',
    path: '/accounts/:username/duplicate-status',
    schema: z.object({ username: text(100) }),
    call: (core, input: Parameters<AccountCore['getDuplicateStatus']>[0]) => core.getDuplicateStatus(input),
  },
  {
    method: 'post',
    path: '/accounts/:username/photo-reviews',
    schema: z.object({ username: text(100), front: image, back: image }),
    call: (core, input: Parameters<AccountCore['submitPhotoReview']>[0]) => core.submitPhotoReview(input),
    created: true,
  },
  {
    method: 'post',
    path: '/accounts/:username/assist-requests',
    schema: z.object({ username: text(100), classmateName: text(64), classmatePhone: text(32), ownPhone: text(32) }),
    call: (core, input: Parameters<AccountCore['requestClassmateAssist']>[0]) => core.requestClassmateAssist(input),
    created: true,
  },
  {
    method: 'get',
    path: '/accounts/:username/inbox',
    schema: z.object({ username: text(100) }),
    call: (core, input: Parameters<AccountCore['listInbox']>[0]) => core.listInbox(input),
  },
  {
    method: 'post',
    path: '/accounts/:username/inbox/:requestId/response',
    schema: z.object({ username: text(100), requestId: text(100), accept: z.boolean() }),
    call: (core, input: Parameters<AccountCore['respondToAssist']>[0]) => core.respondToAssist(input),
  },
  {
    method: 'get',
    path: '/reviews',
    schema: z.object({ status: z.enum(['pending', 'rejected', 'approved']).optional() }),
    call: (core, input: Parameters<AccountCore['listReviews']>[0]) => core.listReviews(input),
    privileged: true,
  },
  {
    method: 'get',
    path: '/reviews/:reviewId',
    schema: z.object({ reviewId: text(100) }),
    call: (core, input: Parameters<AccountCore['getReview']>[0]) => core.getReview(input),
    privileged: true,
  },
  {
    method: 'post',
    path: '/reviews/:reviewId/decision',
    schema: z.object({ reviewId: text(100), decision: z.enum(['approve', 'reject']), reason: text(200).optional(), agent: text(64) }),
    call: (core, input: Parameters<AccountCore['decideReview']>[0]) => core.decideReview(input),
    privileged: true,
  },
  {
    method: 'post',
    path: '/channel-bindings',
    schema: z.object({ channelUserId: text(200), username: text(100), via: z.enum(['sms', 'email']) }),
    call: (core, input: Parameters<AccountCore['startBinding']>[0]) => core.startBinding(input),
    created: true,
  },
  {
    method: 'post',
    path: '/channel-bindings/:channelUserId/confirmation',
    schema: z.object({ channelUserId: text(200), code: text(32) }),
    call: (core, input: Parameters<AccountCore['confirmBinding']>[0]) => core.confirmBinding(input),
  },
  {
    method: 'get',
    path: '/channel-bindings/:channelUserId',
    schema: z.object({ channelUserId: text(200) }),
    call: (core, input: Parameters<AccountCore['getBinding']>[0]) => core.getBinding(input),
  },
  {
    method: 'delete',
    path: '/channel-bindings/:channelUserId',
    schema: z.object({ channelUserId: text(200) }),
    call: (core, input: Parameters<AccountCore['unbind']>[0]) => core.unbind(input),
  },
  {
    method: 'get',
    path: '/outbox',
    schema: z.object({ limit: z.coerce.number().int().min(1).max(500).optional(), recipient: text(200).optional() }),
    call: (core, input: Parameters<AccountCore['listOutbox']>[0]) => core.listOutbox(input),
    privileged: true,
  },
];

/**
 * The account core over HTTP, to mount at `/core/v1`. JSON in and out; every failure is
 * `{ error: { code, message } }` with a stable code and a Chinese message, never an HTML page.
 */
export function createAccountCoreRouter(core: AccountCore, options: AccountCoreRouterOptions): express.Router {
  const router = express.Router();
  const sendError = (res: Response, code: CoreErrorCode, details?: CoreError['details']) => {
    const failure = failWith(options.render, code, details);
    res.status(HTTP_STATUS[code]).json({ error: failure.error });
  };

  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.json({ limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, strict: true }));

  for (const spec of ROUTES) {
    router[spec.method](spec.path, async (req: Request, res: Response) => {
      if (spec.privileged && !authorized(req, options.apiToken)) return sendError(res, 'unauthorized');
      const body: unknown = req.body ?? {};
      if (spec.method === 'post' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        return sendError(res, 'invalid_input', { field: 'body' });
      }
      const raw = { ...(spec.method === 'post' ? (body as object) : {}), ...plainQuery(req.query), ...req.params };
      const parsed = spec.schema.safeParse(raw);
      if (!parsed.success) {
        const field = parsed.error.issues[0]?.path.join('.') ?? '';
        return sendError(res, 'invalid_input', { field });
      }
      const result = await spec.call(core, parsed.data as never);
      if (result.ok) return res.status(spec.created ? 201 : 200).json(result.value);
      return res.status(HTTP_STATUS[result.error.code] ?? 500).json({ error: result.error });
    });
  }

  router.use((_req, res) => sendError(res, 'not_found'));
  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') return res.status(413).json({ error: failWith(options.render, 'invalid_input', { field: 'size' }).error });
    if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return sendError(res, 'invalid_input', { field: 'body' });
    }
    return sendError(res, 'unavailable');
  });
  return router;
}

function plainQuery(query: Request['query']): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (typeof value === 'string') plain[key] = value;
  return plain;
}

/** Constant-time check of `Authorization: Bearer <token>`. */
function authorized(req: Request, token: string | undefined): boolean {
  if (!token) return false;
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

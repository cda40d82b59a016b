import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Render } from '../render/renderer.js';
import { limitKey, type RateLimits } from '../security/rate-limits.js';
import { failWith } from './context.js';
import { HTTP_STATUS } from './http-errors.js';
import { CORE_OPERATIONS, DEFAULT_BODY_LIMIT, OPERATION_NAMES, pathParameters } from './operations.js';
import type { AccountCore, CoreError, CoreErrorCode } from './types.js';

/** The header in which a trusted caller names the end user it acts for (percent-encoded UTF-8). */
export const END_USER_HEADER = 'x-core-end-user';
/** The end user's network address, when the caller knows it; honoured, like the user, only with the token. */
export const END_USER_ADDRESS_HEADER = 'x-core-end-user-address';

export interface AccountCoreRouterOptions {
  /** Text renderer; HTTP-level errors use `templates/core/errors/`. */
  render: Render;
  /**
   * The service token (`CORE_API_TOKEN`), required on every route as `Authorization: Bearer
   * <token>`. The API is a service-to-service API: there is no router without a token.
   */
  apiToken: string;
  /** Per-end-user budget of calls (`service-call:end-user`). */
  rateLimits?: RateLimits;
  /** JSON body limit; the default fits two 300 KB photos in base64 with room to spare. */
  bodyLimit?: string | number;
}

export { DEFAULT_BODY_LIMIT };

/**
 * The account core over HTTP, to mount at `/core/v1` on the core's own port (never the public
 * one). Built from the operations table: each operation's method and path, its input schema
 * checked by the core itself. Every route needs the service token; a caller acting for an end
 * user names them in `X-Core-End-User`, which is honoured only because the token was valid.
 * JSON in and out; every failure is `{ error: { code, message } }` with a stable code.
 */
export function createAccountCoreRouter(core: AccountCore, options: AccountCoreRouterOptions): express.Router {
  if (options.apiToken.trim() === '') throw new Error('The account-core API needs a service token');
  const router = express.Router();
  const sendError = (res: Response, code: CoreErrorCode, details?: CoreError['details']) => {
    const failure = failWith(options.render, code, details);
    res.status(HTTP_STATUS[code]).json({ error: failure.error });
  };

  router.use((req, res, next) => {
    res.set('Cache-Control', 'no-store');
    // Checked before the body is read: an unauthenticated caller costs no parsing.
    if (!authorized(req, options.apiToken)) return sendError(res, 'unauthorized');
    next();
  });
  router.use(express.json({ limit: options.bodyLimit ?? DEFAULT_BODY_LIMIT, strict: true }));

  for (const name of OPERATION_NAMES) {
    const spec = CORE_OPERATIONS[name];
    const method = spec.method === 'GET' ? 'get' : spec.method === 'POST' ? 'post' : 'delete';
    router[method](spec.path, async (req: Request, res: Response) => {
      const body: unknown = req.body ?? {};
      if (spec.method === 'POST' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        return sendError(res, 'invalid_input', { field: 'body' });
      }
      const endUser = decodedEndUser(req.get(END_USER_HEADER));
      if (endUser === null) return sendError(res, 'invalid_input', { field: END_USER_HEADER });
      if (endUser && options.rateLimits) {
        // A gateway speaks for many people: it is limited per end user, not as one address.
        const verdict = await options.rateLimits.consume('service-call:end-user', limitKey.user(endUser));
        if (!verdict.allowed) return sendError(res, 'rate_limited', { retryAfterSeconds: Math.ceil(verdict.retryAfterMs / 1000) });
      }
      const params: Record<string, string> = {};
      for (const param of pathParameters(spec.path)) params[param] = String(req.params[param] ?? '');
      const input = { ...(spec.method === 'POST' ? (body as object) : {}), ...plainQuery(req.query), ...params };
      const address = endUser ? plainAddress(req.get(END_USER_ADDRESS_HEADER)) : undefined;
      const scoped = endUser ? core.forEndUser(endUser, address ? { address } : undefined) : core;
      // The core checks the input against the same table entry; the client checks the output.
      const result = await (scoped[name] as (input: unknown) => ReturnType<AccountCore[typeof name]>)(input);
      if (result.ok) return res.status(spec.method === 'POST' && 'created' in spec && spec.created ? 201 : 200).json(result.value);
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

/** The end user a caller names (percent-encoded), `undefined` when none, `null` when unreadable. */
/** An IPv4 or IPv6 address as a proxy writes it; anything else is ignored. */
function plainAddress(header: string | undefined): string | undefined {
  const value = header?.trim();
  return value && /^[0-9A-Fa-f:.]{2,45}$/.test(value) ? value : undefined;
}

function decodedEndUser(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  try {
    const id = decodeURIComponent(header).trim();
    return id === '' || id.length > 200 ? null : id;
  } catch {
    return null;
  }
}

function plainQuery(query: Request['query']): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (typeof value === 'string') plain[key] = value;
  return plain;
}

/** Constant-time check of `Authorization: Bearer <token>`. */
function authorized(req: Request, token: string): boolean {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Assistant } from '../../conversation/assistant.js';
import type { Render } from '../../render/renderer.js';
import { limitKey, type RateLimits } from '../../security/rate-limits.js';
import type { WebChatHistory } from './chat-history.js';
import { refused, sendTooMany, sendWebError } from './chat-replies.js';
import { decodeImage, inboundMessage, integrationMessageSchema, MAX_IMAGE_BYTES, MAX_TEXT } from './chat-request.js';
import type { UploadQuota } from './upload-quota.js';

export interface IntegrationApiDeps {
  assistant: Assistant;
  history: WebChatHistory;
  limits: RateLimits;
  uploads: UploadQuota;
  render: Render;
  /** CHAT_API_TOKEN; unset turns the API off. */
  token?: string;
  /** Largest decoded image accepted in a message. */
  maxImageBytes?: number;
}

const pollSchema = z.object({
  userId: z.string().trim().min(1).max(128),
  after: z.coerce.number().int().min(0).catch(0),
});

const digestOf = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests, so neither the token's content nor its length shows in the time taken. */
function tokensMatch(given: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digestOf(given), expectedDigest);
}

/**
 * The integration chat API (docs/api.md) for trusted callers, which name the end user:
 * `POST /api/chat`, and `GET /api/chat/messages` to collect what agents sent that user later.
 * Every call needs `Authorization: Bearer <CHAT_API_TOKEN>`; without a configured token the
 * routes do not exist. Limits are per end user, since one gateway speaks for many people.
 */
export function createIntegrationApi(deps: IntegrationApiDeps): express.Router {
  const router = express.Router();
  const maxImageBytes = deps.maxImageBytes ?? MAX_IMAGE_BYTES;
  // The configured token's digest is computed once, not on every request.
  const expectedDigest = deps.token ? digestOf(deps.token) : undefined;
  // base64 is 4/3 of the bytes, plus room for the text and JSON framing.
  const json = express.json({ limit: Math.ceil((maxImageBytes * 4) / 3) + 64 * 1024, strict: true, type: () => true });
  const apiError = (res: Response, status: number, code: string, vars: Record<string, unknown> = {}) =>
    res.status(status).json({ error: deps.render('api/error', { code, ...vars }) });

  const requireToken = (req: Request, res: Response, next: NextFunction) => {
    if (!expectedDigest) return apiError(res, 404, 'not-found');
    const match = /^Bearer (\S+)$/.exec(req.get('authorization') ?? '');
    if (!match || !tokensMatch(match[1]!, expectedDigest)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendWebError(res, deps.render, 401, 'unauthorized');
    }
    next();
  };

  router.post('/api/chat', requireToken, json, async (req: Request, res: Response) => {
    const parsed = integrationMessageSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return apiError(res, 400, 'invalid-field', { field: issue.path.join('.') || 'body', limit: MAX_TEXT });
    }
    const { userId } = parsed.data;
    const allowed = await deps.limits.consume('service-call:end-user', limitKey.user(userId));
    if (refused(allowed)) return sendTooMany(res, deps.render, 'rate-limited', allowed.retryAfterMs);
    const decoded = decodeImage(parsed.data.image, maxImageBytes);
    if (!decoded.ok) return apiError(res, 400, decoded.problem, { limitMb: maxImageBytes / 1024 / 1024 });
    if (decoded.image) {
      const quota = await deps.uploads.admit({ userId }, decoded.image.data.length);
      if (!quota.allowed) return sendTooMany(res, deps.render, quota.reason, quota.retryAfterMs);
    }
    res.json(await deps.assistant.handle(inboundMessage(userId, parsed.data, decoded.image, false)));
  });

  router.get('/api/chat/messages', requireToken, async (req: Request, res: Response) => {
    const parsed = pollSchema.safeParse(req.query);
    if (!parsed.success) return apiError(res, 400, 'invalid-field', { field: 'userId' });
    res.json({ messages: await deps.history.agentMessagesSince(parsed.data.userId, parsed.data.after) });
  });

  return router;
}

import express, { type Request, type Response } from 'express';
import type nunjucks from 'nunjucks';
import { z } from 'zod';
import { InProcessStreamSlots, type StreamSlots } from '../../coordination/stream-slots.js';
import type { Render } from '../../render/renderer.js';
import { limitKey, type RateLimits } from '../../security/rate-limits.js';
import type { ChatEntry, WebChatHistory } from './chat-history.js';
import { refused, sendTooMany, sendWebError } from './chat-replies.js';
import { decodeImage, MAX_PAGE_IMAGE_BYTES, MAX_TEXT, pageMessageSchema } from './chat-request.js';
import type { UploadQuota } from './upload-quota.js';
import type { WebIdentities } from './web-identity.js';
import type { WebTurns } from './web-turns.js';

/** Event streams one visitor may hold open (a few tabs), and one IP (a shared network). */
export const STREAMS_PER_IDENTITY = 3;
export const STREAMS_PER_IP = 30;

/** Photos are compressed in the browser toward this size, the limit of ID photos. */
export const PHOTO_TARGET_KB = 300;

const HEARTBEAT_MS = 25_000;

export interface PageRouterDeps {
  identities: WebIdentities;
  history: WebChatHistory;
  turns: WebTurns;
  limits: RateLimits;
  uploads: UploadQuota;
  render: Render;
  pages: nunjucks.Environment;
  /** Hosts whose links the page makes clickable: ours and the 学信网 site. */
  linkHosts: string[];
  /** Caps on open event streams; shared by every instance when Redis is configured. */
  streamSlots?: StreamSlots;
}

const afterSchema = z.coerce.number().int().min(0).catch(0);

/**
 * The web chat page and its own routes. The visitor is whoever the signed identity cookie says,
 * set when the page is first served; no route takes an id from the URL or the body.
 */
export function createPageRouter(deps: PageRouterDeps): express.Router {
  const router = express.Router();
  const streams = deps.streamSlots ?? new InProcessStreamSlots();
  const jsonLimit = Math.ceil((MAX_PAGE_IMAGE_BYTES * 4) / 3) + 64 * 1024;
  // Only `application/json`: a cross-site form cannot send it without a preflight.
  const json = express.json({ limit: jsonLimit, strict: true, type: 'application/json' });

  // Cookies are parsed for these routes only: other features parse their own with their own secrets.
  router.use('/chat', deps.identities.parseCookies);

  router.get('/', deps.identities.parseCookies, (req: Request, res: Response) => {
    deps.identities.issue(req, res);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(
      deps.pages.render('web/chat.njk', {
        linkHosts: deps.linkHosts.join(' '),
        photoTargetKb: PHOTO_TARGET_KB,
        maxTextLength: MAX_TEXT,
      }),
    );
  });

  /** The visitor of this request, or a 401 telling the page to reload. */
  const visitor = (req: Request, res: Response): string | undefined => {
    const id = deps.identities.identityOf(req);
    if (!id) sendWebError(res, deps.render, 401, 'no-identity');
    return id;
  };

  router.post('/chat/messages', async (req: Request, res: Response, next) => {
    const userId = visitor(req, res);
    if (!userId) return;
    const allowed = await deps.limits.consumeEach([
      { limit: 'chat-message:ip', key: limitKey.ip(req.ip) },
      { limit: 'chat-message:identity', key: limitKey.user(userId) },
    ]);
    if (refused(allowed)) return sendTooMany(res, deps.render, 'rate-limited', allowed.retryAfterMs);
    json(req, res, async (error?: unknown) => {
      if (error) return next(error);
      try {
        const parsed = pageMessageSchema.safeParse(req.body);
        if (!parsed.success) return sendWebError(res, deps.render, 400, 'invalid-field', { limit: MAX_TEXT });
        const decoded = decodeImage(parsed.data.image, MAX_PAGE_IMAGE_BYTES);
        if (!decoded.ok) return sendWebError(res, deps.render, 400, decoded.problem, { limitKb: MAX_PAGE_IMAGE_BYTES / 1024 });
        if (decoded.image) {
          const quota = await deps.uploads.admit({ userId, ip: req.ip }, decoded.image.data.length);
          if (!quota.allowed) return sendTooMany(res, deps.render, quota.reason, quota.retryAfterMs);
        }
        const turn = await deps.turns.take(userId, parsed.data, decoded.image, req.ip);
        res.json({ entries: turn.entries, topic: turn.result.topic, flow: turn.result.flow });
      } catch (failure) {
        next(failure);
      }
    });
  });

  router.get('/chat/history', async (req: Request, res: Response) => {
    const userId = visitor(req, res);
    if (!userId) return;
    res.setHeader('Cache-Control', 'no-store');
    res.json({ entries: await deps.history.all(userId) });
  });

  router.get('/chat/updates', async (req: Request, res: Response) => {
    const userId = visitor(req, res);
    if (!userId) return;
    res.setHeader('Cache-Control', 'no-store');
    res.json({ entries: await deps.history.agentMessagesSince(userId, afterSchema.parse(req.query.after)) });
  });

  router.get('/chat/events', async (req: Request, res: Response) => {
    const userId = visitor(req, res);
    if (!userId) return;
    const release = await streams.open([
      { key: limitKey.user(userId), cap: STREAMS_PER_IDENTITY },
      { key: limitKey.ip(req.ip), cap: STREAMS_PER_IP },
    ]);
    if (!release) return sendWebError(res, deps.render, 429, 'too-many-streams');
    // The visitor may have gone while the slots were being taken.
    if (req.socket.destroyed) return release();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const after = afterSchema.parse(req.header('last-event-id') ?? req.query.after);
    const send = (entry: ChatEntry) => res.write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
    const unsubscribe = deps.history.subscribe(userId, send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      release();
    });
    for (const entry of await deps.history.agentMessagesSince(userId, after)) send(entry);
  });

  return router;
}

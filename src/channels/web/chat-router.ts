import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Assistant } from '../../conversation/assistant.js';
import type { Render } from '../../render/renderer.js';
import { decodeBase64 } from '../../media/image-type.js';
import type { WebInbox } from './web-inbox.js';

export interface ChatRouterDeps {
  assistant: Assistant;
  inbox: WebInbox;
  render: Render;
  /** Largest decoded image accepted in a chat message. */
  maxImageBytes?: number;
}

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
const MAX_TEXT = 2000;

const chatRequestSchema = z
  .object({
    userId: z.string().trim().min(1).max(128),
    text: z.string().max(MAX_TEXT).optional(),
    image: z
      .object({
        name: z.string().max(255),
        type: z.string().max(100),
        data: z.string().min(1),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((body) => (body.text !== undefined && body.text.trim() !== '') || body.image !== undefined, {
    message: 'text or image is required',
    path: ['text'],
  });

const userIdSchema = z.string().trim().min(1).max(128);

/**
 * `POST /api/chat` (CONTRACT.md), plus the web chat's push channel: `GET /api/chat/messages`
 * for polling and `GET /api/chat/stream` (server-sent events) for replies sent by agents.
 */
export function createChatRouter(deps: ChatRouterDeps): express.Router {
  const router = express.Router();
  const maxImageBytes = deps.maxImageBytes ?? MAX_IMAGE_BYTES;
  // base64 is 4/3 of the bytes, plus room for the text and JSON framing.
  const jsonLimit = Math.ceil((maxImageBytes * 4) / 3) + 64 * 1024;
  const fail = (res: Response, status: number, code: string, vars: Record<string, unknown> = {}) =>
    res.status(status).json({ error: deps.render('api/error', { code, ...vars }) });

  router.post('/api/chat', express.json({ limit: jsonLimit, strict: true, type: () => true }), async (req: Request, res: Response) => {
    const parsed = chatRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail(res, 400, 'invalid-field', { field: issue.path.join('.') || 'body', limit: MAX_TEXT });
    }
    const { userId, text, image } = parsed.data;
    let inboundImage;
    if (image) {
      const bytes = decodeBase64(image.data);
      if (!bytes) return fail(res, 400, 'image-not-base64');
      if (bytes.length > maxImageBytes) return fail(res, 400, 'image-too-large', { limitMb: maxImageBytes / 1024 / 1024 });
      inboundImage = { name: image.name, type: image.type, data: bytes };
    }
    const result = await deps.assistant.handle({ channel: 'web', userId, text, image: inboundImage });
    res.json(result);
  });

  router.get('/api/chat/messages', async (req: Request, res: Response) => {
    const userId = userIdSchema.safeParse(req.query.userId);
    if (!userId.success) return fail(res, 400, 'invalid-field', { field: 'userId' });
    const after = Number(req.query.after ?? 0) || 0;
    res.json({ messages: await deps.inbox.since(userId.data, after) });
  });

  router.get('/api/chat/stream', async (req: Request, res: Response) => {
    const userId = userIdSchema.safeParse(req.query.userId);
    if (!userId.success) return fail(res, 400, 'invalid-field', { field: 'userId' });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const after = Number(req.header('last-event-id') ?? req.query.after ?? 0) || 0;
    const send = (message: { seq: number }) => res.write(`id: ${message.seq}\ndata: ${JSON.stringify(message)}\n\n`);
    const unsubscribe = deps.inbox.subscribe(userId.data, send);
    for (const message of await deps.inbox.since(userId.data, after)) send(message);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 25000);
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  return router;
}

/** JSON errors for everything express itself rejects (bad JSON, oversized bodies), never an HTML page. */
export function jsonErrorHandler(render: Render) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number }).status ?? 500;
    const type = (error as { type?: string }).type;
    const code = type === 'entity.too.large' ? 'too-large' : type === 'entity.parse.failed' ? 'not-json' : status < 500 ? 'bad-request' : 'internal';
    res.status(status < 500 ? status : 500).json({ error: render('api/error', { code }) });
  };
}

import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Render } from '../render/renderer.js';
import { requestIdOf } from './request-id.js';

/**
 * The last express handler: body-parser failures become 400/413 with a Chinese message, and every
 * 5xx is logged with its request id (the body and query are never logged: they may hold personal data).
 */
export function jsonErrorHandler(render: Render, logger: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction) => {
    const status = (error as { status?: number }).status ?? 500;
    if (status >= 500) {
      logger.error(
        { err: error, requestId: requestIdOf(res), method: req.method, route: req.route?.path ?? req.baseUrl ?? req.path },
        'request failed',
      );
    }
    if (res.headersSent) return next(error);
    const type = (error as { type?: string }).type;
    const code = type === 'entity.too.large' ? 'too-large' : type === 'entity.parse.failed' ? 'not-json' : status < 500 ? 'bad-request' : 'internal';
    res.status(status < 500 ? status : 500).json({ error: render('api/error', { code, requestId: requestIdOf(res) }) });
  };
}

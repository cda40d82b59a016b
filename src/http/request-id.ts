import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

/**
 * Gives every request an id, echoed as `X-Request-Id`, so a user's error report and the log line
 * of a 5xx can be matched. A caller's own id is kept only when it is short and plain.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[A-Za-z0-9._-]{8,64}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

export function requestIdOf(res: Response): string | undefined {
  return res.locals.requestId as string | undefined;
}

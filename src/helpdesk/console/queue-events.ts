import type { Request, Response } from 'express';
import type { ConsoleService } from './console-service.js';

/** A comment line every so often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 25_000;

/**
 * Streams ticket changes to one console as server-sent events (`event: ticket`). The browser's
 * EventSource reconnects by itself; the page then reloads its rows.
 */
export async function streamQueueChanges(req: Request, res: Response, service: ConsoleService): Promise<void> {
  // Subscribe before answering: once the browser sees the stream open, no change is missed.
  const stop = await service.watchQueue((change) => {
    res.write(`event: ticket\ndata: ${JSON.stringify(change)}\n\n`);
  });
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const end = () => {
    clearInterval(keepalive);
    stop();
  };
  req.on('close', end);
  res.on('error', end);
}

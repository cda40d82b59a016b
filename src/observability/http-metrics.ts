import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Render } from '../render/renderer.js';
import type { ServiceMetrics } from './metrics.js';

/**
 * Times every request into the latency histogram, labelled by the route pattern that handled it
 * (`/api/agent/tickets/:id`, never the id itself) so the number of series stays bounded.
 * Requests no route handled (static files, 404s) share the label `unmatched`.
 */
export function requestTimer(metrics: ServiceMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const stop = metrics.httpDuration.startTimer();
    const baseUrl = req.baseUrl;
    res.once('finish', () => {
      const routePath = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl || baseUrl}${routePath}` : 'unmatched';
      stop({ method: req.method, route, status: `${Math.floor(res.statusCode / 100)}xx` });
    });
    next();
  };
}

export interface MetricsEndpointOptions {
  metrics: ServiceMetrics;
  render: Render;
  /** METRICS_TOKEN: when set, scrapers send `Authorization: Bearer <token>` from anywhere. */
  token?: string;
}

/**
 * `GET /metrics`. With a token, only a request bearing it is served. Without one, only a direct
 * loopback connection is (a scraper on the same host); a request relayed by a proxy carries
 * forwarding headers and is refused even when the proxy itself connects from loopback.
 */
export function metricsEndpoint(options: MetricsEndpointOptions): RequestHandler {
  const expected = options.token ? digest(options.token) : undefined;
  return async (req: Request, res: Response) => {
    if (!allowed(req, expected)) {
      res.status(expected ? 401 : 403).json({ error: options.render('api/error', { code: 'metrics-forbidden' }) });
      return;
    }
    const { contentType, body } = await options.metrics.scrape();
    res.set('Content-Type', contentType).set('Cache-Control', 'no-store').send(body);
  };
}

function allowed(req: Request, expected: Buffer | undefined): boolean {
  if (expected) {
    const presented = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  }
  const forwarded = req.get('x-forwarded-for') !== undefined || req.get('forwarded') !== undefined || req.get('x-real-ip') !== undefined;
  return !forwarded && isLoopback(req.socket.remoteAddress);
}

function isLoopback(address: string | undefined): boolean {
  return address === '::1' || address === '127.0.0.1' || (address?.startsWith('::ffff:127.') ?? false) || (address?.startsWith('127.') ?? false);
}

/** Comparing fixed-length digests keeps the comparison constant-time whatever the token's length. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

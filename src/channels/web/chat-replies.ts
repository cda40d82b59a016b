import type { Response } from 'express';
import type { Render } from '../../render/renderer.js';
import type { RateLimitVerdict } from '../../security/rate-limits.js';

/** A JSON error with its sentence from `templates/web/errors.njk`. */
export function sendWebError(res: Response, render: Render, status: number, code: string, vars: Record<string, unknown> = {}): void {
  res.status(status).json({ error: render('web/errors', { code, ...vars }) });
}

/** 429 with `Retry-After`, for a refused rate limit or quota. */
export function sendTooMany(res: Response, render: Render, code: string, retryAfterMs: number, vars: Record<string, unknown> = {}): void {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  res.setHeader('Retry-After', String(seconds));
  sendWebError(res, render, 429, code, { seconds, ...vars });
}

/** Narrows a verdict to its refusal. */
export function refused(verdict: RateLimitVerdict): verdict is Extract<RateLimitVerdict, { allowed: false }> {
  return !verdict.allowed;
}

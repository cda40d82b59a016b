import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../config.js';
import { createTextRenderer, type Render } from '../render/renderer.js';
import { CORE_ERROR_CODES } from './http-errors.js';
import { END_USER_ADDRESS_HEADER, END_USER_HEADER } from './http-router.js';
import { CORE_OPERATIONS, operationsFrom, pathParameters, type OperationName } from './operations.js';
import type { AccountCore, CoreErrorCode, CoreResult } from './types.js';

export interface HttpAccountCoreOptions {
  /** Where the core's API lives, e.g. `http://127.0.0.1:3100/core/v1` (its CORE_PORT). */
  baseUrl: string;
  /** The remote core's `CORE_API_TOKEN`; every route needs it. */
  token: string;
  fetch?: typeof fetch;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Renders the `unavailable` message; defaults to the project's own templates. */
  render?: Render;
}

const errorBody = z.object({
  error: z.object({
    code: z.string().refine((code): code is CoreErrorCode => CORE_ERROR_CODES.has(code)),
    message: z.string(),
    details: z.record(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  }),
});

/**
 * The AccountCore interface over HTTP (`ACCOUNT_CORE_URL`), built from the operations table.
 * Answers are checked with each operation's output schema: a remote core that answers with
 * something else is `unavailable`, like a network failure or a timeout. Domain failures come
 * back as the server's `{ error }`.
 */
export function createHttpAccountCore(options: HttpAccountCoreOptions): AccountCore {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  let render = options.render;
  const unavailable = (): CoreResult<never> => {
    render ??= createTextRenderer(path.join(projectRoot, 'templates'));
    return { ok: false, error: { code: 'unavailable', message: render('core/errors/unavailable') } };
  };

  async function call(name: OperationName, rawInput: unknown, endUser: string | undefined, address?: string): Promise<CoreResult<unknown>> {
    const spec = CORE_OPERATIONS[name];
    const input: Record<string, unknown> = { ...((rawInput ?? {}) as Record<string, unknown>) };
    // An empty segment would change the route; a blank one reaches the same validation as in-process.
    let url: string = spec.path;
    for (const param of pathParameters(spec.path)) {
      url = url.replace(`:${param}`, encodeURIComponent(String(input[param] ?? '')) || '%20');
      delete input[param];
    }
    let body: string | undefined;
    if (spec.method === 'POST') body = JSON.stringify(input);
    else {
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(input)) if (value !== undefined) search.set(key, String(value));
      if (search.size > 0) url += `?${search}`;
    }

    let response: Response;
    try {
      response = await doFetch(`${base}${url}`, {
        method: spec.method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${options.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          // Percent-encoded: an end-user id may hold characters a header cannot carry.
          ...(endUser === undefined ? {} : { [END_USER_HEADER]: encodeURIComponent(endUser) }),
          ...(endUser === undefined || address === undefined ? {} : { [END_USER_ADDRESS_HEADER]: address }),
        },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
    } catch {
      return unavailable();
    }
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      return unavailable();
    }
    if (response.ok) {
      const value = spec.output.safeParse(payload);
      return value.success ? { ok: true, value: value.data } : unavailable();
    }
    const failure = errorBody.safeParse(payload);
    if (!failure.success) return unavailable();
    const { code, message, details } = failure.data.error;
    return { ok: false, error: { code, message, ...(details ? { details } : {}) } };
  }

  const scoped = (endUser: string | undefined, address?: string): AccountCore => ({
    ...operationsFrom((name, input) => call(name, input, endUser, address)),
    forEndUser: (endUserId, origin) => scoped(endUserId, origin?.address),
  });
  return scoped(undefined);
}

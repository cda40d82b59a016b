import path from 'node:path';
import { projectRoot } from '../config.js';
import { createTextRenderer, type Render } from '../render/renderer.js';
import { CORE_ERROR_CODES } from './http-errors.js';
import type { AccountCore, CoreErrorCode, CoreResult } from './types.js';

export interface HttpAccountCoreOptions {
  /** Where the core's API lives, e.g. `http://core.internal:3000/core/v1`. */
  baseUrl: string;
  /** `CORE_API_TOKEN` of the remote core, for its privileged routes. */
  token?: string;
  fetch?: typeof fetch;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Renders the `unavailable` message; defaults to the project's own templates. */
  render?: Render;
}

type Method = 'GET' | 'POST' | 'DELETE';

/**
 * The AccountCore interface over HTTP (`ACCOUNT_CORE_URL`). Domain failures come back as the
 * server's `{ error }`; network failures, timeouts and unreadable answers become `unavailable`.
 */
export function createHttpAccountCore(options: HttpAccountCoreOptions): AccountCore {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  let render = options.render;
  const unavailable = <T>(): CoreResult<T> => {
    render ??= createTextRenderer(path.join(projectRoot, 'templates'));
    return { ok: false, error: { code: 'unavailable', message: render('core/errors/unavailable') } };
  };

  async function call<T>(method: Method, path: string, body?: unknown): Promise<CoreResult<T>> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
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
    if (response.ok) return { ok: true, value: payload as T };
    const error = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
    if (!error || typeof error.code !== 'string' || !CORE_ERROR_CODES.has(error.code) || typeof error.message !== 'string') return unavailable();
    return {
      ok: false,
      error: {
        code: error.code as CoreErrorCode,
        message: error.message,
        ...(error.details && typeof error.details === 'object' ? { details: error.details as Record<string, string | number | boolean | null> } : {}),
      },
    };
  }

  // An empty segment would change the route; a blank one reaches the same validation as in-process.
  const seg = (value: string) => encodeURIComponent(value) || '%20';
  const query = (params: Record<string, string | number | undefined>) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
    const text = search.toString();
    return text ? `?${text}` : '';
  };
  const account = (username: string) => `/accounts/${seg(username)}`;

  return {
    getIdStatus: (input) => call('POST', '/id-number-checks', input),
    findUsername: (input) => call('POST', '/username-lookups', input),
    getAccount: ({ username }) => call('GET', account(username)),
    login: (input) => call('POST', '/sessions', input),
    register: (input) => call('POST', '/accounts', input),
    bindRealName: ({ username }) => call('POST', `${account(username)}/real-name-binding`, {}),
    getRecoveryMethods: ({ username }) => call('GET', `${account(username)}/recovery-methods`),
    sendSmsCode: ({ username, purpose }) => call('POST', `${account(username)}/sms-codes`, { purpose }),
    verifySmsCode: ({ username, code }) => call('POST', `${account(username)}/sms-code-verifications`, { code }),
    sendResetEmail: ({ username }) => call('POST', `${account(username)}/reset-emails`, {}),
    verifySecurityAnswers: ({ username, answers }) => call('POST', `${account(username)}/security-answer-verifications`, { answers }),
    resetPassword: (input) => call('POST', '/password-resets', input),
    getDuplicateStatus: ({ username }) => call('GET', `${account(username)}/duplicate-status`),
    submitPhotoReview: ({ username, front, back }) => call('POST', `${account(username)}/photo-reviews`, { front, back }),
    requestClassmateAssist: ({ username, ...rest }) => call('POST', `${account(username)}/assist-requests`, rest),
    listInbox: ({ username }) => call('GET', `${account(username)}/inbox`),
    respondToAssist: ({ username, requestId, accept }) => call('POST', `${account(username)}/inbox/${seg(requestId)}/response`, { accept }),
    listReviews: ({ status }) => call('GET', `/reviews${query({ status })}`),
    getReview: ({ reviewId }) => call('GET', `/reviews/${seg(reviewId)}`),
    decideReview: ({ reviewId, ...rest }) => call('POST', `/reviews/${seg(reviewId)}/decision`, rest),
    startBinding: (input) => call('POST', '/channel-bindings', input),
    confirmBinding: ({ channelUserId, code }) => call('POST', `/channel-bindings/${seg(channelUserId)}/confirmation`, { code }),
    getBinding: ({ channelUserId }) => call('GET', `/channel-bindings/${seg(channelUserId)}`),
    unbind: ({ channelUserId }) => call('DELETE', `/channel-bindings/${seg(channelUserId)}`),
    listOutbox: ({ limit, recipient }) => call('GET', `/outbox${query({ limit, recipient })}`),
  };
}

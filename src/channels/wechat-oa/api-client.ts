import type { Logger } from 'pino';
import type { KeyedLock } from '../../coordination/keyed-lock.js';
import type { DocumentStore } from '../../storage/types.js';

/** An error WeChat's API answered with (`errcode`), or -1 when it could not be reached or understood. */
export class WechatApiError extends Error {
  constructor(
    readonly errcode: number,
    errmsg: string,
  ) {
    // errmsg is WeChat's own text; it never contains the token or secret, which travel only in URLs we do not log.
    super(`WeChat API error ${errcode}: ${errmsg}`);
    this.name = 'WechatApiError';
  }
}

/** 45015: the user has not talked to the account within 48 hours, so we may not message them. */
export const ERR_OUTSIDE_WINDOW = 45015;
/** Errors that mean "the access token is no longer good": fetch a new one and try once more. */
const TOKEN_REJECTED = new Set([40001, 40014, 42001]);

/** The cached access token, as stored. */
export interface CachedAccessToken {
  accessToken: string;
  /** When we stop using it (already a safety margin before WeChat's own expiry). */
  refreshAt: string;
}

/** Media as downloaded: bytes plus what WeChat declared about them. */
export interface DownloadedMedia {
  name: string;
  type: string;
  data: Buffer;
}

/** The parts of WeChat's server API the webhook uses. */
export interface WechatApi {
  /** Sends a customer-service text message. Throws WechatApiError (45015 outside the 48-hour window). */
  sendText(openid: string, text: string): Promise<void>;
  /** Downloads temporary media (an image a user sent). Throws WechatApiError. */
  downloadMedia(mediaId: string): Promise<DownloadedMedia>;
  /**
   * Sends a customer-service `msgmenu`: a text with tappable options. A tap comes back as a text
   * message whose `bizmsgmenuid` is the option's id. Throws WechatApiError (45015 as for texts).
   */
  sendMenu(openid: string, menu: { head: string; items: { id: string; content: string }[]; tail?: string }): Promise<void>;
  /** Sends a template message (allowed outside the 48-hour window) that opens `url` when tapped. */
  sendTemplate(openid: string, message: { templateId: string; url: string; data: Record<string, string> }): Promise<void>;
  /** Replaces the account's custom menu (`menu/create`). */
  createMenu(menu: { button: unknown[] }): Promise<void>;
}

export interface WechatApiOptions {
  apiBase: string;
  appId: string;
  appSecret: string;
  tokens: Pick<DocumentStore<CachedAccessToken>, 'get' | 'put'>;
  /** Shared by every instance (Redis), so exactly one of them asks WeChat for a new token at a time. */
  refreshLock?: KeyedLock;
  clock: () => Date;
  logger: Logger;
  /** Largest media download accepted. */
  maxMediaBytes?: number;
  timeoutMs?: number;
}

/** Refresh this long before WeChat's stated expiry (tokens live 7200 s), so a token never dies mid-call. */
const REFRESH_MARGIN_S = 300;
const DEFAULT_MAX_MEDIA = 5 * 1024 * 1024;

/**
 * WeChat's API with the access token cached in the store, refreshed before it expires and
 * whenever WeChat rejects it. Concurrent callers share one refresh.
 */
export function createWechatApi(options: WechatApiOptions): WechatApi {
  const base = options.apiBase.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxMediaBytes = options.maxMediaBytes ?? DEFAULT_MAX_MEDIA;
  let refreshing: Promise<string> | undefined;

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(`${base}${path}`, { ...init, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // The URL carries the secret or token: report only what kind of failure it was.
      throw new WechatApiError(-1, (error as Error).name === 'TimeoutError' ? 'timeout' : 'network error');
    }
  }

  async function readJson(response: Response): Promise<Record<string, unknown>> {
    try {
      const body = (await response.json()) as unknown;
      if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new WechatApiError(-1, `unreadable answer (HTTP ${response.status})`);
  }

  function check(body: Record<string, unknown>): void {
    const errcode = typeof body.errcode === 'number' ? body.errcode : 0;
    if (errcode !== 0) throw new WechatApiError(errcode, typeof body.errmsg === 'string' ? body.errmsg.slice(0, 200) : '');
  }

  async function fetchToken(): Promise<string> {
    const query = new URLSearchParams({ grant_type: 'client_credential', appid: options.appId, secret: options.appSecret });
    const body = await readJson(await request(`/cgi-bin/token?${query}`));
    check(body);
    const accessToken = body.access_token;
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 7200;
    if (typeof accessToken !== 'string' || accessToken === '') throw new WechatApiError(-1, 'token answer without access_token');
    const lifetime = Math.max(60, expiresIn - Math.min(REFRESH_MARGIN_S, Math.floor(expiresIn / 2)));
    const refreshAt = new Date(options.clock().getTime() + lifetime * 1000).toISOString();
    await options.tokens.put(options.appId, { accessToken, refreshAt });
    options.logger.info({ expiresIn }, 'wechat access token refreshed');
    return accessToken;
  }

  /**
   * One refresh per process; with a shared lock also one across instances: whoever takes the lock
   * second finds the token the first one stored and does not ask WeChat again (each new token
   * invalidates the previous one after a few minutes, so parallel refreshers would undo each other).
   */
  function refresh(stale?: string): Promise<string> {
    const lock = options.refreshLock;
    const work = lock
      ? () =>
          lock.run(`wechat-token:${options.appId}`, async () => {
            const cached = await options.tokens.get(options.appId);
            if (cached && cached.accessToken !== stale && new Date(cached.refreshAt).getTime() > options.clock().getTime()) return cached.accessToken;
            return fetchToken();
          })
      : fetchToken;
    refreshing ??= work().finally(() => (refreshing = undefined));
    return refreshing;
  }

  async function accessToken(): Promise<string> {
    if (refreshing) return refreshing;
    const cached = await options.tokens.get(options.appId);
    if (cached && new Date(cached.refreshAt).getTime() > options.clock().getTime()) return cached.accessToken;
    return refresh();
  }

  /** After WeChat rejected `stale`: refresh, unless another caller already did. */
  async function replace(stale: string): Promise<string> {
    if (refreshing) return refreshing;
    const cached = await options.tokens.get(options.appId);
    if (cached && cached.accessToken !== stale && new Date(cached.refreshAt).getTime() > options.clock().getTime()) return cached.accessToken;
    return refresh(stale);
  }

  async function withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await accessToken();
    try {
      return await call(token);
    } catch (error) {
      if (!(error instanceof WechatApiError) || !TOKEN_REJECTED.has(error.errcode)) throw error;
      options.logger.warn({ errcode: error.errcode }, 'wechat rejected the access token; refreshing');
      return call(await replace(token));
    }
  }

  /** POSTs JSON to an API path that takes the access token in its query, and checks the answer. */
  function postJson(path: string, body: unknown): Promise<void> {
    return withToken(async (token) => {
      const response = await request(`${path}?access_token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
      });
      check(await readJson(response));
    });
  }

  return {
    sendText(openid, text) {
      return postJson('/cgi-bin/message/custom/send', { touser: openid, msgtype: 'text', text: { content: text } });
    },
    sendMenu(openid, menu) {
      return postJson('/cgi-bin/message/custom/send', {
        touser: openid,
        msgtype: 'msgmenu',
        msgmenu: { head_content: menu.head, list: menu.items, tail_content: menu.tail ?? '' },
      });
    },
    sendTemplate(openid, message) {
      const data = Object.fromEntries(Object.entries(message.data).map(([key, value]) => [key, { value }]));
      return postJson('/cgi-bin/message/template/send', { touser: openid, template_id: message.templateId, url: message.url, data });
    },
    createMenu(menu) {
      return postJson('/cgi-bin/menu/create', menu);
    },
    downloadMedia(mediaId) {
      return withToken(async (token) => {
        const query = new URLSearchParams({ access_token: token, media_id: mediaId });
        const response = await request(`/cgi-bin/media/get?${query}`);
        const type = (response.headers.get('content-type') ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
        // Errors come back as JSON (sometimes labelled text/plain) instead of the file.
        if (type.includes('json') || type.startsWith('text/')) {
          check(await readJson(response));
          throw new WechatApiError(-1, 'media answer without a file');
        }
        if (!response.ok) throw new WechatApiError(-1, `media download failed (HTTP ${response.status})`);
        const data = await readLimited(response, maxMediaBytes);
        return { name: mediaFileName(response.headers.get('content-disposition'), mediaId, type), type, data };
      });
    },
  };
}

async function readLimited(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new WechatApiError(-1, 'media too large');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new WechatApiError(-1, 'media too large');
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif' };

function mediaFileName(disposition: string | null, mediaId: string, type: string): string {
  const named = disposition?.match(/filename="?([^";]{1,100})"?/i)?.[1];
  if (named && /^[\w.-]+$/.test(named)) return named;
  return `wechat-${mediaId.replace(/[^\w-]/g, '').slice(0, 40) || 'image'}.${EXTENSIONS[type] ?? 'jpg'}`;
}

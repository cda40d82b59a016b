import { randomInt } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { toWechatInbound, type WechatInbound } from './inbound-message.js';
import type { InboundDispatcher, PassiveAnswer } from './inbound-dispatcher.js';
import { CipherError, type MessageCipher } from './message-cipher.js';
import { InProcessSeenNonces, type SeenNonces } from './replay-guard.js';
import { signatureMatches, wechatSignature } from './signature.js';
import { assertNoDeclarations, buildWechatXml, extractEncrypt, parseWechatXml, XmlRejected } from './xml.js';

/**
 * How far a request's timestamp may be from our clock, either way. WeChat stamps each push when
 * it sends it (retries carry fresh stamps), so five minutes covers clock drift and slow networks
 * while a captured request cannot be replayed later; within the window, the delivery ledger
 * (which remembers keys for longer) catches replays.
 */
export const TIMESTAMP_WINDOW_S = 300;
/** WeChat's messages are a few KB; safe and compatible mode roughly triple that. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface WebhookRouterDeps {
  path: string;
  token: string;
  /** Which requests are accepted: plaintext only, encrypted only (safe), or both (compatible). */
  mode: 'plaintext' | 'compatible' | 'safe';
  appId?: string;
  /** Present when an EncodingAESKey is configured. */
  cipher?: MessageCipher;
  dispatcher: Pick<InboundDispatcher, 'dispatch'>;
  clock: () => Date;
  logger: Logger;
  /** Signed (timestamp, nonce) pairs of plaintext requests, remembered for the timestamp window. */
  seenNonces?: SeenNonces;
}

/** Why a request was refused: HTTP status plus a reason for the log (never shown to users). */
class Refused extends Error {
  constructor(
    readonly status: 400 | 401 | 403,
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface VerifiedQuery {
  timestamp: string;
  nonce: string;
  encrypted: boolean;
  msgSignature?: string;
}

/**
 * The official-account webhook: `GET` answers WeChat's server verification, `POST` takes pushed
 * messages. Every request is authenticated (signature in constant time, fresh timestamp) before
 * its body is read or parsed; encrypted bodies are checked against `msg_signature` and the AppID.
 */
export function createWechatWebhookRouter(deps: WebhookRouterDeps): express.Router {
  const router = express.Router();
  const seenNonces = deps.seenNonces ?? new InProcessSeenNonces(() => deps.clock().getTime());

  function verifyQuery(req: Request): VerifiedQuery {
    const query = req.query as Record<string, unknown>;
    const timestamp = stringParam(query.timestamp);
    const nonce = stringParam(query.nonce);
    if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !nonce || !/^[A-Za-z0-9_-]{1,64}$/.test(nonce)) {
      throw new Refused(401, 'missing or malformed timestamp/nonce');
    }
    const encryptType = stringParam(query.encrypt_type) ?? 'raw';
    if (encryptType !== 'raw' && encryptType !== 'aes') throw new Refused(400, 'unknown encrypt_type');
    const encrypted = encryptType === 'aes';
    const signature = stringParam(query.signature);
    const msgSignature = stringParam(query.msg_signature);
    // In safe and compatible mode WeChat still sends `signature`; check it whenever it is there.
    if (signature !== undefined || !encrypted) {
      if (!signatureMatches(wechatSignature([deps.token, timestamp, nonce]), signature)) throw new Refused(401, 'bad signature');
    }
    if (encrypted && !msgSignature) throw new Refused(401, 'missing msg_signature');
    const age = Math.abs(Math.floor(deps.clock().getTime() / 1000) - Number(timestamp));
    if (age > TIMESTAMP_WINDOW_S) throw new Refused(401, 'stale timestamp');
    return { timestamp, nonce, encrypted, msgSignature };
  }

  router.get(deps.path, (req, res) => {
    const query = verifyQuery(req);
    if (query.encrypted) throw new Refused(400, 'encrypted verification is not used by official accounts');
    const echostr = stringParam((req.query as Record<string, unknown>).echostr);
    if (!echostr || echostr.length > 256) throw new Refused(400, 'missing echostr');
    res.type('text/plain').send(echostr);
  });

  router.post(
    deps.path,
    (req, _res, next) => {
      const query = verifyQuery(req);
      if (query.encrypted && !deps.cipher) throw new Refused(400, 'encrypted message but no WECHAT_AES_KEY configured');
      if (!query.encrypted && deps.mode === 'safe') throw new Refused(403, 'plaintext message refused in safe mode');
      requestState(req).query = query;
      next();
    },
    express.text({ type: () => true, limit: BODY_LIMIT_BYTES, defaultCharset: 'utf-8' }),
    async (req, res) => {
      const query = requestState(req).query!;
      const raw = typeof req.body === 'string' ? req.body : '';
      // Encrypted bodies are covered by msg_signature; a plaintext body is not covered by anything,
      // so its signed query may be used once (or again for a byte-identical retry) per window.
      if (!query.encrypted && (await seenNonces.remember(query.timestamp, query.nonce, raw, 2 * TIMESTAMP_WINDOW_S * 1000)) === 'other-body') {
        throw new Refused(401, 'replayed timestamp/nonce with another body');
      }
      const message = toWechatInbound(parseWechatXml(openBody(raw, query)));
      const answer = await deps.dispatcher.dispatch(message);
      sendAnswer(res, message, answer, query.encrypted);
    },
  );

  function openBody(raw: string, query: VerifiedQuery): string {
    assertNoDeclarations(raw);
    if (!query.encrypted) return raw;
    const encrypt = extractEncrypt(raw);
    if (!encrypt) throw new Refused(400, 'no Encrypt element');
    if (!signatureMatches(wechatSignature([deps.token, query.timestamp, query.nonce, encrypt]), query.msgSignature)) {
      throw new Refused(401, 'bad msg_signature');
    }
    const opened = deps.cipher!.open(encrypt);
    if (opened.appId !== deps.appId) throw new Refused(401, 'AppID mismatch');
    return opened.xml;
  }

  function sendAnswer(res: Response, message: WechatInbound, answer: PassiveAnswer, encrypted: boolean): void {
    if (answer.kind === 'success') {
      res.type('text/plain').send('success');
      return;
    }
    const now = Math.floor(deps.clock().getTime() / 1000);
    const reply = buildWechatXml({
      ToUserName: message.openid,
      FromUserName: message.account,
      CreateTime: now,
      MsgType: 'text',
      Content: answer.text,
    });
    if (!encrypted) {
      res.type('application/xml').send(reply);
      return;
    }
    const encrypt = deps.cipher!.seal(reply);
    const timestamp = String(now);
    const nonce = String(randomInt(100_000_000, 1_000_000_000));
    const msgSignature = wechatSignature([deps.token, timestamp, nonce, encrypt]);
    res.type('application/xml').send(buildWechatXml({ Encrypt: encrypt, MsgSignature: msgSignature, TimeStamp: now, Nonce: nonce }));
  }

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = refusalStatus(error);
    if (status >= 500) deps.logger.error({ err: error }, 'wechat webhook failed');
    else deps.logger.warn({ status, reason: refusalReason(error) }, 'wechat request refused');
    res
      .status(status)
      .type('text/plain')
      .send(status === 401 || status === 403 ? 'forbidden' : status === 413 ? 'too large' : status < 500 ? 'bad request' : 'error');
  });

  return router;
}

function refusalStatus(error: unknown): number {
  if (error instanceof Refused) return error.status;
  if (error instanceof XmlRejected || error instanceof CipherError) return 400;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

function refusalReason(error: unknown): string {
  if (error instanceof Refused) return error.reason;
  if (error instanceof XmlRejected) return `xml ${error.reason}`;
  if (error instanceof CipherError) return error.message;
  return (error as { type?: string }).type ?? 'request error';
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Per-request scratch space, kept off the shared `res.locals` typing. */
function requestState(req: Request): { query?: VerifiedQuery } {
  const holder = req as Request & { wechat?: { query?: VerifiedQuery } };
  holder.wechat ??= {};
  return holder.wechat;
}

import { createHmac, randomBytes } from 'node:crypto';
import cookieParser from 'cookie-parser';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { DocumentStore } from '../../storage/types.js';

/** The cookie that carries a web chat visitor's identity. */
export const IDENTITY_COOKIE = 'chsi_chat';

/** How long a visitor keeps the same conversation without coming back. */
const IDENTITY_MAX_AGE_MS = 180 * 24 * 60 * 60 * 1000;

/** 18 random bytes, base64url: unguessable, and plain enough to be a store key. */
const identitySchema = z.string().regex(/^[A-Za-z0-9_-]{24}$/);

const storedSecretSchema = z.object({ secret: z.string().min(32) });

/**
 * The key that signs identity cookies. Derived from SESSION_SECRET when it is set (a separate key,
 * so the console's session hashes and these cookies never share one); otherwise a random key made
 * on first start and kept in the store, so visitors keep their conversation across restarts.
 */
export async function loadIdentitySecret(sessionSecret: string | undefined, store: DocumentStore<unknown>): Promise<string> {
  if (sessionSecret) return createHmac('sha256', sessionSecret).update('web-chat-identity').digest('base64url');
  const stored = await store.update('identity-cookie', (current) => {
    const parsed = storedSecretSchema.safeParse(current);
    return parsed.success ? parsed.data : { secret: randomBytes(32).toString('base64url') };
  });
  return storedSecretSchema.parse(stored).secret;
}

/**
 * Web chat identities issued by the server. The page gets a random id in a signed, HttpOnly,
 * SameSite cookie the first time it is served; the chat routes read it from there and from
 * nowhere else, so no id ever appears in a URL or a body that another person could replay.
 */
export class WebIdentities {
  readonly parseCookies: RequestHandler;

  constructor(
    secret: string,
    private readonly secure: boolean,
  ) {
    this.parseCookies = cookieParser(secret);
  }

  /** The visitor's id, or `undefined` when the request carries no valid signed cookie. */
  identityOf(req: Request): string | undefined {
    const signed = (req.signedCookies as Record<string, unknown> | undefined)?.[IDENTITY_COOKIE];
    const parsed = identitySchema.safeParse(signed);
    return parsed.success ? parsed.data : undefined;
  }

  /** The visitor's id; a new visitor gets one, set as the cookie on this response. */
  issue(req: Request, res: Response): string {
    const existing = this.identityOf(req);
    if (existing) return existing;
    const id = randomBytes(18).toString('base64url');
    res.cookie(IDENTITY_COOKIE, id, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      path: '/',
      maxAge: IDENTITY_MAX_AGE_MS,
    });
    return id;
  }
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { DocumentStore } from '../../storage/types.js';

/** What a notice page shows: an agent's replies on a ticket, or a photo review's decision. */
const noticeRefSchema = z.object({
  kind: z.enum(['ticket', 'review']),
  id: z.string().min(1).max(64),
  /** Expiry, epoch milliseconds. */
  exp: z.number().int(),
});

export type NoticeRef = z.infer<typeof noticeRefSchema>;

/** How long a link in a template message keeps working. */
export const NOTICE_LINK_VALID_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Signed, expiring links to a notice page (`/helpdesk/notices/<token>`): the token names what the
 * page shows and is signed with a secret kept in the store (HMAC-SHA256), so nobody can forge a
 * link to someone else's ticket. Like a password-reset link, the URL is the credential: it is sent
 * only to the user it concerns.
 */
export class SignedLinks {
  private secret: Promise<Buffer> | undefined;

  constructor(
    private readonly secrets: DocumentStore<{ secret: string }>,
    private readonly clock: () => Date,
  ) {}

  async sign(ref: Omit<NoticeRef, 'exp'>, validMs = NOTICE_LINK_VALID_MS): Promise<string> {
    const payload = Buffer.from(JSON.stringify({ ...ref, exp: this.clock().getTime() + validMs })).toString('base64url');
    return `${payload}.${await this.mac(payload)}`;
  }

  /** The reference a token carries, or `null` when it is malformed, forged or expired. */
  async verify(token: string): Promise<NoticeRef | null> {
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) return null;
    const expected = Buffer.from(await this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const ref = noticeRefSchema.safeParse(parsed);
    if (!ref.success || ref.data.exp < this.clock().getTime()) return null;
    return ref.data;
  }

  private async mac(payload: string): Promise<string> {
    return createHmac('sha256', await this.key())
      .update(payload)
      .digest('base64url');
  }

  private key(): Promise<Buffer> {
    this.secret ??= this.secrets
      .update('notice-links', (current) => current ?? { secret: randomBytes(32).toString('base64') })
      .then((doc) => Buffer.from(doc!.secret, 'base64'));
    return this.secret;
  }
}

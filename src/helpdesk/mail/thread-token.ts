import { randomBytes } from 'node:crypto';

/**
 * The per-ticket secret that lets a mail continue a ticket. It travels only in mail we send to
 * the ticket's requester: in the Reply-To address (`support+t.<token>@…`) and in our Message-IDs,
 * which a reply quotes in In-Reply-To / References. 120 random bits: not guessable from the
 * sequential ticket number, so a forged `From` plus the ticket number in the subject is not enough.
 */
export function newThreadToken(): string {
  return randomBytes(15).toString('hex');
}

const TOKEN = /^[0-9a-f]{30}$/;

/** `support@example.cn` + token → `support+t.<token>@example.cn`. */
export function replyToAddress(supportAddress: string, token: string): string {
  const at = supportAddress.lastIndexOf('@');
  return `${supportAddress.slice(0, at)}+t.${token}${supportAddress.slice(at)}`;
}

/** A Message-ID for a mail on a ticket's thread, carrying its token. */
export function tokenMessageId(domain: string, ticketId: string, token: string): string {
  return `<${ticketId.toLowerCase()}.t.${token}.${randomBytes(6).toString('hex')}@${domain}>`;
}

/** The token in a recipient address `support+t.<token>@…` for our own support address. */
export function tokenFromRecipients(recipients: string[], supportAddress: string): string | null {
  const at = supportAddress.lastIndexOf('@');
  const local = supportAddress.slice(0, at).toLowerCase();
  const domain = supportAddress.slice(at).toLowerCase();
  for (const recipient of recipients) {
    const address = recipient.toLowerCase();
    if (!address.endsWith(domain) || !address.startsWith(`${local}+t.`)) continue;
    const token = address.slice(local.length + 3, address.length - domain.length);
    if (TOKEN.test(token)) return token;
  }
  return null;
}

/** The token in one of our Message-IDs that the mail answers (In-Reply-To first, then References, newest first). */
export function tokenFromMessageIds(ids: string[], domain: string): string | null {
  for (const id of ids) {
    const match = /^<t\d{12}\.t\.([0-9a-f]{30})\.[0-9a-f]+@(.+)>$/.exec(id.toLowerCase());
    if (match && match[2] === domain.toLowerCase()) return match[1]!;
  }
  return null;
}

import type { MailDnsResolver } from '../../src/helpdesk/mail/mail-auth.js';

/**
 * The DNS the mail tests see, instead of the internet's. Loopback addresses stand for hosts:
 * - `example.com` sends from 127.0.0.1 (SPF) and publishes DMARC `p=reject`;
 * - `evil.example` sends from 127.0.0.2 and publishes no DMARC;
 * - `plain.example` publishes nothing at all (a small school's domain, say).
 * A client bound to 127.0.0.2 that writes `From: …@example.com` is therefore a forger.
 */
export const LEGIT_IP = '127.0.0.1';
export const ATTACKER_IP = '127.0.0.2';

const TXT: Record<string, string[]> = {
  'example.com': ['v=spf1 ip4:127.0.0.1 -all'],
  '_dmarc.example.com': ['v=DMARC1; p=reject; adkim=r; aspf=r'],
  'evil.example': ['v=spf1 ip4:127.0.0.2 -all'],
};

export const fakeDns: MailDnsResolver = async (name, rrtype) => {
  const records = rrtype === 'TXT' ? TXT[name.toLowerCase()] : undefined;
  if (!records) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  return records.map((record) => [record]);
};

import { authenticate, type DNSResolver } from 'mailauth';
import type { Logger } from 'pino';

/** A DNS lookup as mailauth calls it (`dns.promises.resolve` shape); tests pass a fake one. */
export type MailDnsResolver = DNSResolver;

/**
 * What SPF, DKIM and DMARC say about a mail's `From` address. `verified` is our verdict: the
 * domain's DMARC policy passed, or, for a domain that publishes no DMARC record, SPF or DKIM
 * passed for that same domain (aligned). Only a verified sender gets automatic answers, and only a
 * verified sender may continue a ticket without the ticket's token (subject threading).
 */
export interface SenderAuth {
  verified: boolean;
  spf: string;
  dkim: string;
  dmarc: string;
  /** The IP address SPF was checked for: the connecting client, or the one a trusted relay received the mail from. */
  clientIp?: string;
}

/** When the mail could not be checked at all (a DNS outage, a malformed message). */
export const UNVERIFIED: SenderAuth = { verified: false, spf: 'none', dkim: 'none', dmarc: 'none' };

export interface SenderCheck {
  raw: Buffer;
  /** The `From` address (lower case), or `null`. */
  from: string | null;
  /** SMTP `MAIL FROM`, `null` for `<>`. */
  mailFrom: string | null;
  /** The connecting client's IP address. */
  remoteAddress: string;
  /** The name the client gave in EHLO/HELO. */
  helo: string;
  /**
   * The connecting client is one of our own relays (SMTP_TRUSTED_RELAYS): the sending host is the
   * one named in the Received header the relay added, and MAIL FROM is the relay's Return-Path.
   */
  viaRelay?: boolean;
}

export interface SenderVerifier {
  verify(check: SenderCheck): Promise<SenderAuth>;
}

/**
 * Checks SPF, DKIM and DMARC with `mailauth`. `resolver` defaults to the system DNS; a failure to
 * check is never a pass.
 */
export function createSenderVerifier(options: { resolver?: MailDnsResolver; mta?: string; logger: Logger }): SenderVerifier {
  return {
    async verify(check) {
      if (!check.from) return UNVERIFIED;
      try {
        const client = check.viaRelay
          ? { trustReceived: true }
          : { ip: check.remoteAddress.replace(/^::ffff:/, ''), helo: check.helo, sender: check.mailFrom ?? '' };
        const result = await authenticate(check.raw, {
          ...client,
          mta: options.mta,
          disableArc: true,
          disableBimi: true,
          ...(options.resolver ? { resolver: options.resolver } : {}),
        });
        const fromDomain = check.from.split('@')[1] ?? '';
        const spf = result.spf ? result.spf.status.result : 'none';
        const spfDomain = result.spf ? result.spf.domain : '';
        const dkimPasses = result.dkim.results.filter((row) => row.status.result === 'pass');
        const dkim = dkimPasses.length > 0 ? 'pass' : (result.dkim.results[0]?.status.result ?? 'none');
        const dmarc = result.dmarc ? result.dmarc.status.result : 'none';
        const aligned =
          (spf === 'pass' && sameOrganisation(spfDomain, fromDomain)) || dkimPasses.some((row) => sameOrganisation(row.signingDomain, fromDomain));
        const verified = dmarc === 'pass' || (dmarc === 'none' && aligned);
        const clientIp = result.spf ? result.spf['client-ip'] : undefined;
        return { verified, spf, dkim, dmarc, ...(clientIp ? { clientIp } : {}) };
      } catch (error) {
        options.logger.warn({ err: error }, 'sender authentication could not be checked; treating the sender as unverified');
        return UNVERIFIED;
      }
    },
  };
}

/** Relaxed alignment (RFC 7489): the same domain, or one a subdomain of the other. */
function sameOrganisation(a: string, b: string): boolean {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  if (!left || !right) return false;
  return left === right || left.endsWith(`.${right}`) || right.endsWith(`.${left}`);
}

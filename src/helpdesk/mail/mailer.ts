import { randomBytes } from 'node:crypto';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Logger } from 'pino';
import type { AppendLog, LogSchema } from '../../storage/types.js';
import { OWN_MAIL_HEADER } from './inbound-mail.js';

/** A mail the help desk sends: an agent's reply or an automatic acknowledgement. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  messageId: string;
  /** Where the user's reply should go: the support address with the ticket's token. */
  replyTo?: string;
  inReplyTo?: string;
  references?: string[];
  /** Machine-written (acknowledgements): marked `Auto-Submitted: auto-replied` (RFC 3834). */
  automatic: boolean;
  /** The ticket the mail belongs to; absent for a notice outside any ticket. */
  ticketId?: string;
}

/** A sent (or kept) mail, as the console and tests read it. */
export interface SentMail extends OutgoingMail {
  id: string;
  at: string;
  from: string;
  /** `sent`: accepted by the SMTP_URL server; `stored`: no SMTP_URL, kept here only; `failed`: refused. */
  status: 'sent' | 'stored' | 'failed';
}

/** The part of a nodemailer transport we use. */
export interface MailTransport {
  sendMail(mail: SendMailOptions): Promise<unknown>;
  close?(): void;
}

export type SentMailKey = 'ticketId' | 'to';

/** How the sent-mail log is indexed: by ticket and by recipient. */
export const sentMailLogSchema: LogSchema<SentMail, SentMailKey> = {
  keys: ['ticketId', 'to'],
  index: (mail) => ({ ticketId: mail.ticketId ?? null, to: mail.to.toLowerCase() }),
};

export interface MailerDeps {
  from: string;
  /** Absent when `SMTP_URL` is unset: mail is then only kept in `log`. */
  transport?: MailTransport;
  log: AppendLog<SentMail, SentMailKey>;
  clock: () => Date;
  logger: Logger;
}

/**
 * Outbound help-desk mail through nodemailer (`SMTP_URL`). Every mail is also recorded in the
 * sent-mail log, so the console shows what went out; without `SMTP_URL` that log is the only
 * destination (development and tests read it).
 */
export class Mailer {
  constructor(private readonly deps: MailerDeps) {}

  get delivers(): boolean {
    return this.deps.transport !== undefined;
  }

  async send(mail: OutgoingMail): Promise<SentMail> {
    let status: SentMail['status'] = 'stored';
    if (this.deps.transport) {
      try {
        await this.deps.transport.sendMail({
          from: this.deps.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          messageId: mail.messageId,
          ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
          ...(mail.inReplyTo ? { inReplyTo: mail.inReplyTo } : {}),
          ...(mail.references && mail.references.length > 0 ? { references: mail.references } : {}),
          headers: {
            [OWN_MAIL_HEADER]: mail.ticketId ?? 'notice',
            // Asks Exchange-style servers not to answer with out-of-office notices.
            'X-Auto-Response-Suppress': 'All',
            ...(mail.automatic ? { 'Auto-Submitted': 'auto-replied', Precedence: 'auto_reply' } : {}),
          },
        });
        status = 'sent';
      } catch (error) {
        this.deps.logger.warn({ err: error, ticketId: mail.ticketId }, 'outbound mail refused by SMTP_URL server');
        status = 'failed';
      }
    }
    const record: SentMail = { ...mail, id: randomBytes(8).toString('hex'), at: this.deps.clock().toISOString(), from: this.deps.from, status };
    await this.deps.log.append(record);
    return record;
  }

  /** Newest first: one page (at most 500) through the log's index. */
  async list(limit = 100, filter: { ticketId?: string; to?: string } = {}): Promise<SentMail[]> {
    const page = await this.deps.log.page({
      limit: Math.min(Math.max(Math.floor(limit), 1), 500),
      where: { ticketId: filter.ticketId || undefined, to: filter.to ? filter.to.toLowerCase() : undefined },
    });
    return page.items;
  }

  close(): void {
    this.deps.transport?.close?.();
  }
}

/** A nodemailer transport for `SMTP_URL` (e.g. `smtp://user:pass@relay:587`). */
export function createMailTransport(url: string): MailTransport {
  return nodemailer.createTransport(url);
}

/** A fresh Message-ID under our own domain, so our mail is recognisable when it comes back. */
export function newMessageId(domain: string, ticketId = 'notice'): string {
  return `<${ticketId.toLowerCase()}.${randomBytes(9).toString('base64url')}@${domain}>`;
}

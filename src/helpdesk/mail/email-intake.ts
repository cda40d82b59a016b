import type { Logger } from 'pino';
import { sanitizeMailHtml } from './mail-html.js';
import { stripQuotedReply, type InboundMail } from './inbound-mail.js';
import { newMessageId, type Mailer } from './mailer.js';
import { safeSubject, threadSubjectKey } from './subject.js';
import { newThreadToken, replyToAddress, tokenFromMessageIds, tokenFromRecipients, tokenMessageId } from './thread-token.js';
import { limitKey, type RateLimits } from '../../security/rate-limits.js';
import { maskEmail } from '../../privacy/mask.js';
import type { Render } from '../../render/renderer.js';
import type { DocumentStore, Storage } from '../../storage/types.js';
import type { AuditTrail } from '../tickets/audit.js';
import { chinaDateTime } from '../../calendar/china-time.js';
import { checkScreenshot } from '../tickets/screenshots.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import type { DeliveryOutcome, Ticket } from '../tickets/ticket-types.js';
import type { TicketService } from '../tickets/ticket-service.js';
import { readUsername, usernameOf } from '../../conversation/flows/username-input.js';

/** What happened to an inbound mail. */
export type IntakeOutcome =
  | { kind: 'created'; ticketId: string; autoReplied: boolean }
  | { kind: 'appended'; ticketId: string; reopened: boolean }
  | { kind: 'ignored'; reason: 'own-mail' | 'duplicate' | 'automatic' | 'no-sender' }
  /** Not taken now: the SMTP client is told to try again later (450), so nothing is lost. */
  | { kind: 'deferred'; reason: 'rate-limited'; retryAfterMs: number };

export interface EmailIntakeDeps {
  tickets: TicketService;
  store: TicketStore;
  mailer: Mailer;
  storage: Storage;
  render: Render;
  audit: AuditTrail;
  clock: () => Date;
  logger: Logger;
  /** The customer-service address (lower case). */
  supportAddress: string;
  /** Automatic answers one address gets per China day, whatever it sends. */
  autoRepliesPerDay?: number;
  /** Tickets opened by mail are limited per sender address and per connecting IP. */
  rateLimits?: RateLimits;
  /** How long after a ticket's last change a verified sender's tagless reply may still join it. */
  subjectThreadWindowMs?: number;
}

/** A ticket a sender may continue by subject alone (no token), kept per sender address. */
interface SubjectThread {
  ticketId: string;
  subjectKey: string;
}

/** Default window for subject threading: a week. */
const SUBJECT_THREAD_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** Subject threads remembered per sender. */
const SUBJECT_THREADS_KEPT = 20;

/** Message-IDs kept per ticket for `References`. */
const REFERENCES_KEPT = 20;

/**
 * Turns customer-service mail into tickets: a new mail opens one (image attachments become
 * screenshots, a username is picked out, an automatic reply asks for what is missing).
 *
 * Who may write into a ticket (docs/security.md, "Mail"):
 * - a mail joins a ticket when it comes from the ticket's requester AND carries the ticket's
 *   secret token, which only our mail to that requester contains (the Reply-To address
 *   `support+t.<token>@…`, or our Message-ID quoted in In-Reply-To / References);
 * - a reply that lost the token (a client that drops Reply-To and threading headers) joins only
 *   when the requester's domain vouches for the sender (DMARC pass, or SPF/DKIM aligned with the
 *   From domain when the domain publishes no DMARC policy), the ticket is open, the subject is
 *   the same once Re:/回复:/Fwd: and the ticket tag are stripped, and the ticket changed within
 *   the window (a week). A forged From fails that check, so it opens a ticket of its own;
 * - anything else, including a mail naming someone else's ticket number, opens a new ticket.
 * Automatic answers go only to verified senders, never to bulk, list or machine mail, and never
 * repeat the incoming subject. New tickets by mail are rate-limited per sender and per IP.
 */
export class EmailIntake {
  private readonly autoReplies: DocumentStore<{ day: string; count: number }>;
  /** Per sender address: the tickets it may continue by subject. */
  private readonly subjectThreads: DocumentStore<{ threads: SubjectThread[] }>;
  readonly domain: string;

  constructor(private readonly deps: EmailIntakeDeps) {
    this.autoReplies = deps.storage.documents('helpdesk-mail-autoreplies');
    this.subjectThreads = deps.storage.documents('helpdesk-mail-subject-threads');
    this.domain = `helpdesk.${deps.supportAddress.split('@')[1] ?? 'localhost'}`;
  }

  async receive(mail: InboundMail): Promise<IntakeOutcome> {
    const { logger } = this.deps;
    const sender = mail.from?.address ?? null;
    if (this.isOwn(mail)) {
      logger.info({ messageId: mail.messageId }, 'ignoring our own mail');
      return { kind: 'ignored', reason: 'own-mail' };
    }
    if (mail.messageId && (await this.deps.store.mailThreads.get(mail.messageId))) {
      return { kind: 'ignored', reason: 'duplicate' };
    }
    const ticket = await this.threadOf(mail, { byToken: true, bySubject: !mail.automatic });
    if (mail.automatic) {
      // Never answered; kept on its ticket so agents see e.g. that their reply bounced.
      if (ticket?.status === 'open') {
        await this.deps.tickets.appendUserMessage(ticket.id, { text: this.bodyOf(mail), subject: mail.subject, automatic: true });
        await this.link(mail.messageId, ticket.id, ticket.userId);
        return { kind: 'appended', ticketId: ticket.id, reopened: false };
      }
      logger.info({ kind: mail.automatic }, 'ignoring automatic mail');
      return { kind: 'ignored', reason: 'automatic' };
    }
    if (!sender) return { kind: 'ignored', reason: 'no-sender' };
    if (ticket) return this.appendToTicket(ticket, mail);
    const limited = await this.rateLimited(mail, sender);
    if (limited) return limited;
    return this.openTicket(mail, sender);
  }

  /** Sends an agent's answer as a reply in the ticket's mail thread. */
  async replyOnTicket(ticket: Ticket, text: string): Promise<DeliveryOutcome> {
    const mail = ticket.email;
    const token = await this.tokenOf(ticket);
    const messageId = tokenMessageId(this.domain, ticket.id, token);
    const sent = await this.deps.mailer.send({
      to: ticket.userId,
      subject: this.deps.render('helpdesk/email/reply-subject', { subject: safeSubject(mail?.subject ?? ''), ticketId: ticket.id }),
      // An agent who already greeted is not greeted over again.
      text: this.deps.render('helpdesk/email/agent-reply', { text, ticketId: ticket.id, greeted: GREETING.test(text) }),
      messageId,
      replyTo: replyToAddress(this.deps.supportAddress, token),
      ...(mail?.lastInboundId ? { inReplyTo: mail.lastInboundId } : {}),
      references: (mail?.messageIds ?? []).slice(-REFERENCES_KEPT),
      automatic: false,
      ticketId: ticket.id,
    });
    if (sent.status === 'failed') return 'failed';
    await this.recordOutgoing(ticket.id, ticket.userId, messageId);
    return sent.status;
  }

  /**
   * A message for an e-mail user outside any ticket thread (the `email` sender of the delivery
   * router): a plain mail from the support address.
   */
  async sendNotice(address: string, text: string): Promise<DeliveryOutcome> {
    const sent = await this.deps.mailer.send({
      to: address,
      subject: this.deps.render('helpdesk/email/notice-subject'),
      text: this.deps.render('helpdesk/email/notice', { text }),
      messageId: newMessageId(this.domain),
      automatic: false,
    });
    return sent.status;
  }

  private async openTicket(mail: InboundMail, sender: string): Promise<IntakeOutcome> {
    const body = this.bodyOf(mail);
    const images = await this.imagesOf(mail);
    const username = usernameOf(readUsername(`${mail.subject}\n${body}`, this.deps.clock(), { ignoreEmails: [this.deps.supportAddress] })) ?? null;
    const html = mail.html ? sanitizeMailHtml(mail.html) : undefined;
    const at = this.deps.clock().toISOString();
    const subject = safeSubject(mail.subject);
    const token = newThreadToken();
    const ticket = await this.deps.tickets.create({
      channel: 'email',
      userId: sender,
      conversationId: null,
      username,
      description: body,
      topics: [],
      screenshots: images.accepted,
      transcript: [
        { at, from: 'user', text: body, subject, ...(html ? { html } : {}) },
        ...(images.skipped.length > 0 ? [{ at, from: 'system' as const, text: images.skipped.join(', '), event: 'attachments-skipped' }] : []),
      ],
      email: {
        subject,
        messageIds: mail.messageId ? [mail.messageId] : [],
        ...(mail.messageId ? { lastInboundId: mail.messageId } : {}),
        token,
      },
    });
    await this.link(mail.messageId, ticket.id, sender);
    await this.deps.store.mailThreads.put(tokenKey(token), { ticketId: ticket.id, address: sender });
    await this.rememberSubject(sender, ticket.id, mail.subject);
    const autoReplied = await this.acknowledge(ticket, mail);
    this.deps.logger.info({ ticketId: ticket.id, screenshots: ticket.screenshots.length, autoReplied }, 'ticket opened by mail');
    return { kind: 'created', ticketId: ticket.id, autoReplied };
  }

  private async appendToTicket(ticket: Ticket, mail: InboundMail): Promise<IntakeOutcome> {
    let reopened = false;
    if (ticket.status === 'closed') {
      const result = await this.deps.tickets.reopen(ticket.id, 'system', { restartClock: true });
      reopened = result.ok;
    }
    const body = this.bodyOf(mail);
    const images = await this.imagesOf(mail);
    const html = mail.html ? sanitizeMailHtml(mail.html) : undefined;
    await this.deps.tickets.appendUserMessage(ticket.id, {
      text: body,
      subject: safeSubject(mail.subject),
      ...(html ? { html } : {}),
      images: images.accepted,
      fill: { username: usernameOf(readUsername(body, this.deps.clock(), { ignoreEmails: [this.deps.supportAddress] })), description: body },
    });
    await this.deps.store.updateTicket(ticket.id, (current) => {
      if (!current.email || !mail.messageId) return current;
      current.email.messageIds = [...current.email.messageIds, mail.messageId].slice(-REFERENCES_KEPT * 2);
      current.email.lastInboundId = mail.messageId;
      return current;
    });
    await this.link(mail.messageId, ticket.id, ticket.userId);
    await this.rememberSubject(ticket.userId, ticket.id, mail.subject);
    return { kind: 'appended', ticketId: ticket.id, reopened };
  }

  /**
   * The ticket a mail may continue (see the class comment for the rules). A mail that names a
   * ticket it may not join is recorded in the audit trail and opens its own ticket.
   */
  private async threadOf(mail: InboundMail, allow: { byToken: boolean; bySubject: boolean }): Promise<Ticket | undefined> {
    const sender = mail.from?.address ?? '';
    const token =
      tokenFromRecipients(mail.recipients, this.deps.supportAddress) ??
      tokenFromMessageIds([...mail.inReplyTo, ...[...mail.references].reverse()], this.domain);
    if (token && allow.byToken) {
      const link = await this.deps.store.mailThreads.get(tokenKey(token));
      const ticket = link ? await this.deps.tickets.get(link.ticketId) : undefined;
      if (ticket?.email?.token === token && ticket.userId === sender) return ticket;
      if (ticket) {
        // Someone else's token (a forwarded mail, a forged From): never that thread, not even by subject.
        await this.refuseThread(ticket.id, sender, 'token-from-other-sender');
        return undefined;
      }
    }
    if (!allow.bySubject) return undefined;
    const named = await this.namedTicket(mail);
    const bySubject = await this.subjectThread(mail, sender);
    if (bySubject) return bySubject;
    if (named && named.userId !== sender) await this.refuseThread(named.id, sender, 'other-sender');
    else if (named) await this.refuseThread(named.id, sender, mail.auth.verified ? 'no-token' : 'sender-not-verified');
    return undefined;
  }

  /**
   * A verified sender's open ticket with the same thread subject, changed within the window: a
   * reply whose client dropped our Reply-To, In-Reply-To and References still lands in its thread.
   */
  private async subjectThread(mail: InboundMail, sender: string): Promise<Ticket | undefined> {
    if (!mail.auth.verified) return undefined;
    const key = threadSubjectKey(mail.subject);
    if (!key) return undefined;
    const remembered = await this.subjectThreads.get(senderKey(sender));
    const window = this.deps.subjectThreadWindowMs ?? SUBJECT_THREAD_WINDOW_MS;
    const now = this.deps.clock().getTime();
    for (const thread of [...(remembered?.threads ?? [])].reverse()) {
      if (thread.subjectKey !== key) continue;
      const ticket = await this.deps.tickets.get(thread.ticketId);
      if (!ticket || ticket.status !== 'open' || ticket.channel !== 'email' || ticket.userId !== sender) continue;
      if (now - Date.parse(ticket.updatedAt) > window) continue;
      this.deps.logger.info({ ticketId: ticket.id }, 'mail joined its ticket by sender and subject (verified sender, no token)');
      return ticket;
    }
    return undefined;
  }

  /** A ticket the mail points at without its token: an old Message-ID link or a ticket number in the subject. */
  private async namedTicket(mail: InboundMail): Promise<Ticket | undefined> {
    for (const id of [...mail.inReplyTo, ...[...mail.references].reverse()]) {
      const link = await this.deps.store.mailThreads.get(id);
      if (link?.ticketId) return this.deps.tickets.get(link.ticketId);
    }
    const tagged = /\bT\d{12}\b/.exec(mail.subject)?.[0];
    return tagged ? this.deps.tickets.get(tagged) : undefined;
  }

  private async rememberSubject(sender: string, ticketId: string, subject: string): Promise<void> {
    const subjectKey = threadSubjectKey(subject);
    if (!subjectKey) return;
    await this.subjectThreads.update(senderKey(sender), (current) => {
      const threads = (current?.threads ?? []).filter((thread) => thread.ticketId !== ticketId || thread.subjectKey !== subjectKey);
      return { threads: [...threads, { ticketId, subjectKey }].slice(-SUBJECT_THREADS_KEPT) };
    });
  }

  /** The ticket's token, created for tickets stored before tokens existed. */
  private async tokenOf(ticket: Ticket): Promise<string> {
    if (ticket.email?.token) return ticket.email.token;
    const token = newThreadToken();
    let kept = token;
    await this.deps.store.updateTicket(ticket.id, (current) => {
      if (!current.email) current.email = { subject: '', messageIds: [] };
      current.email.token ??= token;
      kept = current.email.token;
      return current;
    });
    await this.deps.store.mailThreads.put(tokenKey(kept), { ticketId: ticket.id, address: ticket.userId });
    return kept;
  }

  /** New tickets by mail: a budget per sender address and per connecting IP. */
  private async rateLimited(mail: InboundMail, sender: string): Promise<IntakeOutcome | undefined> {
    if (!this.deps.rateLimits) return undefined;
    const verdict = await this.deps.rateLimits.consumeEach([
      { limit: 'ticket-mail:sender', key: limitKey.sender(sender) },
      { limit: 'ticket-mail:ip', key: limitKey.ip(mail.remoteAddress || undefined) },
    ]);
    if (verdict.allowed) return undefined;
    this.deps.logger.warn(
      { limit: verdict.limit, remoteAddress: mail.remoteAddress },
      'mail ticket creation rate-limited; asking the sender to retry later',
    );
    await this.deps.audit.record('system', 'mail-ignored', undefined, { reason: 'rate-limited', limit: verdict.limit });
    return { kind: 'deferred', reason: 'rate-limited', retryAfterMs: verdict.retryAfterMs };
  }

  private async refuseThread(ticketId: string, sender: string, reason: string): Promise<void> {
    this.deps.logger.warn({ ticketId, reason }, 'mail names a ticket it may not join; opening a new ticket');
    await this.deps.audit.record('system', 'mail-thread-refused', ticketId, { sender: maskEmail(sender), reason });
  }

  /** The automatic acknowledgement: ticket number, due date, and what is still missing. */
  private async acknowledge(ticket: Ticket, mail: InboundMail): Promise<boolean> {
    // An unverified From may be forged: answering it would send our mail to a stranger (backscatter).
    if (!mail.auth.verified) {
      this.deps.logger.info(
        { ticketId: ticket.id, spf: mail.auth.spf, dkim: mail.auth.dkim, dmarc: mail.auth.dmarc },
        'sender not verified; no automatic reply',
      );
      return false;
    }
    if (!(await this.mayAutoReply(ticket.userId))) {
      this.deps.logger.warn({ ticketId: ticket.id }, 'automatic reply limit reached for this address; not answering');
      return false;
    }
    const token = await this.tokenOf(ticket);
    const messageId = tokenMessageId(this.domain, ticket.id, token);
    const missing = this.deps.tickets.missingItems(ticket);
    const sent = await this.deps.mailer.send({
      to: ticket.userId,
      // The sender's own subject is never echoed in an automatic answer.
      subject: this.deps.render('helpdesk/email/acknowledgement-subject', { ticketId: ticket.id }),
      text: this.deps.render('helpdesk/email/acknowledgement', {
        ticketId: ticket.id,
        missing,
        due: ticket.sla.dueAt ? chinaDateTime(ticket.sla.dueAt) : null,
        provisional: ticket.sla.provisional === true,
      }),
      messageId,
      replyTo: replyToAddress(this.deps.supportAddress, token),
      ...(mail.messageId ? { inReplyTo: mail.messageId, references: [mail.messageId] } : {}),
      automatic: true,
      ticketId: ticket.id,
    });
    if (sent.status === 'failed') return false;
    await this.recordOutgoing(ticket.id, ticket.userId, messageId);
    return true;
  }

  private async mayAutoReply(address: string): Promise<boolean> {
    const day = chinaDateTime(this.deps.clock()).date;
    const limit = this.deps.autoRepliesPerDay ?? 5;
    let allowed = false;
    await this.autoReplies.update(address, (current) => {
      const count = current?.day === day ? current.count : 0;
      allowed = count < limit;
      return { day, count: allowed ? count + 1 : count };
    });
    return allowed;
  }

  private async recordOutgoing(ticketId: string, address: string, messageId: string): Promise<void> {
    await this.link(messageId, ticketId, address);
    await this.deps.store.updateTicket(ticketId, (current) => {
      if (!current.email) return current;
      current.email.messageIds = [...current.email.messageIds, messageId].slice(-REFERENCES_KEPT * 2);
      return current;
    });
  }

  private async link(messageId: string | null, ticketId: string, address: string): Promise<void> {
    if (messageId) await this.deps.store.mailThreads.put(messageId, { ticketId, address: address.toLowerCase() });
  }

  private isOwn(mail: InboundMail): boolean {
    if (mail.ownMarker !== null) return true;
    if (mail.from?.address === this.deps.supportAddress) return true;
    return Boolean(mail.messageId?.toLowerCase().endsWith(`@${this.domain}>`));
  }

  private bodyOf(mail: InboundMail): string {
    return stripQuotedReply(mail.text);
  }

  /** Image attachments checked by content; other files are named, not kept. */
  private async imagesOf(mail: InboundMail): Promise<{ accepted: { name: string; type: string; data: Buffer }[]; skipped: string[] }> {
    const accepted: { name: string; type: string; data: Buffer }[] = [];
    const skipped: string[] = [];
    for (const attachment of mail.attachments) {
      const check = await checkScreenshot(attachment.content);
      if (check.ok) accepted.push({ name: attachment.filename, type: check.type, data: attachment.content });
      else skipped.push(attachment.filename || attachment.contentType);
    }
    return { accepted, skipped };
  }
}

/** An agent's reply that opens with a greeting of its own. */
const GREETING = /^\s*(?:您好|你好|尊敬的|亲爱的|同学[，,]?\s*(?:您|你)好)/;

function tokenKey(token: string): string {
  return `token:${token}`;
}

function senderKey(address: string): string {
  return `sender:${address.toLowerCase()}`;
}

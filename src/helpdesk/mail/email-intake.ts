import type { Logger } from 'pino';
import { sanitizeMailHtml } from './mail-html.js';
import { stripQuotedReply, type InboundMail } from './inbound-mail.js';
import { newMessageId, type Mailer } from './mailer.js';
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
  | { kind: 'ignored'; reason: 'own-mail' | 'duplicate' | 'automatic' | 'no-sender' };

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
}

/** Message-IDs kept per ticket for `References`. */
const REFERENCES_KEPT = 20;
const TICKET_TAG = /\bT\d{12}\b/;

/**
 * Turns customer-service mail into tickets: a new mail opens one (image attachments become
 * screenshots, a username is picked out, an automatic reply asks for what is missing); a reply
 * joins its ticket through Message-ID / In-Reply-To / References, but only when it comes from
 * the ticket's own address. Bounces, auto-replies and our own mail never get an answer.
 */
export class EmailIntake {
  private readonly autoReplies: DocumentStore<{ day: string; count: number }>;
  readonly domain: string;

  constructor(private readonly deps: EmailIntakeDeps) {
    this.autoReplies = deps.storage.documents('helpdesk-mail-autoreplies');
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
    const ticket = await this.threadOf(mail);
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
    return this.openTicket(mail, sender);
  }

  /** Sends an agent's answer as a reply in the ticket's mail thread. */
  async replyOnTicket(ticket: Ticket, text: string): Promise<DeliveryOutcome> {
    const mail = ticket.email;
    const messageId = newMessageId(this.domain, ticket.id);
    const sent = await this.deps.mailer.send({
      to: ticket.userId,
      subject: this.deps.render('helpdesk/email/reply-subject', { subject: mail?.subject ?? '', ticketId: ticket.id }),
      text: this.deps.render('helpdesk/email/agent-reply', { text, ticketId: ticket.id }),
      messageId,
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
    const ticket = await this.deps.tickets.create({
      channel: 'email',
      userId: sender,
      conversationId: null,
      username,
      description: body,
      topics: [],
      screenshots: images.accepted,
      transcript: [
        { at, from: 'user', text: body, subject: mail.subject, ...(html ? { html } : {}) },
        ...(images.skipped.length > 0 ? [{ at, from: 'system' as const, text: images.skipped.join(', '), event: 'attachments-skipped' }] : []),
      ],
      email: {
        subject: mail.subject,
        messageIds: mail.messageId ? [mail.messageId] : [],
        ...(mail.messageId ? { lastInboundId: mail.messageId } : {}),
      },
    });
    await this.link(mail.messageId, ticket.id, sender);
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
      subject: mail.subject,
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
    return { kind: 'appended', ticketId: ticket.id, reopened };
  }

  /**
   * The ticket a mail continues: by the Message-IDs it answers, else by a ticket number in the
   * subject. Either way the sender must be the ticket's own address; a mail that names someone
   * else's thread (a forged In-Reply-To) is refused the thread and opens its own ticket.
   */
  private async threadOf(mail: InboundMail): Promise<Ticket | undefined> {
    const sender = mail.from?.address ?? '';
    const candidates = [...mail.inReplyTo, ...[...mail.references].reverse()];
    for (const id of candidates) {
      const link = await this.deps.store.mailThreads.get(id);
      if (!link) continue;
      if (link.address === sender) return this.deps.tickets.get(link.ticketId);
      await this.refuseThread(link.ticketId, sender);
      return undefined;
    }
    const tagged = TICKET_TAG.exec(mail.subject)?.[0];
    if (tagged) {
      const ticket = await this.deps.tickets.get(tagged);
      if (ticket?.channel === 'email' && ticket.userId === sender) return ticket;
      if (ticket) await this.refuseThread(ticket.id, sender);
    }
    return undefined;
  }

  private async refuseThread(ticketId: string, sender: string): Promise<void> {
    this.deps.logger.warn({ ticketId, sender }, 'mail names a ticket thread but comes from another address; opening a new ticket');
    await this.deps.audit.record('system', 'mail-thread-refused', ticketId, { sender });
  }

  /** The automatic acknowledgement: ticket number, due date, and what is still missing. */
  private async acknowledge(ticket: Ticket, mail: InboundMail): Promise<boolean> {
    if (!(await this.mayAutoReply(ticket.userId))) {
      this.deps.logger.warn({ ticketId: ticket.id }, 'automatic reply limit reached for this address; not answering');
      return false;
    }
    const messageId = newMessageId(this.domain, ticket.id);
    const missing = this.deps.tickets.missingItems(ticket);
    const sent = await this.deps.mailer.send({
      to: ticket.userId,
      subject: this.deps.render('helpdesk/email/reply-subject', { subject: mail.subject, ticketId: ticket.id }),
      text: this.deps.render('helpdesk/email/acknowledgement', {
        ticketId: ticket.id,
        missing,
        due: ticket.sla.dueAt ? chinaDateTime(ticket.sla.dueAt) : null,
        provisional: ticket.sla.provisional === true,
      }),
      messageId,
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

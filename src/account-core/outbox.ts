import nodemailer from 'nodemailer';
import type { AppendLog, Storage } from '../storage/types.js';
import { defaultRandomBytes, newId, type RandomBytes } from './secrets.js';
import type { OutboxMessage } from './types.js';

/** A message the core wants delivered: an SMS to a phone or an e-mail to an address. */
export interface OutgoingMessage {
  channel: 'sms' | 'email';
  to: string;
  subject?: string;
  body: string;
}

/**
 * Where the core's SMS and e-mail go. The embedded outbox stores them (it is the simulated
 * phone and mailbox, readable by agents and tests); a forwarder also sends e-mail out.
 */
export interface Outbox {
  /** Durable when resolved; rejects when the message could not be accepted. */
  send(message: OutgoingMessage): Promise<OutboxMessage>;
  /** Newest first. */
  list(query?: { limit?: number; recipient?: string }): Promise<OutboxMessage[]>;
}

/** The part of a nodemailer transport we use, described by shape so tests can pass their own. */
export interface MailSender {
  sendMail(mail: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
}

/** Stores every message in an append-only log. */
export function createStoredOutbox(deps: { log: AppendLog<OutboxMessage, 'to'>; clock: () => Date; random?: RandomBytes }): Outbox {
  const random = deps.random ?? defaultRandomBytes;
  return {
    async send(message) {
      const stored: OutboxMessage = {
        id: newId('msg', random),
        channel: message.channel,
        to: message.to,
        ...(message.subject === undefined ? {} : { subject: message.subject }),
        body: message.body,
        createdAt: deps.clock().toISOString(),
      };
      await deps.log.append(stored);
      return stored;
    },
    async list(query = {}) {
      const recipient = query.recipient?.trim().toLowerCase();
      const limit = Math.max(1, Math.min(500, query.limit ?? 50));
      const page = await deps.log.page({ ...(recipient ? { where: { to: recipient } } : {}), limit });
      return page.items;
    },
  };
}

/** The embedded outbox on the project's storage. */
export function createEmbeddedOutbox(storage: Storage, clock: () => Date, random?: RandomBytes): Outbox {
  const log = storage.log<OutboxMessage, 'to'>('core-outbox', { keys: ['to'], index: (message) => ({ to: message.to.toLowerCase() }) });
  return createStoredOutbox({ log, clock, random });
}

/**
 * Records every message in `inner`, then sends e-mail through `mail`. A failed e-mail send
 * rejects, so the core reports the delivery as unavailable instead of claiming success.
 */
export function createMailForwardingOutbox(inner: Outbox, deps: { mail: MailSender; from: string }): Outbox {
  return {
    async send(message) {
      const stored = await inner.send(message);
      if (message.channel === 'email') {
        await deps.mail.sendMail({ from: deps.from, to: message.to, subject: message.subject ?? '', text: message.body });
      }
      return stored;
    },
    list: (query) => inner.list(query),
  };
}

/** A nodemailer transport from an `SMTP_URL` such as `smtp://user:pass@host:587`. */
export function createSmtpMailSender(url: string): MailSender & { close(): void } {
  return nodemailer.createTransport(url);
}

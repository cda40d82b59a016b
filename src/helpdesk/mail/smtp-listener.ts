import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

/** The SMTP envelope of a received message. */
export interface MailEnvelope {
  /** `MAIL FROM`, `null` for the empty return path `<>` (bounces). */
  mailFrom: string | null;
  rcptTo: string[];
  remoteAddress: string;
  /** The name the client gave in EHLO/HELO. */
  helo: string;
}

/** A message the handler will not take now; the client is answered with `responseCode` (e.g. 450: try later). */
export class MailRefusal extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'MailRefusal';
  }
}

export interface SmtpListenerOptions {
  host: string;
  port: number;
  /**
   * Recipient addresses accepted (lower case), each also with a `+tag` (`support+t.<token>@…`,
   * the per-ticket reply address); anything else is refused, so this is no relay.
   */
  acceptAddresses: string[];
  /** Largest message accepted, in bytes. */
  maxBytes: number;
  /** Handles one message. Resolve once it is stored: only then does the sender get `250`. */
  onMessage(raw: Buffer, envelope: MailEnvelope): Promise<void>;
  logger: Logger;
  /** Greeting name. */
  name?: string;
}

export interface SmtpListener {
  port: number;
  close(): Promise<void>;
}

/** Default cap for an inbound message: generous for a few phone screenshots, not for archives. */
export const DEFAULT_MAX_MAIL_BYTES = 15 * 1024 * 1024;

/**
 * Receives mail for the customer-service address over SMTP (no AUTH, no STARTTLS: it is meant
 * for a loopback port behind the organisation's mail relay). A message is acknowledged only
 * after `onMessage` stored it; a failure answers 451 so the relay tries again later.
 */
export async function startSmtpListener(options: SmtpListenerOptions): Promise<SmtpListener> {
  const accepted = new Set(options.acceptAddresses.map((address) => address.toLowerCase()));
  const server = new SMTPServer({
    name: options.name,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSTARTTLS: true,
    size: options.maxBytes,
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error) => void) {
      if (accepted.has(address.address.toLowerCase().replace(/\+[^@]*@/, '@'))) return callback();
      callback(smtpError(550, 'No such mailbox here'));
    },
    onData(stream, session, callback) {
      // Past the limit nothing more is kept: the rest is only read off the socket (SMTP cannot
      // answer before the final dot), so an oversized mail costs no memory beyond `maxBytes`.
      const chunks: Buffer[] = [];
      let received = 0;
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= options.maxBytes) chunks.push(chunk);
        else chunks.length = 0;
      });
      stream.on('error', (error) => callback(error));
      stream.on('end', () => {
        if (received > options.maxBytes || (stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const kept = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
          options.logger.warn({ bytes: received, kept, maxBytes: options.maxBytes }, 'inbound mail refused: too large');
          return callback(smtpError(552, 'Message too large'));
        }
        const mailFrom = session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address || null;
        const envelope: MailEnvelope = {
          mailFrom,
          rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          remoteAddress: session.remoteAddress,
          helo: session.hostNameAppearsAs ?? '',
        };
        options.onMessage(Buffer.concat(chunks), envelope).then(
          () => callback(),
          (error: unknown) => {
            if (error instanceof MailRefusal) return callback(smtpError(error.responseCode, error.message));
            options.logger.error({ err: error }, 'inbound mail could not be stored; asking the sender to retry');
            callback(smtpError(451, 'Temporary failure, try again later'));
          },
        );
      });
    },
  });
  server.on('error', (error) => options.logger.warn({ err: error }, 'smtp listener error'));
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { onTestFinished } from 'vitest';

/** A loopback SMTP server standing in for the outbound relay (SMTP_URL): it keeps what it receives. */
export interface MailSink {
  url: string;
  messages: { envelopeFrom: string | null; to: string[]; raw: Buffer; mail: ParsedMail }[];
}

export async function startMailSink(): Promise<MailSink> {
  const messages: MailSink['messages'] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (mail) => {
            messages.push({
              envelopeFrom: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address,
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              raw,
              mail,
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${port}`, messages };
}

/** A mail client pointed at the help desk's SMTP listener. */
export function mailClient(port: number, localAddress?: string) {
  // `localAddress` picks the loopback address the client connects from (see email-dns.ts).
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    ...(localAddress ? { localAddress } : {}),
  });
  onTestFinished(() => transport.close());
  return transport;
}

/**
 * Speaks SMTP by hand to send a raw message with an explicit envelope, e.g. the empty return
 * path `<>` of a bounce, which ordinary clients will not produce. Resolves with the final reply code.
 */
export async function sendRaw(port: number, envelope: { from: string; to: string[] }, raw: string): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  const waiters: ((line: string) => void)[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const match = /^(\d{3}) .*\r\n/m.exec(buffer);
      if (!match) break;
      buffer = buffer.slice(match.index + match[0].length);
      waiters.shift()?.(match[1]!);
    }
  });
  const reply = () => new Promise<string>((resolve) => waiters.push(resolve));
  const say = async (line: string) => {
    const answer = reply();
    socket.write(`${line}\r\n`);
    return answer;
  };
  await reply();
  await say('EHLO test.local');
  await say(`MAIL FROM:<${envelope.from}>`);
  for (const to of envelope.to) await say(`RCPT TO:<${to}>`);
  await say('DATA');
  const body = raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  const code = await say(`${body}\r\n.`);
  await say('QUIT');
  socket.end();
  return Number(code);
}

import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startSmtpListener } from '../../src/helpdesk/mail/smtp-listener.js';
import { SUPPORT } from './mail-support.js';

/** Speaks SMTP and streams `bytes` of body without announcing a size; resolves with the reply to the final dot. */
async function streamMail(port: number, bytes: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.setEncoding('utf8');
  let buffer = '';
  const waiters: ((line: string) => void)[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let match = /^(\d{3}) .*\r\n/m.exec(buffer); match; match = /^(\d{3}) .*\r\n/m.exec(buffer)) {
      buffer = buffer.slice(match.index + match[0].length);
      waiters.shift()?.(match[0].trim());
    }
  });
  const reply = () => new Promise<string>((resolve) => waiters.push(resolve));
  const say = (line: string) => {
    const answer = reply();
    socket.write(`${line}\r\n`);
    return answer;
  };
  await reply();
  await say('EHLO sender.example.com');
  await say('MAIL FROM:<big@example.com>');
  await say(`RCPT TO:<${SUPPORT}>`);
  await say('DATA');
  socket.write(`From: big@example.com\r\nTo: ${SUPPORT}\r\nSubject: big\r\n\r\n`);
  const line = `${'x'.repeat(998)}\r\n`;
  for (let sent = 0; sent < bytes; sent += line.length) {
    if (!socket.write(line)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  const final = await say('.');
  socket.end();
  return final;
}

/** Issue 10: "A 60 MB mail is buffered whole before the 552." */
describe('an oversized mail', () => {
  it('is refused with 552 after being read off the wire, with nothing of it kept in memory', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) }));
    const received: Buffer[] = [];
    const listener = await startSmtpListener({
      host: '127.0.0.1',
      port: 0,
      acceptAddresses: [SUPPORT],
      maxBytes: 256 * 1024,
      logger,
      onMessage: async (raw) => void received.push(raw),
    });
    onTestFinished(() => listener.close());

    expect(await streamMail(listener.port, 8 * 1024 * 1024)).toMatch(/^552 /);
    expect(received).toEqual([]);
    const refusal = JSON.parse(lines.find((line) => line.includes('too large'))!) as { bytes: number; kept: number };
    expect(refusal.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(refusal.kept).toBe(0);

    // A mail within the limit on the same listener is taken.
    expect(await streamMail(listener.port, 16 * 1024)).toMatch(/^250 /);
    expect(received).toHaveLength(1);
  });
});

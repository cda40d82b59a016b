import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InboundImage, Reply } from '../../conversation/types.js';
import type { Render } from '../../render/renderer.js';
import type { ChatTransport, SendOutcome } from './chat-transport.js';

/** Where the session writes; the terminal keeps the user's half-typed line intact around it. */
export type Print = (text: string) => void;

/** What the caller does after a line. */
export type LineOutcome = 'continue' | 'quit';

interface PendingMessage {
  text?: string;
  image?: InboundImage;
}

/**
 * One terminal conversation: lines in, the assistant's replies and agents' messages out. When
 * the service cannot be reached it says so, keeps the message for `/retry`, and carries on.
 */
export class TerminalSession {
  private unsent: PendingMessage | undefined;
  private connected = true;

  constructor(
    private readonly transport: ChatTransport,
    private readonly render: Render,
    private readonly print: Print,
    private readonly readImage: (file: string) => Promise<Buffer> = (file) => readFile(file),
  ) {}

  async handleLine(raw: string): Promise<LineOutcome> {
    const line = raw.trim();
    if (line === '/quit' || line === '/exit') return 'quit';
    if (line === '') return 'continue';
    if (line === '/retry') {
      if (!this.unsent) this.print(this.render('terminal/nothing-to-retry'));
      else await this.send(this.unsent);
      return 'continue';
    }
    if (line.startsWith('/image ')) {
      const file = line.slice('/image '.length).trim();
      const data = await this.readImage(file).catch(() => undefined);
      if (data) await this.send({ image: { name: path.basename(file), type: '', data } });
      else this.print(this.render('terminal/image-error', { path: file }));
      return 'continue';
    }
    await this.send({ text: line });
    return 'continue';
  }

  /** Shows what agents sent since the last look; tells the user once when the service goes away and when it is back. */
  async showAgentMessages(): Promise<void> {
    const outcome = await this.transport.agentMessages();
    if (!outcome.ok) return this.connectionLost();
    this.connectionBack();
    for (const replies of outcome.messages) this.showReplies(replies, 'terminal/agent');
  }

  private async send(message: PendingMessage): Promise<void> {
    const outcome: SendOutcome = await this.transport.send(message.text, message.image);
    if (outcome.ok) {
      this.unsent = undefined;
      this.connectionBack();
      this.showReplies(outcome.replies, 'terminal/assistant');
      return;
    }
    if (outcome.problem === 'unreachable') {
      this.unsent = message;
      this.connected = false;
      this.print(this.render('terminal/unreachable'));
      return;
    }
    this.unsent = undefined;
    if (outcome.problem === 'failed') this.print(this.render('terminal/failed'));
    else this.print(this.render('terminal/refused', { message: outcome.message }));
  }

  private showReplies(replies: Reply[], label: string): void {
    const prefix = this.render(label);
    for (const reply of replies) this.print(`${prefix}${reply.type === 'text' ? reply.text : reply.url}\n`);
  }

  private connectionLost(): void {
    if (!this.connected) return;
    this.connected = false;
    this.print(this.render('terminal/disconnected'));
  }

  private connectionBack(): void {
    if (this.connected) return;
    this.connected = true;
    this.print(this.render('terminal/reconnected', { unsent: this.unsent !== undefined }));
  }
}

import http from 'node:http';
import { onTestFinished } from 'vitest';

/** One stored message of a page's history, as the page routes answer it. */
export interface PageEntry {
  seq: number;
  at: string;
  from: 'user' | 'assistant' | 'agent';
  replies: { type: string; text?: string; url?: string }[];
  choices?: { id: string; number: number; label: string }[];
}

export const entryText = (entry: PageEntry | undefined) => (entry?.replies ?? []).map((reply) => reply.text ?? reply.url ?? '').join('\n');

/**
 * A browser visitor of the web chat, without a browser: it opens the page (which sets the identity
 * cookie) and then talks through the page's own routes with that cookie, as `chat.js` does.
 */
export class WebVisitor {
  private constructor(
    readonly baseUrl: string,
    /** The `Cookie` header value the page set. */
    readonly cookie: string,
    /** Headers sent with every request, e.g. the proxy's `X-Forwarded-For` naming the visitor's address. */
    private readonly headers: Record<string, string> = {},
  ) {}

  static async opensPage(baseUrl: string, headers: Record<string, string> = {}): Promise<WebVisitor> {
    const page = await fetch(`${baseUrl}/`, { headers });
    const setCookie = page.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0] ?? '';
    if (!cookie) throw new Error('the page set no identity cookie');
    return new WebVisitor(baseUrl, cookie, headers);
  }

  /** The visitor's id as the server issued it (what an attacker would have to learn). */
  get identity(): string {
    const value = decodeURIComponent(this.cookie.slice(this.cookie.indexOf('=') + 1));
    return value.slice(2, value.lastIndexOf('.'));
  }

  async says(text: string, extra: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, any> }> {
    return this.post({ text, ...extra });
  }

  async clicks(choice: { id: string; label: string }) {
    return this.post({ choiceId: choice.id, text: choice.label });
  }

  async sendsImage(image: { name: string; type: string; data: Buffer }) {
    return this.post({ image: { name: image.name, type: image.type, data: image.data.toString('base64') } });
  }

  async post(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.baseUrl}/chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.headers, cookie: this.cookie, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  async history(): Promise<PageEntry[]> {
    const response = await fetch(`${this.baseUrl}/chat/history`, { headers: { cookie: this.cookie } });
    return ((await response.json()) as { entries: PageEntry[] }).entries;
  }

  async updates(after = 0, query = ''): Promise<{ status: number; entries: PageEntry[] }> {
    const response = await fetch(`${this.baseUrl}/chat/updates?after=${after}${query}`, { headers: { cookie: this.cookie } });
    return { status: response.status, entries: ((await response.json()) as { entries: PageEntry[] }).entries ?? [] };
  }

  /** Opens the event stream; resolves once the server answered (status) and closes with the test. */
  openStream(query = ''): Promise<EventStream> {
    return openEventStream(`${this.baseUrl}/chat/events${query}`, { cookie: this.cookie });
  }
}

/** An open server-sent-events connection: its status and the events received so far. */
export interface EventStream {
  status: number;
  events: PageEntry[];
  /** Resolves with the first event whose text contains `text`. */
  next(text: string): Promise<PageEntry>;
  close(): void;
}

export function openEventStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const events: PageEntry[] = [];
      const waiting: { text: string; resolve: (entry: PageEntry) => void }[] = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (!data) continue;
          const entry = JSON.parse(data) as PageEntry;
          events.push(entry);
          for (const waiter of waiting.filter((w) => entryText(entry).includes(w.text))) {
            waiting.splice(waiting.indexOf(waiter), 1);
            waiter.resolve(entry);
          }
        }
      });
      response.on('error', () => undefined);
      const close = () => void request.destroy();
      onTestFinished(close);
      resolve({
        status: response.statusCode ?? 0,
        events,
        next: (text) => {
          const seen = events.find((entry) => entryText(entry).includes(text));
          return seen ? Promise.resolve(seen) : new Promise((done) => waiting.push({ text, resolve: done }));
        },
        close,
      });
    });
    request.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
  });
}

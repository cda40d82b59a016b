import { z } from 'zod';
import type { InboundImage, Reply } from '../../conversation/types.js';
import type { Service } from '../../service.js';

/** What sending one message came to. Failures are values: the terminal says so and carries on. */
export type SendOutcome =
  | { ok: true; replies: Reply[] }
  | { ok: false; problem: 'unreachable' }
  | { ok: false; problem: 'refused'; message: string }
  /** The engine in this process failed on the message (logged here). */
  | { ok: false; problem: 'failed' };

/** Messages agents sent since the last look, or why they could not be fetched. */
export type AgentMessagesOutcome = { ok: true; messages: Reply[][] } | { ok: false; problem: 'unreachable' };

/** How the terminal reaches the assistant: a running service's integration API, or the engine in this process. */
export interface ChatTransport {
  send(text: string | undefined, image?: InboundImage): Promise<SendOutcome>;
  agentMessages(): Promise<AgentMessagesOutcome>;
  close(): Promise<void>;
}

const replySchema = z.union([z.object({ type: z.literal('text'), text: z.string() }), z.object({ type: z.literal('image'), url: z.string() })]);
const turnSchema = z.object({ replies: z.array(replySchema) });
const errorSchema = z.object({ error: z.string() });
const messagesSchema = z.object({ messages: z.array(z.object({ seq: z.number(), replies: z.array(replySchema) })) });

/** How long one call may take before the service counts as unreachable. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * The integration chat API of a running service (`POST /api/chat`, `GET /api/chat/messages`), as a
 * trusted caller with CHAT_API_TOKEN. A service that stops answering is a value, never a crash.
 */
export class RemoteChat implements ChatTransport {
  private lastSeq = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly userId: string,
  ) {}

  async send(text: string | undefined, image?: InboundImage): Promise<SendOutcome> {
    const body = { userId: this.userId, text, image: image && { name: image.name, type: image.type, data: image.data.toString('base64') } };
    const response = await this.call('/api/chat', { method: 'POST', body: JSON.stringify(body) });
    if (!response) return { ok: false, problem: 'unreachable' };
    const payload: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const error = errorSchema.safeParse(payload);
      return { ok: false, problem: 'refused', message: error.success ? error.data.error : String(response.status) };
    }
    const turn = turnSchema.safeParse(payload);
    return turn.success ? { ok: true, replies: turn.data.replies } : { ok: false, problem: 'refused', message: String(response.status) };
  }

  async agentMessages(): Promise<AgentMessagesOutcome> {
    const query = new URLSearchParams({ userId: this.userId, after: String(this.lastSeq) });
    const response = await this.call(`/api/chat/messages?${query}`, { method: 'GET' });
    if (!response) return { ok: false, problem: 'unreachable' };
    const parsed = messagesSchema.safeParse(await response.json().catch(() => undefined));
    if (!response.ok || !parsed.success) return { ok: true, messages: [] };
    for (const message of parsed.data.messages) this.lastSeq = Math.max(this.lastSeq, message.seq);
    return { ok: true, messages: parsed.data.messages.map((message) => message.replies) };
  }

  async close(): Promise<void> {}

  /** The response, or `undefined` when the service could not be reached (refused, reset, timed out). */
  private async call(path: string, init: RequestInit): Promise<Response | undefined> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        ...init,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch {
      return undefined;
    }
  }
}

/**
 * The assistant in this process, when no service is running. Messages an agent sends to a
 * terminal user (through the help desk's delivery) are queued here and shown at the next look.
 */
export class InProcessChat implements ChatTransport {
  private pending: Reply[][] = [];

  constructor(
    private readonly service: Service,
    private readonly userId: string,
  ) {
    service.context.delivery.register('terminal', async (_userId, replies) => void this.pending.push(replies));
  }

  async send(text: string | undefined, image?: InboundImage): Promise<SendOutcome> {
    try {
      const result = await this.service.assistant.handle({ channel: 'terminal', userId: this.userId, text, image });
      return { ok: true, replies: result.replies };
    } catch (error) {
      this.service.context.logger.error({ err: error }, 'terminal turn failed');
      return { ok: false, problem: 'failed' };
    }
  }

  async agentMessages(): Promise<AgentMessagesOutcome> {
    const messages = this.pending;
    this.pending = [];
    return { ok: true, messages };
  }

  close(): Promise<void> {
    return this.service.close();
  }
}

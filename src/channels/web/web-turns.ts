import type { Assistant } from '../../conversation/assistant.js';
import type { ConversationState, InboundImage, Reply, TurnResult } from '../../conversation/types.js';
import { redactSensitive } from '../../privacy/mask.js';
import type { Render } from '../../render/renderer.js';
import { KeyedMutex } from '../../storage/keyed-mutex.js';
import type { ChatMessageBody } from './chat-request.js';
import { inboundMessage } from './chat-request.js';
import type { ChatEntry, WebChatHistory } from './chat-history.js';

export interface WebTurnsDeps {
  assistant: Assistant;
  history: WebChatHistory;
  render: Render;
  clock: () => Date;
  /** The stored conversation of a web user, to show their message as the record keeps it. */
  conversationOf(userId: string): Promise<ConversationState | undefined>;
}

/** One page message and what it produced. */
export interface WebTurn {
  result: TurnResult;
  /** The user's message and the assistant's answer, as stored in the page history. */
  entries: ChatEntry[];
}

/**
 * A web page's turn: the assistant answers, and the page history records both sides. Turns of
 * one visitor run one at a time, so the history keeps their order.
 */
export class WebTurns {
  private readonly running = new KeyedMutex();

  constructor(private readonly deps: WebTurnsDeps) {}

  take(userId: string, body: ChatMessageBody, image: InboundImage | undefined, clientAddress?: string): Promise<WebTurn> {
    return this.running.run(userId, async () => {
      const started = this.deps.clock().toISOString();
      const result = await this.deps.assistant.handle(inboundMessage(userId, body, image, true, clientAddress));
      const userLine = await this.userLine(userId, started, body, image);
      const at = this.deps.clock().toISOString();
      const [userEntry, answerEntry] = await this.deps.history.append(userId, [
        { at: started, from: 'user', replies: [{ type: 'text', text: userLine }] },
        { at, from: 'assistant', replies: result.replies.map(redactedReply), choices: result.choices },
      ]);
      // The page sees the answer as given (a one-time link stays usable); the history keeps it redacted.
      return { result, entries: [userEntry!, { ...answerEntry!, replies: result.replies }] };
    });
  }

  /**
   * The user's message as the conversation record has it (redacted, a secret answer replaced by a
   * placeholder), so the page history never keeps more than the record does.
   */
  private async userLine(userId: string, since: string, body: ChatMessageBody, image: InboundImage | undefined): Promise<string> {
    const conversation = await this.deps.conversationOf(userId);
    const recorded = conversation?.history.findLast((entry) => entry.from === 'user');
    if (recorded && recorded.at >= since) return recorded.text;
    if (body.text?.trim()) return redactSensitive(body.text.trim());
    return image ? this.deps.render('chat/history-image') : '';
  }
}

/** One-time link tokens (and any number an answer might carry) are not kept at rest. */
function redactedReply(reply: Reply): Reply {
  return reply.type === 'text' ? { type: 'text', text: redactSensitive(reply.text) } : reply;
}

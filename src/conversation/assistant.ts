import type { Logger } from 'pino';
import type { DocumentStore } from '../storage/types.js';
import { InProcessLock, type ConversationLock } from '../coordination/keyed-lock.js';
import { conversationIdOf, handleTurn, newConversation, type EngineDeps } from './engine.js';
import type { ConversationState, InboundMessage, TurnResult } from './types.js';

/** The one entry point every channel calls. */
export interface Assistant {
  /** Handles one message: loads the user's state, runs the turn, stores the new state. */
  handle(message: InboundMessage): Promise<TurnResult>;
  /** Reads or changes a conversation outside a turn (e.g. when an agent closes its ticket). */
  updateConversation(
    conversationId: string,
    change: (state: ConversationState | undefined) => ConversationState | undefined,
  ): Promise<ConversationState | undefined>;
}

export interface AssistantDeps extends EngineDeps {
  sessions: DocumentStore<ConversationState>;
  clock?: () => Date;
  logger?: Logger;
  /** Turns of one conversation run one at a time; across instances when this lock is shared (Redis). */
  conversationLock?: ConversationLock;
  /** Told how long each turn waited for its conversation's lock (metrics). */
  onLockWait?(seconds: number): void;
  /** Told after each stored turn (the console's daily conversation counts). */
  onTurn?(turn: TurnNotice): void;
}

/** A turn that happened: which conversation, on which channel, when. */
export interface TurnNotice {
  conversationId: string;
  channel: InboundMessage['channel'];
  at: Date;
}

/**
 * Wraps the engine with persistence. Turns of one conversation run one at a time, so two
 * messages sent in quick succession never overwrite each other's state.
 */
export function createAssistant(deps: AssistantDeps): Assistant {
  const turns = deps.conversationLock ?? new InProcessLock();
  const clock = deps.clock ?? (() => new Date());
  return {
    handle(message) {
      const conversationId = conversationIdOf(message);
      const asked = process.hrtime.bigint();
      return turns.run(conversationId, async () => {
        const started = process.hrtime.bigint();
        deps.onLockWait?.(Number(started - asked) / 1e9);
        const now = clock();
        const state = (await deps.sessions.get(conversationId)) ?? newConversation(message, now);
        const { state: next, result } = await handleTurn(state, message, deps, now);
        await deps.sessions.put(conversationId, next);
        deps.onTurn?.({ conversationId, channel: message.channel, at: now });
        deps.logger?.debug(
          { channel: message.channel, topic: result.topic, flow: result.flow, ms: Number(process.hrtime.bigint() - started) / 1e6 },
          'turn',
        );
        return result;
      });
    },
    updateConversation(conversationId, change) {
      return turns.run(conversationId, () => deps.sessions.update(conversationId, change));
    },
  };
}

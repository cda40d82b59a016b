import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebChatHistory } from '../../../src/channels/web/chat-history.js';
import { WebTurns } from '../../../src/channels/web/web-turns.js';
import { projectRoot } from '../../../src/config.js';
import type { Assistant } from '../../../src/conversation/assistant.js';
import type { InboundMessage, TurnResult } from '../../../src/conversation/types.js';
import { createTextRenderer } from '../../../src/render/renderer.js';
import { createMemoryStorage } from '../../../src/storage/memory-storage.js';

const render = createTextRenderer(path.join(projectRoot, 'templates'));
const RESET_LINK = 'http://localhost:3000/core/reset/Zq3k9VbX2mT7pL0sR4wY';

/** An assistant that answers every message with a one-time reset link, and records what it was sent. */
function assistantWithResetLink(received: InboundMessage[]): Assistant {
  return {
    async handle(message) {
      received.push(message);
      const result: TurnResult = {
        replies: [{ type: 'text', text: `请打开下面的链接设置新密码：\n${RESET_LINK}` }],
        topic: null,
        flow: null,
        choices: [],
      };
      return result;
    },
    async updateConversation() {
      return undefined;
    },
  };
}

describe('a web page turn', () => {
  it('shows the answer as given but keeps the one-time link and the user’s code out of the stored history', async () => {
    const received: InboundMessage[] = [];
    const history = new WebChatHistory(createMemoryStorage().documents('web-chat-history'));
    const turns = new WebTurns({
      assistant: assistantWithResetLink(received),
      history,
      render,
      clock: () => new Date('2026-09-01T02:30:00.000Z'),
      conversationOf: async () => undefined,
    });

    const turn = await turns.take('visitor-1', { text: '验证码是 123456' }, undefined);

    expect(received[0]).toMatchObject({ channel: 'web', userId: 'visitor-1', text: '验证码是 123456', choicesAsButtons: true });
    expect(turn.entries[1]!.replies).toEqual([{ type: 'text', text: `请打开下面的链接设置新密码：\n${RESET_LINK}` }]);
    const stored = JSON.stringify(await history.all('visitor-1'));
    expect(stored).not.toContain('Zq3k9VbX2mT7pL0sR4wY');
    expect(stored).toContain('/core/reset/***');
    expect(stored).not.toContain('123456');
  });
});

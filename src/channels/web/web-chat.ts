import path from 'node:path';
import express from 'express';
import { projectRoot } from '../../config.js';
import type { Assistant } from '../../conversation/assistant.js';
import { conversationIdOf } from '../../conversation/engine.js';
import type { ConversationState } from '../../conversation/types.js';
import type { ServiceContext } from '../../feature-module.js';
import type { DocumentStore } from '../../storage/types.js';
import { WebChatHistory } from './chat-history.js';
import { createIntegrationApi } from './integration-api.js';
import { createPageRouter } from './page-router.js';
import { UploadQuota, type FreeSpace } from './upload-quota.js';
import { loadIdentitySecret, WebIdentities } from './web-identity.js';
import { WebTurns } from './web-turns.js';

/** The 学信网 site: its links in answers are clickable on the page, like our own. */
const CHSI_HOST = 'chsi.com.cn';

export interface WebChatOptions {
  context: ServiceContext;
  assistant: Assistant;
  /** The conversation store the assistant keeps. */
  sessions: DocumentStore<ConversationState>;
  history: WebChatHistory;
  /** Free disk under DATA_DIR (tests pretend a full disk). */
  freeSpace?: FreeSpace;
}

/** The web page's history store; created before the assistant, since agent replies are delivered into it. */
export function createWebChatHistory(context: ServiceContext): WebChatHistory {
  const history = new WebChatHistory(context.storage.documents('web-chat-history'), context.coordination?.bus, () =>
    context.logger.warn({ store: 'web-chat-history' }, 'a page history did not parse; that visitor starts with an empty one'),
  );
  context.delivery.register('web', async (userId, replies) => void (await history.pushAgentMessage(userId, replies, context.clock())));
  return history;
}

/**
 * Everything the web channel serves: the chat page with its cookie-bound routes, the
 * integration chat API, and the page's static files (including the image compressor's browser build).
 */
export async function createWebChat(options: WebChatOptions): Promise<express.Router> {
  const { context, assistant, history } = options;
  const { config } = context;
  const limits = context.rateLimits;
  const uploads = new UploadQuota(limits, config.dataDir, options.freeSpace);
  const secret = await loadIdentitySecret(config.sessionSecret, context.storage.documents('web-secrets'));
  const identities = new WebIdentities(secret, config.publicUrl.startsWith('https://'));
  const turns = new WebTurns({
    assistant,
    history,
    render: context.render,
    clock: context.clock,
    conversationOf: (userId) => options.sessions.get(conversationIdOf({ channel: 'web', userId })),
  });

  const router = express.Router();
  const staticOptions = { maxAge: '1h', index: false } as const;
  router.use('/static/vendor', express.static(path.join(projectRoot, 'node_modules', 'browser-image-compression', 'dist'), staticOptions));
  router.use('/static', express.static(path.join(projectRoot, 'src', 'channels', 'web', 'public'), staticOptions));
  router.use(
    createPageRouter({
      identities,
      history,
      turns,
      limits,
      uploads,
      render: context.render,
      pages: context.pages,
      linkHosts: [CHSI_HOST, new URL(config.publicUrl).host],
      streamSlots: context.coordination?.streamSlots,
    }),
  );
  router.use(createIntegrationApi({ assistant, history, limits, uploads, render: context.render, token: config.chatApiToken }));
  return router;
}

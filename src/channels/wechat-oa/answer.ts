import type { Logger } from 'pino';
import type { Assistant } from '../../conversation/assistant.js';
import type { InboundImage, Reply } from '../../conversation/types.js';
import type { Render } from '../../render/renderer.js';
import type { WechatApi } from './api-client.js';
import type { HeldMessageBox } from './held-messages.js';
import type { WechatInbound } from './inbound-message.js';
import { splitByBytes } from './split-text.js';

export interface AnswerDeps {
  assistant: Pick<Assistant, 'handle'>;
  render: Render;
  held: HeldMessageBox;
  /** Absent when no AppSecret is configured: images cannot be downloaded then. */
  api?: Pick<WechatApi, 'downloadMedia'>;
  /** Titles of the common topics listed in the welcome message. */
  welcomeTopics: () => string[];
  logger: Logger;
}

/**
 * What to say to one inbound message, as WeChat-sized text parts (empty: say nothing). Messages
 * held after error 45015 come first: the user is back inside the 48-hour window.
 */
export async function answerInbound(message: WechatInbound, deps: AnswerDeps): Promise<string[]> {
  if (message.kind === 'event') return [];
  const held = await deps.held.take(message.openid);
  let text: string;
  try {
    text = await answerText(message, deps);
  } catch (error) {
    deps.logger.error({ err: error, kind: message.kind }, 'wechat message could not be answered');
    text = deps.render('wechat/internal-error');
  }
  return [...held, ...splitByBytes(text)];
}

async function answerText(message: Exclude<WechatInbound, { kind: 'event' }>, deps: AnswerDeps): Promise<string> {
  switch (message.kind) {
    case 'subscribe':
      return deps.render('wechat/welcome', { topics: deps.welcomeTopics() });
    case 'unsupported':
      return deps.render('wechat/unsupported', { msgType: message.msgType });
    case 'text': {
      const result = await deps.assistant.handle({ channel: 'wechat', userId: message.openid, text: message.text });
      return repliesToText(result.replies, deps.render);
    }
    case 'image': {
      const image = await downloadImage(message.mediaId, deps);
      if (!image) return deps.render('wechat/image-failed');
      const result = await deps.assistant.handle({ channel: 'wechat', userId: message.openid, image });
      return repliesToText(result.replies, deps.render);
    }
  }
}

async function downloadImage(mediaId: string, deps: AnswerDeps): Promise<InboundImage | undefined> {
  if (!deps.api) {
    deps.logger.warn('wechat image received but WECHAT_APPID/WECHAT_APPSECRET are not set; cannot download it');
    return undefined;
  }
  try {
    return await deps.api.downloadMedia(mediaId);
  } catch (error) {
    deps.logger.warn({ err: error }, 'wechat image download failed');
    return undefined;
  }
}

/** The engine's replies as one WeChat text: paragraphs in order, images as links. */
export function repliesToText(replies: Reply[], render: Render): string {
  return replies
    .map((reply) => (reply.type === 'text' ? reply.text : render('wechat/image-link', { url: reply.url })))
    .filter((text) => text.trim() !== '')
    .join('\n\n');
}

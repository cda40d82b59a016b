import type { Logger } from 'pino';
import type { Assistant } from '../../conversation/assistant.js';
import type { ChoiceAction, ChoiceView, InboundImage, InboundMessage, Reply, TurnResult } from '../../conversation/types.js';
import type { Render } from '../../render/renderer.js';
import type { WechatApi } from './api-client.js';
import { actionOfEventKey } from './custom-menu.js';
import type { HeldMessageBox } from './held-messages.js';
import type { WechatInbound } from './inbound-message.js';
import { splitByBytes } from './split-text.js';

export interface AnswerDeps {
  assistant: Pick<Assistant, 'handle'>;
  render: Render;
  held: HeldMessageBox;
  /** Absent when no AppSecret is configured: images cannot be downloaded then, and choices go as numbered text. */
  api?: Pick<WechatApi, 'downloadMedia' | 'sendMenu' | 'sendText'>;
  /** Titles of the common topics listed in the welcome message. */
  welcomeTopics: () => string[];
  /** The custom-menu button name of a CLICK key, kept in the conversation record as what the user "said". */
  menuButtonName: (eventKey: string) => string | undefined;
  logger: Logger;
}

/** msgmenu items longer than this are cut: WeChat shows them as one tappable line. */
const MENU_ITEM_MAX = 60;

/**
 * What to say to one inbound message, as WeChat-sized text parts (empty: say nothing). Messages
 * held after error 45015 come first: the user is back inside the 48-hour window. When the answer
 * offers choices and the customer-service API is available, the answer goes out as a `msgmenu`
 * (each option tappable, carrying its id) and nothing is said passively.
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
  const ask = (input: Omit<InboundMessage, 'channel' | 'userId' | 'choicesAsButtons'>) =>
    askAssistant(message.openid, { ...input, choicesAsButtons: Boolean(deps.api) }, deps);
  switch (message.kind) {
    case 'subscribe':
      return deps.render('wechat/welcome', { topics: deps.welcomeTopics() });
    case 'unsupported':
      return deps.render('wechat/unsupported', { msgType: message.msgType });
    case 'menu-click': {
      const action: ChoiceAction | undefined = actionOfEventKey(message.eventKey);
      if (!action) return deps.render('wechat/menu-unknown');
      return ask({ text: deps.menuButtonName(message.eventKey) ?? '', action });
    }
    case 'text':
      return ask(message.choiceId ? { text: message.text, choiceId: message.choiceId } : { text: message.text });
    case 'image': {
      const image = await downloadImage(message.mediaId, deps);
      if (!image) return deps.render('wechat/image-failed');
      return ask({ image });
    }
  }
}

/** Runs the turn; choices go out as a tappable msgmenu when possible, else as numbered lines. */
async function askAssistant(openid: string, input: Omit<InboundMessage, 'channel' | 'userId'>, deps: AnswerDeps): Promise<string> {
  const result: TurnResult = await deps.assistant.handle({ channel: 'wechat', userId: openid, ...input });
  const text = repliesToText(result.replies, deps.render);
  if (result.choices.length === 0 || !input.choicesAsButtons || !deps.api) return text;
  try {
    await sendChoiceMenu(openid, text, result.choices, deps.api);
    return '';
  } catch (error) {
    deps.logger.warn({ err: error }, 'wechat msgmenu could not be sent; choices go as numbered text');
    return [text, deps.render('chat/choices', { choices: result.choices })].filter(Boolean).join('\n');
  }
}

/** The text before the options goes as the menu's head; a text too long for one message goes first on its own. */
async function sendChoiceMenu(openid: string, text: string, choices: ChoiceView[], api: Pick<WechatApi, 'sendMenu' | 'sendText'>): Promise<void> {
  const parts = splitByBytes(text, 1500);
  const head = parts.pop() ?? '';
  for (const part of parts) await api.sendText(openid, part);
  await api.sendMenu(openid, {
    head,
    items: choices.map((choice) => ({ id: choice.id, content: `${choice.number}. ${choice.label}`.slice(0, MENU_ITEM_MAX) })),
  });
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

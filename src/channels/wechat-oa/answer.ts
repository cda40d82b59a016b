import type { Logger } from 'pino';
import type { Assistant } from '../../conversation/assistant.js';
import type { ChoiceAction, ChoiceView, InboundImage, InboundMessage, Reply, TurnResult } from '../../conversation/types.js';
import type { Render } from '../../render/renderer.js';
import type { WechatApi } from './api-client.js';
import { actionOfEventKey } from './custom-menu.js';
import type { HeldMessageBox } from './held-messages.js';
import type { WechatInbound } from './inbound-message.js';
import type { MenuPart, OutboundPart } from './outbound-part.js';
import { splitByBytes, WECHAT_TEXT_LIMIT_BYTES } from './split-text.js';

export interface AnswerDeps {
  assistant: Pick<Assistant, 'handle'>;
  render: Render;
  held: HeldMessageBox;
  /** Absent when no AppSecret is configured: images cannot be downloaded then. */
  api?: Pick<WechatApi, 'downloadMedia'>;
  /** Titles of the common topics listed in the welcome message. */
  welcomeTopics: () => string[];
  /** The custom-menu button name of a CLICK key, kept in the conversation record as what the user "said". */
  menuButtonName: (eventKey: string) => string | undefined;
  logger: Logger;
}

/** msgmenu items longer than this are cut: WeChat shows them as one tappable line. */
const MENU_ITEM_MAX = 60;

/**
 * What to say to one inbound message, as WeChat-sized parts (empty: say nothing). Messages held
 * after error 45015 come first: the user is back inside the 48-hour window. An answer with options
 * ends in a {@link MenuPart}: numbered lines in a passive reply, tappable `msgmenu` items (carrying
 * each option's id) when it goes through the customer-service API.
 */
export async function answerInbound(message: WechatInbound, deps: AnswerDeps): Promise<OutboundPart[]> {
  if (message.kind === 'event') return [];
  const held = await deps.held.take(message.openid);
  let parts: OutboundPart[];
  try {
    parts = await answerParts(message, deps);
  } catch (error) {
    deps.logger.error({ err: error, kind: message.kind }, 'wechat message could not be answered');
    parts = splitByBytes(deps.render('wechat/internal-error'));
  }
  return [...held, ...parts];
}

async function answerParts(message: Exclude<WechatInbound, { kind: 'event' }>, deps: AnswerDeps): Promise<OutboundPart[]> {
  const ask = (input: Omit<InboundMessage, 'channel' | 'userId'>) => askAssistant(message.openid, input, deps);
  switch (message.kind) {
    case 'subscribe':
      return splitByBytes(deps.render('wechat/welcome', { topics: deps.welcomeTopics() }));
    case 'unsupported':
      return splitByBytes(deps.render('wechat/unsupported', { msgType: message.msgType }));
    case 'menu-click': {
      // Only keys of the menu we publish count: an old or made-up key starts nothing.
      const buttonName = deps.menuButtonName(message.eventKey);
      const action: ChoiceAction | undefined = buttonName === undefined ? undefined : actionOfEventKey(message.eventKey);
      if (!action) return splitByBytes(deps.render('wechat/menu-unknown'));
      return ask({ text: buttonName, action });
    }
    case 'text':
      return ask(message.choiceId ? { text: message.text, choiceId: message.choiceId } : { text: message.text });
    case 'image': {
      const image = await downloadImage(message.mediaId, deps);
      if (!image) return splitByBytes(deps.render('wechat/image-failed'));
      return ask({ image });
    }
  }
}

/**
 * Runs the turn and lays the answer out as parts. The engine writes the options as numbered lines
 * (right for a passive reply, and a typed number still works after a tap); the menu form takes
 * them off the end of the text and offers them as tappable items instead.
 */
async function askAssistant(openid: string, input: Omit<InboundMessage, 'channel' | 'userId'>, deps: AnswerDeps): Promise<OutboundPart[]> {
  const result: TurnResult = await deps.assistant.handle({ channel: 'wechat', userId: openid, ...input });
  const text = repliesToText(result.replies, deps.render);
  if (result.choices.length === 0) return splitByBytes(text);
  const numbered = deps.render('chat/choices', { choices: result.choices }).trim();
  const head = text.endsWith(numbered) ? text.slice(0, text.length - numbered.length).trimEnd() : text;
  const parts = splitByBytes(head);
  const last = parts.pop() ?? '';
  const menu: MenuPart = {
    kind: 'menu',
    head: last,
    items: result.choices.map((choice: ChoiceView) => ({ id: choice.id, content: `${choice.number}. ${choice.label}`.slice(0, MENU_ITEM_MAX) })),
    text: [last, numbered].filter(Boolean).join('\n'),
  };
  return [...parts, ...splitMenuText(menu)];
}

/** A head too long to carry its numbered lines in one message sends the head alone first. */
function splitMenuText(menu: MenuPart): OutboundPart[] {
  if (Buffer.byteLength(menu.text, 'utf8') <= WECHAT_TEXT_LIMIT_BYTES) return [menu];
  const numbered = menu.text.slice(menu.head.length + 1);
  return [...splitByBytes(menu.head), { ...menu, head: '', text: numbered }];
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

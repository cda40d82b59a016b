import type { Logger } from 'pino';
import type { ContactInterface, MessageInterface } from 'wechaty/impls';
import * as PUPPET_TYPES from 'wechaty-puppet/types';
import type { Assistant } from '../../conversation/assistant.js';
import type { InboundImage } from '../../conversation/types.js';
import type { Render } from '../../render/renderer.js';
import { repliesToText } from '../wechat-oa/answer.js';

/** A Wechaty message reduced to plain data: all the engine-facing code ever sees of the puppet. */
export type WechatyInbound =
  | { kind: 'text'; contactId: string; text: string }
  | { kind: 'image'; contactId: string; image: InboundImage }
  /** The image could not be read, or was larger than we accept. */
  | { kind: 'image-failed'; contactId: string }
  | { kind: 'unsupported'; contactId: string; msgType: string }
  /** Someone @-mentioned the bot in a group. */
  | { kind: 'room-mention' }
  /** Our own messages, group chatter without a mention, official accounts, system notices. */
  | { kind: 'ignored' };

const MessageType = PUPPET_TYPES.Message;
const ContactType = PUPPET_TYPES.Contact;

/** The same limit as the web chat's uploads. */
export const MAX_WECHATY_IMAGE_BYTES = 5 * 1024 * 1024;
const MAX_TEXT = 2000;

/** What the template calls each message type it explains it cannot handle. */
const TYPE_NAMES: Partial<Record<PUPPET_TYPES.Message, string>> = {
  [MessageType.Audio]: 'voice',
  [MessageType.Video]: 'video',
  [MessageType.Location]: 'location',
  [MessageType.Url]: 'link',
  [MessageType.Attachment]: 'file',
  [MessageType.Emoticon]: 'emoticon',
  [MessageType.Contact]: 'contact',
  [MessageType.MiniProgram]: 'miniprogram',
};

/**
 * Reads one Wechaty message. Policy: our own messages are ignored; in groups only messages that
 * @-mention the bot count, and they get a pointer to a private chat (account questions involve
 * personal data that must not be discussed in a group); official accounts are ignored.
 */
export async function readWechatyMessage(message: MessageInterface, maxImageBytes = MAX_WECHATY_IMAGE_BYTES): Promise<WechatyInbound> {
  if (message.self()) return { kind: 'ignored' };
  if (message.room()) return (await message.mentionSelf()) ? { kind: 'room-mention' } : { kind: 'ignored' };
  const talker = message.talker();
  if (talker.type() === ContactType.Official || talker.type() === ContactType.Corporation) return { kind: 'ignored' };
  const contactId = talker.id;
  const type = message.type();
  if (type === MessageType.Text) return { kind: 'text', contactId, text: message.text().slice(0, MAX_TEXT) };
  if (type === MessageType.Image) {
    try {
      const fileBox = await message.toFileBox();
      const data = await fileBox.toBuffer();
      if (data.length === 0 || data.length > maxImageBytes) return { kind: 'image-failed', contactId };
      return {
        kind: 'image',
        contactId,
        image: { name: fileBox.name || 'wechaty-image', type: fileBox.mediaType || 'application/octet-stream', data },
      };
    } catch {
      return { kind: 'image-failed', contactId };
    }
  }
  if (type === MessageType.Unknown || type === MessageType.Recalled || type === MessageType.GroupNote) return { kind: 'ignored' };
  return { kind: 'unsupported', contactId, msgType: TYPE_NAMES[type] ?? 'other' };
}

export interface WechatyBridgeDeps {
  assistant: Pick<Assistant, 'handle'>;
  render: Render;
  logger: Logger;
  maxImageBytes?: number;
}

/** Answers one Wechaty message through the engine: one conversation per contact (userId = contact id). */
export async function answerWechatyMessage(message: MessageInterface, deps: WechatyBridgeDeps): Promise<void> {
  const inbound = await readWechatyMessage(message, deps.maxImageBytes);
  switch (inbound.kind) {
    case 'ignored':
      return;
    case 'room-mention':
      await message.room()?.say(deps.render('wechat/room-private'), message.talker());
      return;
    case 'image-failed':
      await message.talker().say(deps.render('wechat/image-failed'));
      return;
    case 'unsupported':
      await message.talker().say(deps.render('wechat/unsupported', { msgType: inbound.msgType }));
      return;
    case 'text':
    case 'image': {
      const result = await deps.assistant.handle({
        channel: 'wechaty',
        userId: inbound.contactId,
        ...(inbound.kind === 'text' ? { text: inbound.text } : { image: inbound.image }),
      });
      await say(message.talker(), repliesToText(result.replies, deps.render));
      return;
    }
  }
}

/** Sends text to a contact; personal WeChat takes long texts, so there is no splitting here. */
export async function say(contact: ContactInterface, text: string): Promise<void> {
  if (text.trim() !== '') await contact.say(text);
}

import { XmlRejected, type XmlFields } from './xml.js';

interface Envelope {
  /** The user's openid (`FromUserName`). */
  openid: string;
  /** Our account's original id (`ToUserName`), echoed back as the sender of passive replies. */
  account: string;
  /** Seconds since the epoch, as WeChat stamped the message. */
  createTime: number;
}

/** One pushed message or event, translated from WeChat's XML into plain data. */
export type WechatInbound =
  /** `choiceId`: the msgmenu item the user tapped (`bizmsgmenuid`), when the text came from one. */
  | (Envelope & { kind: 'text'; msgId: string; text: string; choiceId?: string })
  | (Envelope & { kind: 'image'; msgId: string; mediaId: string })
  | (Envelope & { kind: 'subscribe' })
  /** A CLICK button of the custom menu; `eventKey` is the key we published for it. */
  | (Envelope & { kind: 'menu-click'; eventKey: string })
  /** Events that need no answer (unsubscribe, menu views, template-message receipts...). */
  | (Envelope & { kind: 'event'; event: string })
  /** Voice without recognition, video, location, link, file, ...: answered with a polite text. */
  | (Envelope & { kind: 'unsupported'; msgId: string | null; msgType: string });

const OPENID = /^[A-Za-z0-9_-]{1,64}$/;
const ACCOUNT = /^[A-Za-z0-9_@.-]{1,64}$/;
/** Longer input is cut: nothing we answer needs more, and the engine should not see megabytes. */
export const MAX_INBOUND_TEXT = 2000;

/** Reads the fields every message has, then what its type needs. Throws XmlRejected('shape') when they are missing. */
export function toWechatInbound(fields: XmlFields): WechatInbound {
  const openid = fields.FromUserName ?? '';
  const account = fields.ToUserName ?? '';
  const createTime = Number(fields.CreateTime);
  const msgType = (fields.MsgType ?? '').toLowerCase();
  if (!OPENID.test(openid) || !ACCOUNT.test(account) || !Number.isSafeInteger(createTime) || createTime <= 0 || !msgType) {
    throw new XmlRejected('shape');
  }
  const envelope: Envelope = { openid, account, createTime };
  const msgId = fields.MsgId && /^\d{1,32}$/.test(fields.MsgId) ? fields.MsgId : null;

  if (msgType === 'event') {
    const event = (fields.Event ?? '').toLowerCase();
    if (event === 'subscribe') return { ...envelope, kind: 'subscribe' };
    if (event === 'click' && fields.EventKey && /^[\x21-\x7e]{1,128}$/.test(fields.EventKey))
      return { ...envelope, kind: 'menu-click', eventKey: fields.EventKey };
    return { ...envelope, kind: 'event', event };
  }
  if (!msgId) throw new XmlRejected('shape');
  if (msgType === 'text') {
    const text = (fields.Content ?? '').slice(0, MAX_INBOUND_TEXT);
    const choiceId = fields.bizmsgmenuid && /^[A-Za-z0-9_-]{1,64}$/.test(fields.bizmsgmenuid) ? fields.bizmsgmenuid : undefined;
    return choiceId ? { ...envelope, kind: 'text', msgId, text, choiceId } : { ...envelope, kind: 'text', msgId, text };
  }
  if (msgType === 'image' && fields.MediaId) return { ...envelope, kind: 'image', msgId, mediaId: fields.MediaId };
  // With speech recognition enabled in the admin console, WeChat sends the transcript along.
  if (msgType === 'voice' && fields.Recognition?.trim()) {
    return { ...envelope, kind: 'text', msgId, text: fields.Recognition.trim().slice(0, MAX_INBOUND_TEXT) };
  }
  return { ...envelope, kind: 'unsupported', msgId, msgType };
}

/**
 * The identity WeChat's retries share: the MsgId for messages, FromUserName + CreateTime for
 * events (which have no MsgId).
 */
export function deliveryKey(message: WechatInbound): string {
  const msgId = 'msgId' in message ? message.msgId : null;
  return msgId ? `msg-${msgId}` : `event-${message.openid}-${message.createTime}`;
}

import { redactSensitive } from '../../privacy/mask.js';

/** Longest subject kept on a ticket or shown anywhere. */
const MAX_SUBJECT_CHARS = 120;

const REPLY_PREFIX = /^\s*(?:(?:re|fw|fwd|aw|sv|antw|答复|回复|回覆|转发|轉發)\s*(?:\[\d+\])?\s*[:：]\s*)+/i;
const TICKET_TAG = /\[?\s*工单\s*T\d{12}\s*\]?/g;

/**
 * A subject as stored and shown: control characters and line breaks gone, every phone, ID
 * number, code and address masked, clipped. Mail subjects are the sender's words, so nothing
 * goes anywhere without passing here.
 */
export function safeSubject(subject: string): string {
  const plain = subject.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
  const redacted = redactSensitive(plain);
  return redacted.length > MAX_SUBJECT_CHARS ? `${redacted.slice(0, MAX_SUBJECT_CHARS)}…` : redacted;
}

/**
 * The subject with reply and forward prefixes (Re:, 回复:, 答复:, Fwd:, 转发: ...) and our ticket
 * tag taken off, spaces collapsed and letters lower-cased: two mails of one thread compare equal.
 */
export function threadSubjectKey(subject: string): string {
  let key = subject.normalize('NFKC').replace(TICKET_TAG, ' ');
  for (let previous = ''; previous !== key;) {
    previous = key;
    key = key.replace(REPLY_PREFIX, '');
  }
  return key.replace(/\s+/g, ' ').trim().toLowerCase();
}

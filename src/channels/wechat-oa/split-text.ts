/**
 * WeChat limits a text message by its UTF-8 size: 2048 bytes for a passive reply, and the
 * customer-service API refuses longer content too (errcode 45002). One limit serves both.
 */
export const WECHAT_TEXT_LIMIT_BYTES = 2048;

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Splits text into parts of at most `maxBytes` UTF-8 bytes, on line boundaries where possible.
 * A single line longer than the limit is cut between characters, never inside one.
 */
export function splitByBytes(text: string, maxBytes = WECHAT_TEXT_LIMIT_BYTES): string[] {
  const parts: string[] = [];
  let current = '';
  const flush = () => {
    if (current.trim() !== '') parts.push(current.replace(/^\n+|\n+$/g, ''));
    current = '';
  };
  for (const line of text.split('\n')) {
    const candidate = current === '' ? line : `${current}\n${line}`;
    if (byteLength(candidate) <= maxBytes) {
      current = candidate;
      continue;
    }
    flush();
    if (byteLength(line) <= maxBytes) {
      current = line;
      continue;
    }
    const pieces = cutLine(line, maxBytes);
    current = pieces.pop() ?? '';
    parts.push(...pieces);
  }
  flush();
  return parts;
}

function cutLine(line: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let size = 0;
  for (const char of line) {
    const charSize = byteLength(char);
    if (size + charSize > maxBytes) {
      pieces.push(piece);
      piece = '';
      size = 0;
    }
    piece += char;
    size += charSize;
  }
  if (piece) pieces.push(piece);
  return pieces;
}

import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * WeChat's request signature: SHA-1 (hex) of the parts sorted as strings and concatenated.
 * `signature` signs `[token, timestamp, nonce]`; `msg_signature` adds the `Encrypt` ciphertext.
 */
export function wechatSignature(parts: readonly string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** Compares a signature from a request with the expected one in constant time. */
export function signatureMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const expectedBytes = Buffer.from(expected, 'utf8');
  const givenBytes = Buffer.from(given.toLowerCase(), 'utf8');
  // Lengths differ only for malformed input; the comparison time still never depends on the content.
  if (givenBytes.length !== expectedBytes.length) {
    timingSafeEqual(expectedBytes, expectedBytes);
    return false;
  }
  return timingSafeEqual(expectedBytes, givenBytes);
}

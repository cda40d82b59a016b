import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** WeChat pads to 32-byte blocks (PKCS#7 with k = 32), not AES's own 16. */
const BLOCK = 32;
const RANDOM_PREFIX = 16;

/** The ciphertext could not be opened: wrong key, bad padding, or a truncated message. */
export class CipherError extends Error {
  constructor(reason: string) {
    super(`WeChat ciphertext rejected: ${reason}`);
    this.name = 'CipherError';
  }
}

/** A decrypted message body and the AppID it was sealed for. */
export interface OpenedMessage {
  xml: string;
  appId: string;
}

/**
 * The safe-mode envelope of WeChat's message encryption: AES-256-CBC with
 * key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes, and plaintext =
 * 16 random bytes + 4-byte big-endian length + XML + AppID, padded to 32-byte blocks.
 */
export interface MessageCipher {
  /** Opens a base64 `Encrypt` value. Throws CipherError when it cannot be opened. */
  open(encrypted: string): OpenedMessage;
  /** Seals a reply for `appId` (the configured one); returns base64. */
  seal(xml: string): string;
}

export function createMessageCipher(options: { encodingAesKey: string; appId: string; random?: (size: number) => Buffer }): MessageCipher {
  const key = Buffer.from(`${options.encodingAesKey}=`, 'base64');
  if (key.length !== 32) throw new Error('EncodingAESKey must decode to 32 bytes');
  const iv = key.subarray(0, 16);
  const random = options.random ?? randomBytes;

  return {
    open(encrypted) {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) throw new CipherError('not base64');
      const ciphertext = Buffer.from(encrypted, 'base64');
      if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) throw new CipherError('length is not a whole number of blocks');
      let padded: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-cbc', key, iv);
        decipher.setAutoPadding(false);
        padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      } catch {
        throw new CipherError('decryption failed');
      }
      const plain = unpad(padded);
      if (plain.length < RANDOM_PREFIX + 4) throw new CipherError('too short');
      const xmlLength = plain.readUInt32BE(RANDOM_PREFIX);
      const xmlStart = RANDOM_PREFIX + 4;
      if (xmlStart + xmlLength > plain.length) throw new CipherError('length field out of range');
      return {
        xml: plain.subarray(xmlStart, xmlStart + xmlLength).toString('utf8'),
        appId: plain.subarray(xmlStart + xmlLength).toString('utf8'),
      };
    },
    seal(xml) {
      const body = Buffer.from(xml, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(body.length);
      const plain = pad(Buffer.concat([random(RANDOM_PREFIX), length, body, Buffer.from(options.appId, 'utf8')]));
      const cipher = createCipheriv('aes-256-cbc', key, iv);
      cipher.setAutoPadding(false);
      return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
    },
  };
}

function pad(data: Buffer): Buffer {
  const count = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(count, count)]);
}

function unpad(data: Buffer): Buffer {
  const count = data[data.length - 1] ?? 0;
  if (count < 1 || count > BLOCK || count > data.length) throw new CipherError('bad padding');
  for (let i = data.length - count; i < data.length; i++) {
    if (data[i] !== count) throw new CipherError('bad padding');
  }
  return data.subarray(0, data.length - count);
}

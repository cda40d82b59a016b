import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** Hashes and checks passwords and security answers. */
export interface PasswordHasher {
  hash(plain: string): Promise<string>;
  verify(stored: string, plain: string): Promise<boolean>;
}

/** Source of randomness; tests may pass a deterministic one. */
export type RandomBytes = (size: number) => Buffer;

/**
 * argon2id (the @node-rs/argon2 default algorithm). The defaults are the library's
 * recommended costs; tests pass smaller ones to stay fast, still argon2id.
 */
export function createArgon2Hasher(options: { memoryCost?: number; timeCost?: number } = {}): PasswordHasher {
  return {
    hash: (plain) => hash(plain, { memoryCost: options.memoryCost, timeCost: options.timeCost }),
    async verify(stored, plain) {
      try {
        return await verify(stored, plain);
      } catch {
        return false;
      }
    },
  };
}

/** Security answers compare loosely: full-width/half-width, case and spaces do not matter. */
export function normalizeAnswer(answer: string): string {
  return answer.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
}

/** A uniformly random 6-digit code. */
export function newCode(random: RandomBytes): string {
  // Rejection sampling keeps every code equally likely.
  for (;;) {
    const n = random(4).readUInt32BE(0);
    if (n < 4_294_000_000) return String(n % 1_000_000).padStart(6, '0');
  }
}

/** A URL-safe token with 256 bits of entropy. */
export function newToken(random: RandomBytes): string {
  return random(32).toString('base64url');
}

/** A short random id for reviews and requests. */
export function newId(prefix: string, random: RandomBytes): string {
  return `${prefix}-${random(9).toString('base64url')}`;
}

/** Codes are short-lived; a salted SHA-256 keeps them out of the store in clear. */
export function hashCode(code: string, salt: string): string {
  return createHash('sha256').update(salt).update(':').update(code).digest('hex');
}

export function newSalt(random: RandomBytes): string {
  return random(16).toString('hex');
}

/** Tokens carry 256 bits of entropy, so an unsalted SHA-256 is a safe lookup key. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export const defaultRandomBytes: RandomBytes = (size) => nodeRandomBytes(size);

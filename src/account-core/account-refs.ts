import { createCipheriv, createDecipheriv } from 'node:crypto';
import { z } from 'zod';
import type { DocumentStore } from '../storage/types.js';
import type { CoreSecret } from './records.js';
import type { RandomBytes } from './secrets.js';

const PREFIX = 'acct.';
const KEY_ID = 'account-refs';
/** A reference lasts as long as a conversation about it reasonably does. */
export const ACCOUNT_REF_VALIDITY_MS = 24 * 60 * 60 * 1000;

const sealedSchema = z.object({ u: z.string(), e: z.string().nullable(), x: z.number() });

/**
 * Account references: a username sealed (AES-256-GCM) for one caller, so an answer can let the
 * caller name an account again without telling it the username. A reference opens only for the
 * end user it was issued to (or only in service scope), and only until it expires. The key is
 * kept in the core's store, so references survive a restart; nothing is written per reference.
 */
export interface AccountRefs {
  /** Seals `username` for `endUser` (`null`: the service). */
  issue(username: string, endUser: string | null, now: Date): Promise<string>;
  /** The username, when `ref` is a valid reference for `endUser`; `undefined` otherwise. */
  open(ref: string, endUser: string | null, now: Date): Promise<string | undefined>;
}

/** Whether a caller's `username` field holds a reference rather than a username. */
export function isAccountRef(value: string): boolean {
  return value.startsWith(PREFIX) && !value.includes('@');
}

export function createAccountRefs(secrets: DocumentStore<CoreSecret>, random: RandomBytes): AccountRefs {
  let key: Promise<Buffer> | undefined;
  const loadKey = () =>
    (key ??= (async () => {
      const stored = await secrets.update(KEY_ID, (current) => current ?? { key: random(32).toString('base64') });
      return Buffer.from(stored!.key, 'base64');
    })());

  return {
    async issue(username, endUser, now) {
      const iv = random(12);
      const cipher = createCipheriv('aes-256-gcm', await loadKey(), iv);
      const plain = JSON.stringify({ u: username, e: endUser, x: now.getTime() + ACCOUNT_REF_VALIDITY_MS });
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
    },
    async open(ref, endUser, now) {
      if (!isAccountRef(ref) || ref.length > 400) return undefined;
      const bytes = Buffer.from(ref.slice(PREFIX.length), 'base64url');
      if (bytes.length < 12 + 16 + 1) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', await loadKey(), bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
        const sealed = sealedSchema.safeParse(JSON.parse(plain));
        if (!sealed.success || sealed.data.e !== endUser || sealed.data.x <= now.getTime()) return undefined;
        return sealed.data.u;
      } catch {
        return undefined;
      }
    },
  };
}

import { fileTypeFromBuffer } from 'file-type';

/** Image formats people may upload: jpg/jpeg, png and gif. */
export type ImageMime = 'image/jpeg' | 'image/png' | 'image/gif';

const ALLOWED: ReadonlySet<string> = new Set<ImageMime>(['image/jpeg', 'image/png', 'image/gif']);

/**
 * The real type of an uploaded image, decided by its bytes (magic numbers), never by its
 * name or declared type. `undefined` when the bytes are not a jpg, png or gif.
 */
export async function detectImageType(bytes: Uint8Array): Promise<ImageMime | undefined> {
  const detected = await fileTypeFromBuffer(bytes);
  return detected && ALLOWED.has(detected.mime) ? (detected.mime as ImageMime) : undefined;
}

/** Decodes strict base64 (whitespace allowed); `undefined` when it is not base64. */
export function decodeBase64(data: string): Buffer | undefined {
  const compact = data.replace(/\s+/g, '').replace(/^data:[^;,]+;base64,/, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

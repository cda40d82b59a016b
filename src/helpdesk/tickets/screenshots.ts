import { detectImageType, type ImageMime } from '../../media/image-type.js';

/** Largest screenshot accepted, from any channel. A full-page phone screenshot is well under this. */
export const MAX_SCREENSHOT_BYTES = 5 * 1024 * 1024;

/** Screenshots kept per ticket; more are refused politely. */
export const MAX_SCREENSHOTS_PER_TICKET = 6;

/** Why an image was not taken as a screenshot. */
export type ScreenshotProblem = 'type' | 'too-large' | 'empty';

export type ScreenshotCheck = { ok: true; type: ImageMime } | { ok: false; problem: ScreenshotProblem };

/** Checks an upload by its bytes (jpg, png or gif) and size; the declared type and name are ignored. */
export async function checkScreenshot(data: Uint8Array, maxBytes = MAX_SCREENSHOT_BYTES): Promise<ScreenshotCheck> {
  if (data.length === 0) return { ok: false, problem: 'empty' };
  if (data.length > maxBytes) return { ok: false, problem: 'too-large' };
  const type = await detectImageType(data);
  return type ? { ok: true, type } : { ok: false, problem: 'type' };
}

/** File extension for a detected type. */
export function extensionOf(type: ImageMime): string {
  return type === 'image/jpeg' ? 'jpg' : type === 'image/png' ? 'png' : 'gif';
}

/**
 * A user-supplied file name trimmed for display: no path, no control characters, bounded length.
 * Templates still escape it; this only keeps it readable.
 */
export function displayName(name: string | undefined, fallback: string): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 120);
  return clean || fallback;
}

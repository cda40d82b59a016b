import type { Response } from 'express';
import type { ImageMime } from '../../media/image-type.js';
import { extensionOf } from './screenshots.js';

/**
 * Sends an uploaded image to an agent with headers that keep it an image: the type decided from
 * its bytes, no sniffing, no caching outside the agent's browser, inline under a name we made
 * (never the uploader's), and a CSP that forbids everything should a browser render it as a document.
 */
export function sendPrivateImage(res: Response, image: { bytes: Buffer; type: ImageMime }, baseName: string): void {
  const safeBase = baseName.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 60) || 'image';
  res.status(200);
  res.setHeader('Content-Type', image.type);
  res.setHeader('Content-Length', String(image.bytes.length));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'private, no-store, max-age=0');
  res.setHeader('Pragma', 'no-cache');
  res.setHeader('Content-Disposition', `inline; filename="${safeBase}.${extensionOf(image.type)}"`);
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.end(image.bytes);
}

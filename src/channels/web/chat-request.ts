import { z } from 'zod';
import type { InboundImage, InboundMessage } from '../../conversation/types.js';
import { decodeBase64 } from '../../media/image-type.js';

/** Longest text accepted in one chat message. */
export const MAX_TEXT = 2000;

/** Largest decoded image the integration API accepts (docs/api.md: oversized images get 400). */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/**
 * Largest decoded image the web page may send. The page compresses photos toward 300 KB before
 * sending, and refuses itself when it cannot get there, so anything much larger did not come from it.
 */
export const MAX_PAGE_IMAGE_BYTES = 1024 * 1024;

const imageSchema = z
  .object({
    name: z.string().max(255),
    type: z.string().max(100),
    data: z.string().min(1),
  })
  .strict();

const messageFields = {
  text: z.string().max(MAX_TEXT).optional(),
  /** The id of a clicked choice button: which option of which menu. */
  choiceId: z.string().trim().min(1).max(200).optional(),
  image: imageSchema.optional(),
};

const hasContent = (body: { text?: string; choiceId?: string; image?: unknown }) =>
  (body.text !== undefined && body.text.trim() !== '') || body.choiceId !== undefined || body.image !== undefined;
const contentRequired = { message: 'text, choiceId or image is required', path: ['text'] };

/** What the web page posts: the sender comes from the identity cookie, never from the body. */
export const pageMessageSchema = z.object(messageFields).strict().refine(hasContent, contentRequired);

/** What a trusted integration caller posts (docs/api.md): it names the end user. */
export const integrationMessageSchema = z
  .object({ userId: z.string().trim().min(1).max(128), ...messageFields })
  .strict()
  .refine(hasContent, contentRequired);

export type ChatMessageBody = z.infer<typeof pageMessageSchema>;

/** Why a posted image was not taken. */
export type ImageProblem = 'image-not-base64' | 'image-too-large';

/** Decodes a posted image; a problem is a value, never a throw. */
export function decodeImage(
  image: ChatMessageBody['image'],
  maxBytes: number,
): { ok: true; image?: InboundImage } | { ok: false; problem: ImageProblem } {
  if (!image) return { ok: true };
  const bytes = decodeBase64(image.data);
  if (!bytes) return { ok: false, problem: 'image-not-base64' };
  if (bytes.length > maxBytes) return { ok: false, problem: 'image-too-large' };
  return { ok: true, image: { name: image.name, type: image.type, data: bytes } };
}

/**
 * The engine's message for one posted chat message. `choicesAsButtons`: the web page shows options
 * as buttons, so the text carries no numbered lines; integration callers get them in the text.
 */
export function inboundMessage(
  userId: string,
  body: ChatMessageBody,
  image: InboundImage | undefined,
  choicesAsButtons: boolean,
  clientAddress?: string,
): InboundMessage {
  return { channel: 'web', userId, text: body.text, image, choiceId: body.choiceId, choicesAsButtons, ...(clientAddress ? { clientAddress } : {}) };
}

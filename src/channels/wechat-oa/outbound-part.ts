/**
 * An answer with options, as it can go out either way: through the customer-service API as a
 * `msgmenu` (each option tappable, carrying its id), or — in a passive reply, or held for later —
 * as `text`, the same words with the options as numbered lines.
 */
export interface MenuPart {
  kind: 'menu';
  head: string;
  items: { id: string; content: string }[];
  text: string;
}

/** One message of an answer: plain text, or text with options. */
export type OutboundPart = string | MenuPart;

/** What a part says where only text can go (passive replies, held messages, hand-over to a retry). */
export function textOf(part: OutboundPart): string {
  return typeof part === 'string' ? part : part.text;
}

import sanitizeHtml from 'sanitize-html';

/** Largest HTML body kept for display. */
const MAX_HTML_CHARS = 100_000;

/**
 * HTML mail made safe to show inside the console: text formatting only. No scripts, styles,
 * event handlers, forms, frames or images (remote images would tell the sender the mail was
 * read); links keep only http(s) and mailto targets and open without a referrer.
 */
export function sanitizeMailHtml(html: string): string {
  return sanitizeHtml(html.slice(0, MAX_HTML_CHARS), {
    allowedTags: [
      'p',
      'br',
      'div',
      'span',
      'b',
      'i',
      'u',
      'strong',
      'em',
      's',
      'small',
      'sub',
      'sup',
      'h1',
      'h2',
      'h3',
      'h4',
      'h5',
      'h6',
      'ul',
      'ol',
      'li',
      'blockquote',
      'pre',
      'code',
      'hr',
      'table',
      'thead',
      'tbody',
      'tfoot',
      'tr',
      'td',
      'th',
      'a',
    ],
    allowedAttributes: { a: ['href', 'rel', 'target'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }),
    },
  }).trim();
}

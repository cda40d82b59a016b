/** Masking rules (docs/api.md, "What the assistant shows of personal data"): what the assistant may show of personal data. */

/** `13912345678` → `139****5678`. */
export function maskPhone(phone: string): string {
  if (phone.length < 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}

/** `liming@example.com` → `l***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** `110105200101011235` → `110***********1235`. */
export function maskIdNumber(id: string): string {
  if (id.length <= 7) return '*'.repeat(id.length);
  return `${id.slice(0, 3)}${'*'.repeat(id.length - 7)}${id.slice(-4)}`;
}

/** A username is a phone, e-mail or ID number; mask it by what it is. */
export function maskUsername(username: string): string {
  if (username.includes('@')) return maskEmail(username);
  if (/^1\d{10}$/.test(username)) return maskPhone(username);
  return maskIdNumber(username);
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const LONG_ID = /(?<![0-9A-Za-z])\d(?:[ -]?\d){13,16}[ -]?[\dXx](?![0-9A-Za-z])/g;
// A mobile number in every form people write it: 13912345678, 139 1234 5678, 139-1234-5678, with or
// without the country code (+86, 86, 0086, +86 followed by a space or dash).
const PHONE = /(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)/g;
const CODE = /(?<![0-9A-Za-z])\d{6}(?![0-9A-Za-z])/g;
// A code read out in two halves: 123 456, 123-456.
const SPACED_CODE = /(?<![0-9A-Za-z])\d{3}[ -]\d{3}(?![0-9A-Za-z]|[ -]\d)/g;
/** A character that every pattern here needs one of, half- or full-width. */
const MAY_HOLD_SENSITIVE = /[0-9@/\uff10-\uff19\uff20\uff0f]/;
// One-time links carry a secret token in their last path segment.
const RESET_LINK = /(\/core\/(?:reset|verify|activate)\/)[A-Za-z0-9_-]{8,}/g;

/**
 * Masks every ID number, phone, e-mail, 6-digit code and one-time link token in free text. Used on transcripts and
 * log lines so that nothing sensitive is stored or printed in full.
 */
export function redactSensitive(text: string): string {
  // Every pattern below needs a digit, an "@" or a "/" (half- or full-width): most chat lines have none.
  if (!MAY_HOLD_SENSITIVE.test(text)) return text;
  // Numbers are found on a half-width copy (full-width digits count too), but only the matches are
  // replaced: the rest keeps what the user wrote, full-width punctuation included.
  let written = text;
  let folded = foldWidth(text);
  const mask = (pattern: RegExp, replace: (match: string, ...groups: string[]) => string): void => {
    let nextWritten = '';
    let nextFolded = '';
    let from = 0;
    for (const match of folded.matchAll(pattern)) {
      const at = match.index;
      const masked = replace(match[0], ...match.slice(1));
      nextWritten += written.slice(from, at) + masked;
      nextFolded += folded.slice(from, at) + masked;
      from = at + match[0].length;
    }
    written = nextWritten + written.slice(from);
    folded = nextFolded + folded.slice(from);
  };
  mask(EMAIL, (email) => maskEmail(email));
  mask(LONG_ID, (id) => maskIdNumber(id.replace(/[ -]/g, '')));
  mask(PHONE, (phone) => maskPhone(phone.replace(/[ -]/g, '').slice(-11)));
  mask(CODE, () => '******');
  mask(SPACED_CODE, () => '******');
  mask(RESET_LINK, (_link, prefix) => `${prefix}***`);
  return written;
}

/** Full-width ASCII forms and the ideographic space to half-width, one character for one (same length). */
function foldWidth(text: string): string {
  return text.replace(/[\uff01-\uff5e\u3000]/g, (char) => (char === '\u3000' ? ' ' : String.fromCharCode(char.charCodeAt(0) - 0xfee0)));
}

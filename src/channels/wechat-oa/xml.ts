import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** The request body is not acceptable XML; `reason` is for logs, never for users. */
export class XmlRejected extends Error {
  constructor(readonly reason: 'declaration' | 'malformed' | 'shape') {
    super(`WeChat XML rejected: ${reason}`);
    this.name = 'XmlRejected';
  }
}

/** A flat WeChat message: `<xml><Field>value</Field>...</xml>` as field → text. */
export type XmlFields = Record<string, string>;

// DOCTYPE and ENTITY declarations are how billion-laughs and XXE payloads start; WeChat never sends them.
const DECLARATION = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;

/** Refuses any document type or entity declaration, before a parser ever sees the text. */
export function assertNoDeclarations(text: string): void {
  if (DECLARATION.test(text)) throw new XmlRejected('declaration');
}

const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  maxNestedTags: 8,
});

/**
 * Parses a WeChat message body into its top-level fields. Entity expansion is off; only the five
 * predefined XML entities and character references are decoded, which cannot expand.
 */
export function parseWechatXml(text: string): XmlFields {
  assertNoDeclarations(text);
  if (XMLValidator.validate(text) !== true) throw new XmlRejected('malformed');
  let document: unknown;
  try {
    document = parser.parse(text);
  } catch {
    throw new XmlRejected('malformed');
  }
  const root = (document as { xml?: unknown } | undefined)?.xml;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new XmlRejected('shape');
  const fields: XmlFields = {};
  for (const [name, value] of Object.entries(root)) {
    // Nested elements (e.g. ScanCodeInfo) and repeated fields are not needed by any message we handle.
    if (typeof value === 'string') fields[name] = decodePredefinedEntities(value);
    else if (typeof value === 'number' || typeof value === 'boolean') fields[name] = String(value);
  }
  return fields;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodePredefinedEntities(value: string): string {
  return value.replace(/&(lt|gt|amp|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, (whole, name: string) => {
    if (name.startsWith('#x')) return codePoint(Number.parseInt(name.slice(2), 16)) ?? whole;
    if (name.startsWith('#')) return codePoint(Number.parseInt(name.slice(1), 10)) ?? whole;
    return PREDEFINED[name] ?? whole;
  });
}

function codePoint(value: number): string | undefined {
  return value > 0 && value <= 0x10ffff ? String.fromCodePoint(value) : undefined;
}

/**
 * The `Encrypt` value of a safe-mode envelope, read lexically so that the message signature is
 * checked before any XML parser runs. Exactly one base64 `Encrypt` element is accepted.
 */
export function extractEncrypt(text: string): string | undefined {
  const matches = [...text.matchAll(/<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=]+)\]\]>|([A-Za-z0-9+/=]+))\s*<\/Encrypt>/g)];
  if (matches.length !== 1) return undefined;
  const match = matches[0]!;
  return match[1] ?? match[2];
}

/** Builds `<xml>` with each value in CDATA (a `]]>` inside a value is split across sections). */
export function buildWechatXml(fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([name, value]) => (typeof value === 'number' ? `<${name}>${value}</${name}>` : `<${name}>${cdata(value)}</${name}>`))
    .join('');
  return `<xml>${body}</xml>`;
}

function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

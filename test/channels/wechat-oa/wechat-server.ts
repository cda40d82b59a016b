import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { TestClock } from '../../helpers/clock.js';

/** What the account's admin console holds: the Token, and for safe mode the EncodingAESKey and AppID. */
export interface AccountSecrets {
  token: string;
  appId: string;
  aesKey?: string;
}

export interface PushOptions {
  /** Encrypt like safe mode (`encrypt_type=aes`, `msg_signature`). */
  encrypted?: boolean;
  /** Compatible mode: the plaintext fields are sent alongside `Encrypt`. */
  compatible?: boolean;
  /** Sign with this token instead of the real one (a forger). */
  signWith?: string;
  /** Seal for this AppID instead of the real one. */
  appIdInside?: string;
  /** Seconds to shift the timestamp by. */
  timestampOffset?: number;
  /** Leave out `signature` (safe mode relies on `msg_signature`). */
  omitSignature?: boolean;
  nonce?: string;
}

/** The answer to one push: HTTP status, raw body, and the reply's fields when it was a message. */
export interface PushResult {
  status: number;
  body: string;
  /** Fields of the (decrypted) passive reply; undefined for "success", empty bodies and errors. */
  reply?: Record<string, string>;
  /** For encrypted replies: whether MsgSignature verified and the AppID inside matched. */
  envelope?: { signatureValid: boolean; appId: string };
}

const sha1 = (parts: string[]) =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');

/**
 * Plays WeChat's servers against our webhook: signs (and in safe mode encrypts) pushes exactly as
 * the platform documents it, and decrypts and verifies the replies. Written from the protocol
 * description, independently of the code under test.
 */
export class WechatServer {
  private msgId = 7_000_000_000_000_000_000n;

  constructor(
    private readonly webhookUrl: string,
    private readonly secrets: AccountSecrets,
    private readonly clock: TestClock,
  ) {}

  nextMsgId(): string {
    this.msgId += 1n;
    return this.msgId.toString();
  }

  now(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  textXml(openid: string, content: string, msgId = this.nextMsgId()): string {
    return `<xml><ToUserName><![CDATA[gh_chsi_test]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${this.now()}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;
  }

  imageXml(openid: string, mediaId: string, msgId = this.nextMsgId()): string {
    return `<xml><ToUserName><![CDATA[gh_chsi_test]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${this.now()}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.example/pic]]></PicUrl><MediaId><![CDATA[${mediaId}]]></MediaId><MsgId>${msgId}</MsgId></xml>`;
  }

  eventXml(openid: string, event: string, createTime = this.now()): string {
    return `<xml><ToUserName><![CDATA[gh_chsi_test]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event></xml>`;
  }

  otherXml(openid: string, msgType: string, msgId = this.nextMsgId()): string {
    return `<xml><ToUserName><![CDATA[gh_chsi_test]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${this.now()}</CreateTime><MsgType><![CDATA[${msgType}]]></MsgType><MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format><MsgId>${msgId}</MsgId></xml>`;
  }

  /** The server-verification request the admin console sends when the URL is saved. */
  async verify(echostr: string, options: { signWith?: string; timestampOffset?: number } = {}): Promise<{ status: number; body: string }> {
    const timestamp = String(this.now() + (options.timestampOffset ?? 0));
    const nonce = '1234567890';
    const signature = sha1([options.signWith ?? this.secrets.token, timestamp, nonce]);
    const response = await fetch(`${this.webhookUrl}?${new URLSearchParams({ signature, timestamp, nonce, echostr })}`);
    return { status: response.status, body: await response.text() };
  }

  /** Pushes one message body (XML) the way WeChat does, and reads the answer. */
  async push(xml: string, options: PushOptions = {}): Promise<PushResult> {
    const timestamp = String(this.now() + (options.timestampOffset ?? 0));
    const nonce = options.nonce ?? String(100000 + Math.floor(Math.random() * 900000));
    const token = options.signWith ?? this.secrets.token;
    const query = new URLSearchParams({ timestamp, nonce, openid: 'ignored-by-us' });
    if (!options.omitSignature) query.set('signature', sha1([token, timestamp, nonce]));
    let body = xml;
    if (options.encrypted) {
      const encrypt = this.seal(xml, options.appIdInside ?? this.secrets.appId);
      query.set('encrypt_type', 'aes');
      query.set('msg_signature', sha1([token, timestamp, nonce, encrypt]));
      body = options.compatible
        ? xml.replace('</xml>', `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`)
        : `<xml><ToUserName><![CDATA[gh_chsi_test]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    }
    return this.post(query, body);
  }

  /** Posts a safe-mode envelope around a given `Encrypt` value, signed with the real token (someone who has the token but not the key). */
  async pushEnvelope(encrypt: string): Promise<PushResult> {
    const timestamp = String(this.now());
    const nonce = '515151';
    const query = new URLSearchParams({
      timestamp,
      nonce,
      encrypt_type: 'aes',
      msg_signature: sha1([this.secrets.token, timestamp, nonce, encrypt]),
    });
    return this.post(query, `<xml><ToUserName><![CDATA[gh_chsi_test]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
  }

  /** Posts an arbitrary body with a valid plaintext-mode signature (for hostile XML). */
  async pushRaw(body: string | Buffer): Promise<PushResult> {
    const timestamp = String(this.now());
    const nonce = String(100000 + Math.floor(Math.random() * 900000));
    const query = new URLSearchParams({ timestamp, nonce, signature: sha1([this.secrets.token, timestamp, nonce]) });
    return this.post(query, body);
  }

  /** Encrypts like the platform: AES-256-CBC, IV = key[0..16], 16 random bytes + length + XML + AppID, PKCS#7 to 32. */
  seal(xml: string, appId = this.secrets.appId): string {
    const key = this.key();
    const body = Buffer.from(xml, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length, 0);
    const plain = Buffer.concat([randomBytes(16), length, body, Buffer.from(appId)]);
    const padLength = 32 - (plain.length % 32);
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(padLength, padLength)])), cipher.final()]).toString('base64');
  }

  private open(encrypt: string): { xml: string; appId: string } {
    const key = this.key();
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
    const plain = padded.subarray(0, padded.length - padded[padded.length - 1]!);
    const length = plain.readUInt32BE(16);
    return { xml: plain.subarray(20, 20 + length).toString('utf8'), appId: plain.subarray(20 + length).toString('utf8') };
  }

  private key(): Buffer {
    if (!this.secrets.aesKey) throw new Error('no EncodingAESKey');
    return Buffer.from(`${this.secrets.aesKey}=`, 'base64');
  }

  private async post(query: URLSearchParams, body: string | Buffer): Promise<PushResult> {
    const response = await fetch(`${this.webhookUrl}?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    const text = await response.text();
    const result: PushResult = { status: response.status, body: text };
    if (response.status !== 200 || !text.startsWith('<xml>')) return result;
    const outer = readFields(text);
    if (outer.Encrypt) {
      const opened = this.open(outer.Encrypt);
      result.envelope = {
        signatureValid: sha1([this.secrets.token, outer.TimeStamp ?? '', outer.Nonce ?? '', outer.Encrypt]) === outer.MsgSignature,
        appId: opened.appId,
      };
      result.reply = readFields(opened.xml);
    } else {
      result.reply = readFields(text);
    }
    return result;
  }
}

/** Reads `<xml><Name>value</Name>...</xml>` (CDATA or plain), as WeChat's client would. */
export function readFields(xml: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of xml.matchAll(/<(\w+)>((?:<!\[CDATA\[[\s\S]*?\]\]>)+|[^<]*)<\/\1>/g)) {
    const raw = match[2]!;
    fields[match[1]!] = raw.startsWith('<![CDATA[') ? [...raw.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((part) => part[1]).join('') : raw;
  }
  return fields;
}

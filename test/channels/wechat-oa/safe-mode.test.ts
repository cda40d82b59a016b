import { describe, expect, it } from 'vitest';
import { DELIVERY_RECORDS } from '../../../src/channels/wechat-oa/delivery-ledger.js';
import { createMessageCipher } from '../../../src/channels/wechat-oa/message-cipher.js';
import { AES_KEY, APP_ID, budgetNeverRunsOut, startWechatHarness } from './harness.js';

describe('WeChat webhook: safe mode (AES)', () => {
  it('decrypts a request sealed like WeChat does and answers with an encrypted, signed reply for our AppID', async () => {
    const { wechat, engine } = await startWechatHarness({ safe: true });
    budgetNeverRunsOut();
    const answer = await wechat.push(wechat.textXml('oSafeUser', '忘记密码了怎么办'), { encrypted: true });
    expect(answer.status).toBe(200);
    expect(answer.envelope).toEqual({ signatureValid: true, appId: APP_ID });
    expect(answer.reply).toMatchObject({ ToUserName: 'oSafeUser', MsgType: 'text' });
    expect(answer.reply!.Content).toContain('密码');
    expect(engine.calls).toEqual([{ channel: 'wechat', userId: 'oSafeUser', text: '忘记密码了怎么办' }]);
  });

  it('also works when WeChat leaves out `signature` and relies on msg_signature', async () => {
    const { wechat } = await startWechatHarness({ safe: true });
    budgetNeverRunsOut();
    const answer = await wechat.push(wechat.textXml('oSafeUser2', '你好'), { encrypted: true, omitSignature: true });
    expect(answer.status).toBe(200);
    expect(answer.envelope?.signatureValid).toBe(true);
  });

  it('refuses a bad msg_signature, a message sealed for another AppID, and plaintext, processing nothing', async () => {
    const { wechat, engine, storage } = await startWechatHarness({ safe: true });
    const forged = await wechat.push(wechat.textXml('oSafeVictim', '你好'), { encrypted: true, signWith: 'guess', omitSignature: true });
    expect(forged.status).toBe(401);
    const otherApp = await wechat.push(wechat.textXml('oSafeVictim', '你好'), { encrypted: true, appIdInside: 'wx0000000000000000' });
    expect(otherApp.status).toBe(401);
    const plaintext = await wechat.push(wechat.textXml('oSafeVictim', '你好'));
    expect(plaintext.status).toBe(403);
    expect(engine.calls).toEqual([]);
    expect((await storage.collection('wechat-inbound', DELIVERY_RECORDS).page({ limit: 10 })).items).toEqual([]);
  });

  it('refuses ciphertext not made with our key, even when msg_signature is right (400, nothing processed)', async () => {
    const { wechat, engine } = await startWechatHarness({ safe: true });
    const garbage = await wechat.pushEnvelope(Buffer.alloc(64, 7).toString('base64'));
    expect(garbage.status).toBe(400);
    const hostileInside = await wechat.pushEnvelope(
      wechat.seal('<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>'),
    );
    expect(hostileInside.status).toBe(400);
    expect(engine.calls).toEqual([]);
  });

  it('in compatible mode accepts both plaintext and encrypted pushes', async () => {
    const { wechat, engine } = await startWechatHarness({ mode: 'compatible' });
    budgetNeverRunsOut();
    const plain = await wechat.push(wechat.textXml('oCompat', '你好'));
    expect(plain.status).toBe(200);
    expect(plain.envelope).toBeUndefined();
    const sealed = await wechat.push(wechat.textXml('oCompat', '谢谢'), { encrypted: true, compatible: true });
    expect(sealed.envelope).toEqual({ signatureValid: true, appId: APP_ID });
    expect(engine.calls.map((call) => call.text)).toEqual(['你好', '谢谢']);
  });

  it('cipher: round trip, 32-byte padding, and corrupted padding or length rejected', () => {
    const cipher = createMessageCipher({ encodingAesKey: AES_KEY, appId: APP_ID });
    for (const xml of ['', '<xml/>', '中'.repeat(100), 'x'.repeat(12)]) {
      const sealed = cipher.seal(xml);
      expect(Buffer.from(sealed, 'base64').length % 32).toBe(0);
      expect(cipher.open(sealed)).toEqual({ xml, appId: APP_ID });
    }
    // CBC: flipping a ciphertext byte flips the same byte of the next plaintext block, every time.
    // The last plaintext byte (the padding count, 1..32) becomes 0xe0 or more: never valid padding.
    const badPadding = corrupt(cipher.seal('<xml/>'), (sealed) => sealed.length - 1 - AES_BLOCK);
    expect(() => cipher.open(badPadding)).toThrow(/bad padding/);
    // Plaintext byte 16 is the top byte of the XML length (0 for any real message): it becomes 0xff, far past the end.
    const badLength = corrupt(cipher.seal('<xml/>'), () => 0);
    expect(() => cipher.open(badLength)).toThrow(/length field out of range/);
  });

  it('refuses a sealed message whose ciphertext was tampered with (400, nothing processed)', async () => {
    const { wechat, engine } = await startWechatHarness({ safe: true });
    const sealed = wechat.seal(wechat.textXml('oTampered', '你好'));
    const badPadding = await wechat.pushEnvelope(corrupt(sealed, (bytes) => bytes.length - 1 - AES_BLOCK));
    expect(badPadding.status).toBe(400);
    const badLength = await wechat.pushEnvelope(corrupt(sealed, () => 0));
    expect(badLength.status).toBe(400);
    expect(engine.calls).toEqual([]);
  });
});

const AES_BLOCK = 16;

/** Flips every bit of one ciphertext byte (chosen from the decoded bytes) and re-encodes it. */
function corrupt(sealed: string, position: (bytes: Buffer) => number): string {
  const bytes = Buffer.from(sealed, 'base64');
  const at = position(bytes);
  bytes[at] = bytes[at]! ^ 0xff;
  return bytes.toString('base64');
}

import { describe, expect, it } from 'vitest';
import { DELIVERY_RECORDS } from '../../../src/channels/wechat-oa/delivery-ledger.js';
import { startWechatHarness } from './harness.js';

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><ToUserName>gh</ToUserName><FromUserName>oAttacker</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol4;</Content><MsgId>1</MsgId></xml>`;

const XXE = `<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>oAttacker</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>`;

describe('WeChat webhook: hostile and broken XML', () => {
  it('rejects billion laughs, XXE, malformed XML and oversized bodies without processing them', async () => {
    const { wechat, engine, storage } = await startWechatHarness();
    expect((await wechat.pushRaw(BILLION_LAUGHS)).status).toBe(400);
    expect((await wechat.pushRaw(XXE)).status).toBe(400);
    expect((await wechat.pushRaw('<xml><ToUserName>gh</ToUserName><FromUserName>oBroken')).status).toBe(400);
    expect((await wechat.pushRaw('not xml at all')).status).toBe(400);
    expect((await wechat.pushRaw('<other><a>1</a></other>')).status).toBe(400);
    expect((await wechat.pushRaw('<xml><FromUserName>oNoType</FromUserName></xml>')).status).toBe(400);
    expect((await wechat.pushRaw(wechat.textXml('oHuge', 'x'.repeat(70 * 1024)))).status).toBe(413);
    expect(engine.calls).toEqual([]);
    expect((await storage.collection('wechat-inbound', DELIVERY_RECORDS).page({ limit: 10 })).items).toEqual([]);
    // Still serving afterwards.
    expect((await wechat.push(wechat.textXml('oFine', '你好'))).status).toBe(200);
  });

  it('decodes only the predefined entities in plain (non-CDATA) text', async () => {
    const { wechat, engine } = await startWechatHarness();
    const xml = `<xml><ToUserName>gh</ToUserName><FromUserName>oPlainText</FromUserName><CreateTime>${wechat.now()}</CreateTime><MsgType>text</MsgType><Content>a &lt;b&gt; &amp; &#20320;</Content><MsgId>99</MsgId></xml>`;
    expect((await wechat.push(xml)).status).toBe(200);
    expect(engine.calls[0]?.text).toBe('a <b> & 你');
  });
});

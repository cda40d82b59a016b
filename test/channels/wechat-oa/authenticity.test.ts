import { describe, expect, it } from 'vitest';
import { DELIVERY_RECORDS } from '../../../src/channels/wechat-oa/delivery-ledger.js';
import { startTestService } from '../../helpers/test-service.js';
import { APP_ID, TOKEN, startWechatHarness } from './harness.js';
import { WechatServer } from './wechat-server.js';

describe('WeChat webhook: authenticity', () => {
  it('answers the server verification with echostr, and refuses a forged one', async () => {
    const { wechat } = await startWechatHarness();
    expect(await wechat.verify('5837398749284')).toEqual({ status: 200, body: '5837398749284' });
    expect((await wechat.verify('5837398749284', { signWith: 'guessed-token' })).status).toBe(401);
    expect((await wechat.verify('5837398749284', { timestampOffset: -3600 })).status).toBe(401);
  });

  it('answers a signed question passively', async () => {
    const { wechat, engine } = await startWechatHarness();
    const answer = await wechat.push(wechat.textXml('oUser_plain_1', '忘记密码了怎么办'));
    expect(answer.status).toBe(200);
    expect(answer.reply).toMatchObject({ ToUserName: 'oUser_plain_1', FromUserName: 'gh_chsi_test', MsgType: 'text' });
    expect(answer.reply!.Content).toContain('密码');
    expect(engine.calls).toEqual([{ channel: 'wechat', userId: 'oUser_plain_1', text: '忘记密码了怎么办' }]);
  });

  it('refuses a forged signature with 401 and processes nothing', async () => {
    const { wechat, engine, api, session, storage } = await startWechatHarness();
    const forged = await wechat.push(wechat.textXml('oVictim', '忘记密码了怎么办'), { signWith: 'not-the-token' });
    expect(forged).toMatchObject({ status: 401, body: 'forbidden' });
    const unsigned = await wechat.push(wechat.textXml('oVictim', '忘记密码了怎么办'), { omitSignature: true });
    expect(unsigned.status).toBe(401);
    expect(engine.calls).toEqual([]);
    expect(await session('oVictim')).toBeUndefined();
    expect((await storage.collection('wechat-inbound', DELIVERY_RECORDS).page({ limit: 10 })).items).toEqual([]);
    expect(api.sendCalls).toEqual([]);
  });

  it('refuses a stale or far-future timestamp (5-minute window)', async () => {
    const { wechat, engine } = await startWechatHarness();
    expect((await wechat.push(wechat.textXml('oLate', '你好'), { timestampOffset: -301 })).status).toBe(401);
    expect((await wechat.push(wechat.textXml('oLate', '你好'), { timestampOffset: 301 })).status).toBe(401);
    expect((await wechat.push(wechat.textXml('oLate', '你好'), { timestampOffset: -299 })).status).toBe(200);
    expect(engine.calls).toHaveLength(1);
  });

  it('is mounted by the standard modules only when WECHAT_TOKEN is set', async () => {
    const without = await startTestService();
    expect((await fetch(`${without.baseUrl}/wechat?echostr=x`)).status).toBe(404);
    const configured = await startTestService({ env: { WECHAT_TOKEN: TOKEN } });
    const wechat = new WechatServer(`${configured.baseUrl}/wechat`, { token: TOKEN, appId: APP_ID }, configured.clock);
    expect(await wechat.verify('echo-42')).toEqual({ status: 200, body: 'echo-42' });
    expect((await wechat.push(wechat.textXml('oStandard', '你好'))).status).toBe(200);
  });
});

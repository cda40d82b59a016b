import { describe, expect, it } from 'vitest';
import { HeldMessageBox } from '../../../src/channels/wechat-oa/held-messages.js';
import { watchCalls } from '../../helpers/call-watcher.js';
import { APP_ID, APP_SECRET, BUDGET_MS, bytes, pushPastBudget, startWechatHarness } from './harness.js';

describe('WeChat webhook: replies that cannot be passive', () => {
  it('a slow answer takes the asynchronous path: "success" when the budget runs out, the customer-service API later', async () => {
    const harness = await startWechatHarness({ replyBudgetMs: BUDGET_MS });
    const { wechat, engine, api } = harness;
    // A plain answer with no options, so it goes out as a text message (options would make it a msgmenu).
    const answer = await pushPastBudget(harness, wechat.textXml('oSlow', '收不到验证码怎么办'));
    expect(answer).toMatchObject({ status: 200, body: 'success' });
    expect(api.sendCalls).toEqual([]);

    engine.release();
    await api.waitFor(() => api.delivered.length === 1);
    expect(api.delivered[0]).toMatchObject({ touser: 'oSlow', accessToken: 'mock-token-1' });
    expect(api.delivered[0]!.text).toContain('验证码');
    expect(api.menuCalls).toEqual([]);
    expect(api.tokenRequests).toEqual([{ appid: APP_ID, secret: APP_SECRET }]);
    expect(engine.calls).toHaveLength(1);
  });

  it('caches the access token, and refreshes it once when WeChat answers 40001', async () => {
    const harness = await startWechatHarness({ replyBudgetMs: BUDGET_MS });
    const { wechat, engine, api } = harness;
    const answerLater = async (text: string, delivered: number) => {
      expect((await pushPastBudget(harness, wechat.textXml('oToken', text))).body).toBe('success');
      engine.release();
      await api.waitFor(() => api.delivered.length === delivered);
    };
    await answerLater('你好', 1);
    await answerLater('谢谢', 2);
    expect(api.tokenRequests).toHaveLength(1);

    api.revokeTokens();
    await answerLater('再见', 3);
    expect(api.sendCalls.map((call) => [call.accessToken, call.errcode])).toEqual([
      ['mock-token-1', 0],
      ['mock-token-1', 0],
      ['mock-token-1', 40001],
      ['mock-token-2', 0],
    ]);
    expect(api.tokenRequests).toHaveLength(2);
  });

  it('holds a reply WeChat refuses with 45015 and delivers it passively on the next contact', async () => {
    const harness = await startWechatHarness({ replyBudgetMs: BUDGET_MS });
    const { wechat, engine, api, storage } = harness;
    const holds = watchCalls(HeldMessageBox.prototype, 'hold');
    engine.fixedReplies = [{ type: 'text', text: '这是晚到的答复' }];
    api.failNextSends(45015);
    expect((await pushPastBudget(harness, wechat.textXml('oAway', '在吗'))).body).toBe('success');
    engine.release();
    await holds.untilFinished(1);
    expect(api.sendCalls).toMatchObject([{ touser: 'oAway', errcode: 45015 }]);
    expect(await storage.documents('wechat-held').get('oAway')).toMatchObject({ texts: ['这是晚到的答复'] });

    engine.fixedReplies = [{ type: 'text', text: '这是新问题的答复' }];
    const next = await wechat.push(wechat.textXml('oAway', '我回来了'));
    expect(next.reply?.Content).toBe('这是晚到的答复');
    await api.waitFor(() => api.delivered.length === 1);
    expect(api.delivered[0]).toMatchObject({ touser: 'oAway', text: '这是新问题的答复' });
    expect(await storage.documents('wechat-held').get('oAway')).toBeUndefined();
  });

  it('splits a long reply on line boundaries: the first part passively, the rest through the API, all within 2048 bytes', async () => {
    const { wechat, engine, api } = await startWechatHarness();
    const lines = Array.from({ length: 7 }, (_, index) => `第${index + 1}段：${'学信网账号说明'.repeat(40)}`);
    const whole = lines.join('\n');
    engine.fixedReplies = [{ type: 'text', text: whole }];
    const answer = await wechat.push(wechat.textXml('oLong', '详细说明'));
    const first = answer.reply!.Content!;
    const parts = () => [first, ...api.delivered.map((call) => call.text)];
    // Every part has arrived once together they are as long as the answer.
    await api.waitFor(() => parts().join('\n').length >= whole.length);
    expect(parts().length).toBeGreaterThan(2);
    for (const part of parts()) expect(bytes(part)).toBeLessThanOrEqual(2048);
    expect(parts().join('\n')).toBe(whole);
  });

  it("sends an agent's reply through the customer-service API, and holds it after 45015", async () => {
    const { wechat, api, service } = await startWechatHarness();
    await service.service.context.delivery.deliver('wechat', 'oTicketOwner', [{ type: 'text', text: '您好，您的问题已处理。' }]);
    expect(api.delivered).toMatchObject([{ touser: 'oTicketOwner', text: '您好，您的问题已处理。' }]);

    api.failNextSends(45015);
    await service.service.context.delivery.deliver('wechat', 'oTicketOwner', [{ type: 'text', text: '补充：请重新登录试试。' }]);
    expect(api.delivered).toHaveLength(1);
    const back = await wechat.push(wechat.textXml('oTicketOwner', '好的'));
    expect(back.reply?.Content).toBe('补充：请重新登录试试。');
  });
});

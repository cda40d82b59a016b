import { describe, expect, it } from 'vitest';
import { DELIVERY_RECORDS, DeliveryLedger } from '../../../src/channels/wechat-oa/delivery-ledger.js';
import type { ConversationState } from '../../../src/conversation/types.js';
import { InboundDispatcher } from '../../../src/channels/wechat-oa/inbound-dispatcher.js';
import { watchCalls } from '../../helpers/call-watcher.js';
import { budgetNeverRunsOut, startWechatHarness } from './harness.js';

describe('WeChat webhook: exactly once', () => {
  it('handles a replayed MsgId once: the retry gets "success" and the engine runs once', async () => {
    const { wechat, engine, session } = await startWechatHarness();
    budgetNeverRunsOut();
    const xml = wechat.textXml('oRetry', '忘记密码了怎么办', '1234567890123456');
    const first = await wechat.push(xml);
    expect(first.reply?.Content).toContain('密码');
    const retry = await wechat.push(xml);
    expect(retry).toMatchObject({ status: 200, body: 'success' });
    expect(engine.calls).toHaveLength(1);
    const state = (await session('oRetry')) as ConversationState;
    expect(state.history.filter((entry) => entry.from === 'user')).toHaveLength(1);
  });

  it('joins retries that arrive while the first delivery is still being answered', async () => {
    const { wechat, engine, api } = await startWechatHarness({ replyBudgetMs: 3000 });
    budgetNeverRunsOut();
    const dispatches = watchCalls(InboundDispatcher.prototype, 'dispatch');
    engine.hold();
    const xml = wechat.textXml('oImpatient', '忘记密码了怎么办');
    // WeChat retries the same MsgId while the engine is still working on the first delivery.
    const attempts = [wechat.push(xml)];
    await engine.received(1);
    attempts.push(wechat.push(xml));
    await dispatches.untilStarted(2);
    attempts.push(wechat.push(xml));
    await dispatches.untilStarted(3);
    engine.release();

    const answers = await Promise.all(attempts);
    expect(engine.calls).toHaveLength(1);
    // The newest attempt (the one WeChat still listens to) carries the answer; the others say "success".
    expect(answers.map((attempt) => (attempt.reply ? 'reply' : attempt.body))).toEqual(['success', 'success', 'reply']);
    expect(answers[2]!.reply!.Content).toContain('密码');
    expect(api.sendCalls).toEqual([]);
  });

  it('handles events once by FromUserName + CreateTime', async () => {
    const { wechat } = await startWechatHarness();
    budgetNeverRunsOut();
    const createTime = wechat.now();
    const first = await wechat.push(wechat.eventXml('oFollower', 'subscribe', createTime));
    expect(first.reply?.Content).toBeTruthy();
    const retry = await wechat.push(wechat.eventXml('oFollower', 'subscribe', createTime));
    expect(retry.body).toBe('success');
    const later = await wechat.push(wechat.eventXml('oFollower', 'subscribe', createTime + 1));
    expect(later.reply?.Content).toBeTruthy();
  });

  it('forgets delivery keys after ten minutes, when the sweep removes them', async () => {
    const { wechat, storage, service } = await startWechatHarness();
    await wechat.push(wechat.textXml('oSweep', '你好'));
    expect((await storage.collection('wechat-inbound', DELIVERY_RECORDS).page({ limit: 10 })).items).toHaveLength(1);
    service.clock.advanceMinutes(11);
    const ledger = new DeliveryLedger(storage.collection('wechat-inbound', DELIVERY_RECORDS), service.clock.now);
    expect(await ledger.sweep()).toBe(1);
    expect((await storage.collection('wechat-inbound', DELIVERY_RECORDS).page({ limit: 10 })).items).toEqual([]);
  });
});

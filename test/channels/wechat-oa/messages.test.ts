import { describe, expect, it } from 'vitest';
import { startWechatHarness } from './harness.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe('WeChat webhook: message types', () => {
  it('welcomes a new follower with the common topics from the knowledge base', async () => {
    const { wechat, engine, service } = await startWechatHarness();
    const welcome = await wechat.push(wechat.eventXml('oNewFollower', 'subscribe'));
    const knowledge = service.service.context.knowledge;
    expect(welcome.reply?.Content).toContain(knowledge.byId.get('recover.username')!.title);
    expect(welcome.reply?.Content).toContain(knowledge.byId.get('recover.password')!.title);
    expect(engine.calls).toEqual([]);
  });

  it('says nothing to events that need no answer', async () => {
    const { wechat } = await startWechatHarness();
    expect((await wechat.push(wechat.eventXml('oLeaving', 'unsubscribe'))).body).toBe('success');
    expect((await wechat.push(wechat.eventXml('oClicker', 'VIEW'))).body).toBe('success');
  });

  it('answers unsupported message types with a polite text, and reads recognised speech as text', async () => {
    const { wechat, engine, service } = await startWechatHarness();
    const voice = await wechat.push(wechat.otherXml('oTalker', 'voice'));
    expect(voice.reply?.Content).toBe(service.service.context.render('wechat/unsupported', { msgType: 'voice' }));
    const location = await wechat.push(wechat.otherXml('oTalker', 'location'));
    expect(location.reply?.Content).toBe(service.service.context.render('wechat/unsupported', { msgType: 'location' }));
    expect(engine.calls).toEqual([]);

    const recognised = wechat.otherXml('oTalker', 'voice').replace('</xml>', '<Recognition><![CDATA[忘记密码了怎么办]]></Recognition></xml>');
    const answer = await wechat.push(recognised);
    expect(answer.reply?.Content).toContain('密码');
    expect(engine.calls).toEqual([{ channel: 'wechat', userId: 'oTalker', text: '忘记密码了怎么办' }]);
  });

  it('downloads an image through the media API and hands it to the engine as an InboundImage', async () => {
    const { wechat, engine, api } = await startWechatHarness();
    api.media.set('MEDIA_screenshot_1', { type: 'image/png', data: PNG });
    const answer = await wechat.push(wechat.imageXml('oScreenshot', 'MEDIA_screenshot_1'));
    expect(answer.status).toBe(200);
    expect(answer.reply?.Content).toBeTruthy();
    expect(api.mediaRequests).toEqual(['MEDIA_screenshot_1']);
    expect(engine.calls).toHaveLength(1);
    const image = engine.calls[0]!.image!;
    expect(image).toMatchObject({ name: 'MEDIA_screenshot_1.png', type: 'image/png' });
    expect(Buffer.compare(image.data, PNG)).toBe(0);
  });

  it('asks the user to resend an image it could not download, without bothering the engine', async () => {
    const { wechat, engine, service } = await startWechatHarness();
    const answer = await wechat.push(wechat.imageXml('oScreenshot', 'MEDIA_expired'));
    expect(answer.reply?.Content).toBe(service.service.context.render('wechat/image-failed'));
    expect(engine.calls).toEqual([]);
  });
});

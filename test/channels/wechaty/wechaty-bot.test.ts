import { FileBox } from 'file-box';
import { describe, expect, it } from 'vitest';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { wechatyModule } from '../../../src/channels/wechaty/module.js';
import type { Assistant } from '../../../src/conversation/assistant.js';
import { guidedFlowsModule } from '../../../src/conversation/flows/module.js';
import type { InboundMessage } from '../../../src/conversation/types.js';
import { argon2Hasher } from '../../../src/helpdesk/console/agents.js';
import { helpdeskModule } from '../../../src/helpdesk/module.js';
import type { FeatureModule } from '../../../src/feature-module.js';
import { pngImage } from '../../helpdesk/support.js';
import { startTestService } from '../../helpers/test-service.js';
import { MockWechatUser } from './mock-wechat-user.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** The service with a Wechaty bot on a mock puppet, logged in, plus a user who talks to it. */
async function startBot(extra: FeatureModule[] = []) {
  const mocker = new mock.Mocker();
  const puppet = new PuppetMock({ mocker });
  const bot = wechatyModule({ puppet });
  const seen: InboundMessage[] = [];
  const spied: FeatureModule = {
    ...bot,
    install: (app, context, assistant: Assistant) =>
      bot.install?.(app, context, { ...assistant, handle: (message) => (seen.push(message), assistant.handle(message)) }),
  };
  const service = await startTestService({ modules: [guidedFlowsModule(), ...extra, spied] });
  const self = mocker.createContact({ name: '学信网帮助中心' });
  mocker.login(self);
  await waitUntil(() => bot.bot()?.isLoggedIn === true);
  const newUser = (name: string) => new MockWechatUser(mocker, puppet, self, mocker.createContact({ name }));
  return { service, mocker, puppet, self, seen, newUser };
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Wechaty bot (wechaty-puppet-mock)', () => {
  it('answers a question from the knowledge base', async () => {
    const { newUser, seen } = await startBot();
    const user = newUser('张同学');
    const answer = await user.says('忘记密码了怎么办');
    expect(answer).toContain('密码');
    expect(seen).toEqual([{ channel: 'wechaty', userId: user.contact.id, text: '忘记密码了怎么办' }]);
  });

  it('walks a user through recovering a username, one conversation per contact', async () => {
    const { newUser } = await startBot();
    const liMing = newUser('李明');
    const other = newUser('路人');
    const prompt = await liMing.says('忘记用户名了');
    expect(prompt).toMatch(/身份证|证件/);
    // Another contact's message does not disturb 李明's flow.
    expect(await other.says('你好')).not.toContain('139****5678');
    const found = await liMing.says('110105200101011235 李明');
    expect(found).toContain('139****5678');
    expect(found).not.toContain('13912345678');
    expect(found).not.toContain('110105200101011235');
  });

  it('hands an image to the engine as an InboundImage read from the FileBox', async () => {
    const { newUser, seen } = await startBot();
    const user = newUser('王同学');
    const answer = await user.sendsImage(FileBox.fromBase64(PNG.toString('base64'), 'screenshot.png'));
    expect(answer).toBeTruthy();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ channel: 'wechaty', userId: user.contact.id, image: { name: 'screenshot.png', type: 'image/png' } });
    expect(Buffer.compare(seen[0]!.image!.data, PNG)).toBe(0);
  });

  it('sends a screenshot during escalation, and it lands on the ticket', async () => {
    const helpdesk = helpdeskModule({ hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }) });
    const { newUser } = await startBot([helpdesk]);
    const user = newUser('刘同学');
    expect(await user.says('转人工')).toContain('请发送你的学信网用户名');
    expect(await user.says('13912345678')).toContain('请发送问题页面的截图');
    const screenshot = pngImage('登录页.png');
    const afterImage = await user.sendsImage(FileBox.fromBase64(screenshot.data.toString('base64'), '登录页.png'));
    expect(afterImage).toContain('收到截图（已收到 1 张）');
    expect(await user.says('登录时一直提示用户名或密码错误，重置密码也收不到短信')).toContain('请确认工单内容');
    expect(await user.says('1')).toContain('工单已提交');

    const tickets = helpdesk.handle!.tickets;
    const [row] = await tickets.list();
    const ticket = (await tickets.get(row!.id))!;
    expect(ticket).toMatchObject({ channel: 'wechaty', userId: user.contact.id, username: '13912345678' });
    expect(ticket.screenshots).toHaveLength(1);
    expect(ticket.screenshots[0]).toMatchObject({ name: '登录页.png', type: 'image/png' });

    // The agent's answer reaches the contact through the bot.
    expect((await tickets.reply(ticket.id, 'admin', '您好，已为您重置，请重新登录。')).ok).toBe(true);
    expect(await user.nextReply()).toContain('已为您重置');
  });

  it('ignores group chatter, and points a mention in a group to a private chat without running the engine', async () => {
    const { mocker, puppet, self, seen, service } = await startBot();
    const member = mocker.createContact({ name: '群成员' });
    const room = mocker.createRoom({ topic: '考研交流群', memberIdList: [self.id, member.id] });
    const inGroup = new MockWechatUser(mocker, puppet, self, member, room);
    inGroup.sendsOnly('大家好，有人知道怎么找回密码吗');
    const answer = await inGroup.mentionsBot('怎么找回密码');
    expect(answer).toContain(service.service.context.render('wechat/room-private'));
    expect(inGroup.unread).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("delivers an agent's reply to the contact through the bot", async () => {
    const { newUser, service } = await startBot();
    const user = newUser('赵同学');
    await service.service.context.delivery.deliver('wechaty', user.contact.id, [{ type: 'text', text: '客服：您的问题已处理。' }]);
    expect(await user.nextReply()).toBe('客服：您的问题已处理。');
  });

  it('starts from WECHATY_PUPPET with the standard modules, and stops with the service', async () => {
    const service = await startTestService({ env: { WECHATY_PUPPET: 'wechaty-puppet-mock' } });
    expect(service.service.context.delivery.has('wechaty')).toBe(true);
    expect((await fetch(`${service.baseUrl}/healthz`)).status).toBe(200);
  });
});

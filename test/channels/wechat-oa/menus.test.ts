import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWechatApi } from '../../../src/channels/wechat-oa/api-client.js';
import { customMenuFile, loadCustomMenu, toWechatMenu } from '../../../src/channels/wechat-oa/custom-menu.js';
import { createMemoryStorage } from '../../../src/storage/memory-storage.js';
import { createLogger } from '../../../src/logging.js';
import { projectRoot } from '../../../src/config.js';
import { APP_ID, APP_SECRET, BUDGET_MS, pushPastBudget, startWechatHarness } from './harness.js';
import { MockWechatApi } from './mock-wechat-api.js';
import { tempDir } from '../../helpers/temp-dir.js';
import type { WechatServer } from './wechat-server.js';

/** A CLICK on a custom-menu button, as WeChat pushes it. */
function clickXml(wechat: WechatServer, openid: string, eventKey: string): string {
  return wechat.eventXml(openid, 'CLICK').replace('</xml>', `<EventKey><![CDATA[${eventKey}]]></EventKey></xml>`);
}

/** A tap on a msgmenu item: a text message carrying the item's id as `bizmsgmenuid`. */
function menuTapXml(wechat: WechatServer, openid: string, content: string, id: string): string {
  return wechat.textXml(openid, content).replace('</xml>', `<bizmsgmenuid>${id}</bizmsgmenuid></xml>`);
}

describe('WeChat custom menu (自定义菜单) and tappable choices (msgmenu)', () => {
  it('a CLICK on 找回密码 starts password recovery; a topic button answers that topic; an unknown key is explained', async () => {
    const { wechat, engine } = await startWechatHarness();
    const recover = await wechat.push(clickXml(wechat, 'o_menu_user', 'flow:recover-password'));
    expect(recover.status).toBe(200);
    expect(recover.reply?.Content).toMatch(/手机号/);
    expect(engine.calls.at(-1)).toMatchObject({
      channel: 'wechat',
      userId: 'o_menu_user',
      text: '找回密码',
      action: { kind: 'flow', flow: 'recover-password' },
    });

    const topic = await wechat.push(clickXml(wechat, 'o_menu_user_2', 'topic:register.phone-taken'));
    expect(topic.reply?.Content).toMatch(/手机号/);

    const unknown = await wechat.push(clickXml(wechat, 'o_menu_user_3', 'flow:no-such-flow'));
    expect(unknown.reply?.Content).toMatch(/菜单项已经失效/);
  });

  it('options are numbered lines in a passive reply, and tappable msgmenu items (by id) when the answer goes through the API', async () => {
    const harness = await startWechatHarness({ replyBudgetMs: BUDGET_MS });
    const { wechat, api, engine } = harness;
    const passive = await wechat.push(wechat.textXml('o_tapper', '学信网登录不了'));
    expect(passive.reply?.Content).toMatch(/哪一种[\s\S]*\n1\. 忘记用户名\n2\. 忘记密码/);

    // The same kind of answer, too slow for a passive reply: it goes out as one msgmenu.
    expect((await pushPastBudget(harness, wechat.textXml('o_tapper_2', '学信网登录不了'))).body).toBe('success');
    engine.release();
    await api.waitFor(() => api.menuCalls.length === 1);
    const [menu] = api.menuCalls;
    expect(menu!.touser).toBe('o_tapper_2');
    expect(menu!.head).toMatch(/哪一种/);
    expect(menu!.head).not.toMatch(/^1\. /m);
    const forgotPassword = menu!.items.find((item) => item.content === '2. 忘记密码')!;
    expect(forgotPassword.id).toMatch(/^[A-Za-z0-9_-]+$/);

    // A tap comes back as text carrying bizmsgmenuid: resolved by the id, not by the words.
    const picked = await wechat.push(menuTapXml(wechat, 'o_tapper_2', forgotPassword.content, forgotPassword.id));
    expect(picked.reply?.Content).toMatch(/手机号/);
    expect(engine.calls.at(-1)).toMatchObject({ choiceId: forgotPassword.id });

    // That menu is gone now: tapping its first item again never acts on today's step.
    const firstItem = menu!.items[0]!;
    const stale = await wechat.push(menuTapXml(wechat, 'o_tapper_2', firstItem.content, firstItem.id));
    expect(stale.reply?.Content ?? '').not.toMatch(/验证码已发送/);
  });

  it('the menu file is checked against the flows and topics, and publishes through menu/create', async () => {
    const api = await MockWechatApi.start({ appid: APP_ID, secret: APP_SECRET });
    const targets = {
      hasFlow: (name: string) => ['recover-username', 'recover-password', 'bind-account', 'duplicate-id'].includes(name),
      hasTopic: () => true,
    };
    const menu = toWechatMenu(loadCustomMenu(customMenuFile(path.join(projectRoot, 'knowledge')), targets));
    const client = createWechatApi({
      apiBase: api.url,
      appId: APP_ID,
      appSecret: APP_SECRET,
      tokens: createMemoryStorage().documents('wechat-token'),
      clock: () => new Date(),
      logger: createLogger('silent'),
    });
    await client.createMenu(menu);
    expect(api.publishedMenus).toHaveLength(1);
    expect(JSON.stringify(api.publishedMenus[0])).toContain('"key":"flow:recover-password"');

    const dir = tempDir('chsi-menu-');
    const broken = path.join(dir, 'custom-menu.yaml');
    writeFileSync(broken, 'buttons:\n  - name: 注销账号\n    action: flow\n    flow: cancel-account\n');
    expect(() => loadCustomMenu(broken, targets)).toThrow(/custom-menu\.yaml:\n {2}注销账号: no flow named cancel-account/);
  });
});

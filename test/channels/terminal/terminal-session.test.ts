import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InProcessChat, RemoteChat } from '../../../src/channels/terminal/chat-transport.js';
import { TerminalSession } from '../../../src/channels/terminal/terminal-session.js';
import { projectRoot } from '../../../src/config.js';
import { createTextRenderer } from '../../../src/render/renderer.js';
import { startTestService, TEST_CHAT_API_TOKEN } from '../../helpers/test-service.js';

const render = createTextRenderer(path.join(projectRoot, 'templates'));

/** A terminal whose screen is an array of printed blocks. */
function terminal(transport: ConstructorParameters<typeof TerminalSession>[0]) {
  const screen: string[] = [];
  const session = new TerminalSession(transport, render, (text) => screen.push(text));
  /** Types a line and returns what appeared on screen because of it. */
  const types = async (line: string) => {
    const from = screen.length;
    const outcome = await session.handleLine(line);
    return { outcome, shown: screen.slice(from).join('\n') };
  };
  const looksForAgentMessages = async () => {
    const from = screen.length;
    await session.showAgentMessages();
    return screen.slice(from).join('\n');
  };
  return { screen, types, looksForAgentMessages };
}

/** A loopback port nothing listens on (a service that went away). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('terminal chat through a running service', () => {
  it('answers through the integration API and shows what an agent sends later', async () => {
    const service = await startTestService();
    const { types, looksForAgentMessages } = terminal(new RemoteChat(service.baseUrl, TEST_CHAT_API_TOKEN, 'terminal-alice'));

    const answer = await types('收不到验证码怎么办');
    expect(answer.shown).toMatch(/^学信网助手：.*信号/s);

    await service.service.context.delivery.deliver('web', 'terminal-alice', [{ type: 'text', text: '您好，验证码问题已为您处理。' }]);
    expect(await looksForAgentMessages()).toBe('人工客服：您好，验证码问题已为您处理。\n');
    expect(await looksForAgentMessages()).toBe('');
  });

  it('says the service is unreachable instead of crashing, and resends with /retry once it is back', async () => {
    const port = await deadPort();
    const { types, looksForAgentMessages } = terminal(new RemoteChat(`http://127.0.0.1:${port}`, TEST_CHAT_API_TOKEN, 'terminal-bob'));

    expect(await looksForAgentMessages()).toContain('与服务的连接断开了');
    const lost = await types('忘记用户名了');
    expect(lost.outcome).toBe('continue');
    expect(lost.shown).toContain('连不上服务，这条消息没有发出去');
    // Said once, not at every look.
    expect(await looksForAgentMessages()).toBe('');

    await startTestService({ env: { PORT: String(port) } });
    expect(await looksForAgentMessages()).toContain('已重新连上服务。刚才没发出的消息可以输入 /retry 重新发送');
    const resent = await types('/retry');
    expect(resent.shown).toContain('学信网助手：');
    expect((await types('/retry')).shown).toContain('没有需要重新发送的消息');
  });

  it('shows the service’s refusal when the token is wrong', async () => {
    const service = await startTestService();
    const { types } = terminal(new RemoteChat(service.baseUrl, 'not-the-token', 'terminal-carol'));
    expect((await types('你好')).shown).toContain('接口令牌');
  });
});

describe('terminal chat in this process', () => {
  it('answers with the engine here and shows an agent’s message to the terminal user', async () => {
    const service = await startTestService();
    const { types, looksForAgentMessages } = terminal(new InProcessChat(service.service, 'dave'));
    expect((await types('你好')).shown).toContain('学信网助手：');
    await service.service.context.delivery.deliver('terminal', 'dave', [{ type: 'text', text: '工单已处理完毕。' }]);
    expect(await looksForAgentMessages()).toBe('人工客服：工单已处理完毕。\n');
  });

  it('handles commands and a missing image file without sending anything', async () => {
    const service = await startTestService();
    const { types } = terminal(new InProcessChat(service.service, 'erin'));
    expect((await types('/image /no/such/photo.jpg')).shown).toContain('读取图片失败：/no/such/photo.jpg');
    expect((await types('   ')).shown).toBe('');
    expect((await types('/quit')).outcome).toBe('quit');
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConversationState } from '../../../src/conversation/types.js';
import { createLogger } from '../../../src/logging.js';
import { startChat, type Chat } from '../../helpers/transcript.js';

async function onlyOpenTicket(chat: Chat) {
  const tickets = chat.engine.helpdesk!.tickets;
  const rows = await tickets.list({ status: 'open' });
  expect(rows).toHaveLength(1);
  return tickets.get(rows[0]!.id);
}

describe('escalate keeps what the user gave', () => {
  it('keeps a given username when a description mentions another phone, and masks the +86 number', async () => {
    const chat = await startChat({ helpdesk: true, userId: 'slots' });
    await chat.user('转人工').expects('请发送你的学信网用户名');
    await chat.user('我的用户名是13511112222').expects('收到用户名 135****2222');
    await chat.user('没有截图').expects('没有截图也可以提交');

    const summary = await chat.user('我换了手机号 +8613987654321 收不到验证码');
    expect(summary.text).toContain('· 用户名：135****2222');
    expect(summary.text).toContain('· 问题描述：我换了手机号');
    expect(summary.text).toContain('139****4321');
    expect(summary.text).not.toContain('13987654321');
    expect(summary.text).not.toContain('收到用户名 139');

    const stored = JSON.stringify(await chat.session());
    expect(stored).not.toContain('13987654321');

    const created = await chat.user('确认');
    expect(created.text).toContain('工单已提交');
    const ticket = await onlyOpenTicket(chat);
    expect(ticket).toMatchObject({ username: '13511112222' });
    expect(ticket?.description).toContain('收不到验证码');
    expect(ticket?.description).not.toContain('13987654321');
  });

  it('changes the username only when the user says so', async () => {
    const chat = await startChat({ helpdesk: true, userId: 'relabel' });
    await chat.user('转人工');
    await chat.user('13511112222');
    await chat.user('没有截图');
    await chat.user('登录时提示密码错误，可我刚改过密码');
    const corrected = await chat.user('用户名是 13600001111');
    expect(corrected.text).toContain('收到用户名 136****1111');
    expect(corrected.text).toContain('· 用户名：136****1111');
    const changed = await chat.user('2');
    expect(changed.text).toContain('请发送你的学信网用户名');
    await chat.user('13700002222').expects('· 用户名：137****2222');
  });

  it('shows and stores the description as written, full-width punctuation included', async () => {
    const chat = await startChat({ helpdesk: true, userId: 'punctuation' });
    await chat.user('转人工');
    await chat.user('不知道');
    await chat.user('没有截图');
    const summary = await chat.user('注册时提示“已被注册”，错误代码E1023。怎么办？');
    expect(summary.text).toContain('· 问题描述：注册时提示“已被注册”，错误代码E1023。怎么办？');
    await chat.user('确认').expects('工单已提交');
    const ticket = await onlyOpenTicket(chat);
    expect(ticket?.description).toBe('注册时提示“已被注册”，错误代码E1023。怎么办？');
  });

  it('logs a ticket that could not be created, and lets the user try again', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const chat = await startChat({ helpdesk: true, userId: 'desk-down', logger: createLogger('info', sink) });
    const helpdesk = chat.engine.context.helpdesk!;
    const createTicket = helpdesk.createTicket.bind(helpdesk);
    let failing = true;
    helpdesk.createTicket = async (input) => {
      if (failing) throw new Error('ticket store unreachable');
      return createTicket(input);
    };
    await chat.user('转人工');
    await chat.user('不知道');
    await chat.user('没有截图');
    await chat.user('学籍信息一直显示不出来，已经等了一周');

    const refused = await chat.user('1');
    expect(refused.text).toContain('工单暂时没能提交成功');
    expect(refused.flow).toBe('escalate');
    expect(lines.join('\n')).toContain('escalation ticket could not be created');
    expect(lines.join('\n')).toContain('ticket store unreachable');

    failing = false;
    await chat.user('1').expects('工单已提交');
    const state = await chat.session();
    expect((state as ConversationState).handoff).toBeDefined();
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/config.js';
import { z } from 'zod';
import type { FlowSpec, StepDefinition, StepState } from '../../../src/conversation/flows/flow-kit.js';
import { unknownFlowReferences } from '../../../src/conversation/flows/flow-registry.js';
import type { ConversationState } from '../../../src/conversation/types.js';
import { LI_MING } from '../../helpers/demo-core.js';
import { startChat, type Chat } from '../../helpers/transcript.js';

const LEAVE_HINT = '回复“取消”退出';

/** Replaces the stored state of the running flow, as an old version or a damaged store might have left it. */
async function damageStoredFlow(chat: Chat, change: (flow: ConversationState['flows'][number]) => ConversationState['flows'][number]) {
  const sessions = chat.store.documents<ConversationState>('sessions');
  const id = `${chat.channel}:${chat.userId}`;
  await sessions.update(id, (state) => (state ? { ...state, flows: state.flows.map(change) } : state));
}

describe('flows declared as step tables', () => {
  it('cannot leave out a step or a part of one (checked by the compiler)', () => {
    const states = { ask: z.object({ tries: z.number() }), done: z.object({}) };
    type Ask = StepState<'demo', typeof states, 'ask'>;
    const withoutBack = { prompt: () => [], options: () => [], handle: () => ({ status: 'cancelled' as const, replies: [] }) };
    // @ts-expect-error a step without `back` is not a step
    const step: StepDefinition<Ask, Ask> = withoutBack;
    // @ts-expect-error every step named in `states` needs its entry
    const steps: FlowSpec<'demo', typeof states>['steps'] = { ask: step };
    expect(steps).toBeDefined();
    // What is stored is parsed with the step's schema, not trusted.
    expect(states.ask.safeParse({ flow: 'demo', step: 'ask', tries: 'two' }).success).toBe(false);
  });

  it('offers the flows that declared they start from a pasted ID number, phone or e-mail', async () => {
    const chat = await startChat();
    const id = await chat.user(LI_MING.id);
    expect(id.choices.slice(0, 2)).toEqual(['找回用户名（由我一步步带你办理）', '证件号码重复处理（由我一步步带你办理）']);
    const phone = await chat.as('phone-user').user(LI_MING.phone);
    expect(phone.choices.slice(0, 2)).toEqual(['找回密码（由我一步步带你办理）', '绑定学信网账号（由我一步步带你办理）']);
  });

  it('hands 转人工 to the flow that declared itself the human handoff', async () => {
    const chat = await startChat({ helpdesk: true });
    await chat.user('转人工').expects('我来帮你转人工客服');
    expect(chat.flow).toBe('escalate');
    expect(chat.engine.context.flows.get('escalate')?.isHumanHandoff).toBe(true);
    expect([...chat.engine.context.flows.values()].filter((flow) => flow.isHumanHandoff)).toHaveLength(1);
  });

  it('says how to leave with every question a flow asks', async () => {
    const chat = await startChat({ helpdesk: true });
    await chat.user('密码忘了').expects(LEAVE_HINT);
    await chat.user(LI_MING.username).expects(LEAVE_HINT);
    await chat.as('u2').user('忘记用户名了').expects(`${LEAVE_HINT}，回复“转人工”找人工客服`);
    await chat.as('u3').user('我身份证被注册了').expects(LEAVE_HINT);
    const escalate = await chat.as('u4').user('转人工').expects(LEAVE_HINT);
    // The human handoff does not offer itself.
    expect(escalate.text).not.toContain('回复“转人工”');
  });

  it('restarts a flow politely when its stored state no longer parses, and never crashes', async () => {
    const chat = await startChat({ userId: 'damaged' });
    await chat.user('密码忘了');
    await chat.user(LI_MING.username);
    await chat.user('1');
    // The code step lost the account it was for.
    await damageStoredFlow(chat, (flow) => ({ flow: flow.flow, step: flow.step, sentTo: 42 }));
    const answer = await chat.user('123456');
    expect(answer.text).toContain('抱歉，刚才的“找回密码”没能接着办理，我们从头开始');
    expect(answer.text).toContain('请发送你的学信网用户名');
    expect(answer.flow).toBe('recover-password');
    const stored = await chat.session();
    expect(stored?.flows.at(-1)).toMatchObject({ flow: 'recover-password', step: 'ask-username' });
  });

  it('restarts a flow whose stored step no longer exists', async () => {
    const chat = await startChat({ userId: 'unknown-step' });
    await chat.user('忘记用户名了');
    await damageStoredFlow(chat, (flow) => ({ ...flow, step: 'a-step-from-an-old-version' }));
    await chat.user('李明').expects('没能接着办理，我们从头开始');
    expect(chat.flow).toBe('recover-username');
  });

  it('starts bind-account when the user asks for it by name', async () => {
    const chat = await startChat();
    await chat.user('绑定账号').expects('请发送要绑定的学信网用户名');
    expect(chat.flow).toBe('bind-account');
    // A question about binding WeChat is still a question.
    const wechat = await chat.as('other').user('学信网怎么绑定微信登录');
    expect(wechat.flow).toBeNull();
  });

  it('knows every flow the knowledge files name; a name nobody registered is reported', async () => {
    const chat = await startChat({ helpdesk: true });
    const { knowledge, flows } = chat.engine.context;
    expect(unknownFlowReferences(knowledge, flows)).toEqual([]);
    const typo = { entries: [{ ...knowledge.entries[0]!, id: 'recover.typo', flow: { name: 'recover-pasword', start: 'auto' as const } }] };
    expect(unknownFlowReferences(typo, flows)).toEqual([{ entryId: 'recover.typo', flow: 'recover-pasword' }]);
  });
});

describe('limits in flow templates', () => {
  const templateDirs = ['templates/chat/flows', 'templates/helpdesk/escalate'].map((dir) => path.join(projectRoot, dir));
  const files = templateDirs.flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.njk'))
      .map((name) => path.join(dir, name)),
  );

  it.each([
    ['a daily SMS cap', /每天\s*\d+\s*条|limit or \d/],
    ['a resend wait', /\d+\s*秒/],
    ['a password length', /\d+\s*[–-]\s*\d+\s*位/],
    ['a code or link lifetime', /\d+\s*(小时|分钟)内有效/],
    ['a lookup lock', /\d+\s*分钟后/],
  ])('state no figure for %s of their own: it comes from the account core', (_limit, figure) => {
    const stating = files.filter((file) => figure.test(readFileSync(file, 'utf8')));
    expect(stating.map((file) => path.relative(projectRoot, file))).toEqual([]);
  });
});

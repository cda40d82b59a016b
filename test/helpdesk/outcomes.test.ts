import { describe, expect, it } from 'vitest';
import type { EmbeddedAccountCore } from '../../src/account-core/index.js';
import { image, latestCode, LI_MING } from '../conversation/flows/support.js';
import type { ChatUser, TestService } from '../helpers/test-service.js';
import { ADMIN, AgentClient, escalate, startHelpdesk } from './support.js';

/** The new account someone registers with 我要重新注册 on 李明's ID number. */
const NEWCOMER = '13800001234';

/** The user resolves a taken ID number in the chat, up to submitting the two photos. */
async function submitPhotosInChat(user: ChatUser, core: EmbeddedAccountCore): Promise<void> {
  await user.says(`我身份证 ${LI_MING.id} 被注册了`);
  await user.says('2');
  await user.says('1');
  const registered = await core.register({
    username: NEWCOMER,
    password: 'Newpass2024',
    name: '李明',
    idType: 'resident-id',
    idNumber: LI_MING.id,
    phone: NEWCOMER,
    reRegister: true,
  });
  if (!registered.ok) throw new Error(registered.error.code);
  await user.says('注册好了');
  await user.says(NEWCOMER);
  await user.says(await latestCode(core, NEWCOMER));
  await user.says('1');
  await user.sendsImage(image('png'));
  const submitted = await user.sendsImage(image('jpeg'));
  expect(submitted.text).toContain('照片已提交');
}

async function chatInbox(service: TestService, userId: string): Promise<string[]> {
  const response = await fetch(`${service.baseUrl}/api/chat/messages?userId=${userId}`, { headers: service.chatApiHeaders });
  const body = (await response.json()) as { messages: { replies: { text: string }[] }[] };
  return body.messages.flatMap((message) => message.replies.map((reply) => reply.text));
}

describe('outcomes reach the user', () => {
  it('a rejected photo review: the reason and what to do next in the chat, and an SMS in the core’s outbox', async () => {
    const { service, core, baseUrl, handle } = await startHelpdesk({ env: { CHAT_API_TOKEN: 'integration-token' } });
    const user = service.user('review-user');
    await submitPhotosInChat(user, core);

    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const { reviews } = (await admin.json('/api/agent/reviews?status=pending')) as { reviews: { id: string }[] };
    const decided = await admin.post(
      `/api/agent/reviews/${reviews[0]!.id}/decision`,
      { decision: 'reject', reason: '照片模糊，看不清证件号码' },
      { 'x-csrf-token': admin.csrfToken },
    );
    expect(decided.status).toBe(200);

    const inbox = await chatInbox(service, 'review-user');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toContain('你提交的证件照片没有通过审核');
    expect(inbox[0]).toContain('原因：照片模糊，看不清证件号码');
    expect(inbox[0]).toContain('对我说“证件重复”，按提示重新提交');

    const outbox = await core.listOutbox({ recipient: NEWCOMER });
    expect(outbox.ok && outbox.value.messages[0]).toMatchObject({ channel: 'sms', to: NEWCOMER });
    expect(outbox.ok && outbox.value.messages[0]!.body).toContain('未通过审核，原因：照片模糊，看不清证件号码');

    // The page a WeChat template message would link to shows the decision and nothing of the account.
    const token = await handle.links.sign({ kind: 'review', id: reviews[0]!.id });
    const page = await (await fetch(`${baseUrl}/helpdesk/notices/${token}`)).text();
    expect(page).toContain('原因：照片模糊，看不清证件号码');
    expect(page).not.toContain(LI_MING.id);
    expect(page).not.toContain(NEWCOMER);
  });

  it('an approved photo review says the other accounts are cancelled and the new one can log in', async () => {
    const { service, core, baseUrl } = await startHelpdesk({ env: { CHAT_API_TOKEN: 'integration-token' } });
    await submitPhotosInChat(service.user('approved-user'), core);
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const { reviews } = (await admin.json('/api/agent/reviews?status=pending')) as { reviews: { id: string }[] };
    await admin.post(`/api/agent/reviews/${reviews[0]!.id}/decision`, { decision: 'approve' }, { 'x-csrf-token': admin.csrfToken });

    expect((await chatInbox(service, 'approved-user'))[0]).toContain('已审核通过');
    const outbox = await core.listOutbox({ recipient: NEWCOMER });
    expect(outbox.ok && outbox.value.messages[0]!.body).toContain('已审核通过');
  });

  it('closing a ticket nobody answered says so, instead of “已处理完毕”', async () => {
    const { service, handle } = await startHelpdesk({ env: { CHAT_API_TOKEN: 'integration-token' } });
    const id = await escalate(service.user('never-answered'));
    await handle.tickets.close(id, 'admin');
    const [note] = await chatInbox(service, 'never-answered');
    expect(note).toContain(`工单 ${id} 已关闭，客服没有在工单里给你回复`);
    expect(note).not.toContain('已处理完毕');
  });
});

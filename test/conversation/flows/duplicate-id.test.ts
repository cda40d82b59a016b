import { describe, expect, it } from 'vitest';
import { PUBLIC_URL, startChat, startEngine, type Chat } from '../../helpers/transcript.js';
import type { EmbeddedAccountCore } from '../../../src/account-core/index.js';
import { TestClock } from '../../helpers/clock.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { FREE_ID, LI_MING, PENDING_ID, WANG_FANG, createDemoCore, image, latestCode } from './support.js';

/** The new account someone registers with 我要重新注册 on 李明's ID number. */
const NEWCOMER = { phone: '13800001234', name: '李明' };

async function reRegister(core: EmbeddedAccountCore, phone = NEWCOMER.phone, idNumber = LI_MING.id, name = NEWCOMER.name) {
  const registered = await core.register({
    username: phone,
    password: 'Newpass2024',
    name,
    idType: 'resident-id',
    idNumber,
    phone,
    reRegister: true,
  });
  if (!registered.ok) throw new Error(registered.error.code);
}

/** From "my ID is taken" through 我要重新注册 and binding to the resolution menu. */
async function toResolutionMenu(chat: Chat, core: EmbeddedAccountCore) {
  await chat.user(`我身份证 ${LI_MING.id} 被注册了`);
  await chat.user('2');
  await chat.user('1');
  await reRegister(core);
  const binding = await chat.user('注册好了');
  expect(binding.flow).toBe('bind-account');
  await chat.user(NEWCOMER.phone);
  return chat.user(await latestCode(core, NEWCOMER.phone));
}

async function pendingReviewId(core: EmbeddedAccountCore): Promise<string> {
  const listed = await core.listReviews({ status: 'pending' });
  if (!listed.ok || !listed.value.reviews[0]) throw new Error('no pending review');
  return listed.value.reviews[0].id;
}

async function uploadBoth(chat: Chat) {
  await chat.user('1');
  await chat.sendImage(image('png'));
  return chat.sendImage(image('jpeg'));
}

describe('duplicate-id', () => {
  it('starts with the ID number from the first message and explains both paths', async () => {
    const chat = await startChat();
    const answer = await chat.user(`我身份证 ${LI_MING.id} 被注册了`);
    expect(answer.topic).toBe('register.id-taken');
    expect(answer.flow).toBe('duplicate-id');
    expect(answer.text).toContain('证件号码 110***********1235 已经注册过学信网账号');
    expect(answer.choices).toEqual(['是我注册的，找回原账号', '不是我注册的，我要重新注册']);
    expect(answer.text).not.toContain(LI_MING.id);
  });

  it('asks for the ID number when the first message has none, with the precise problem', async () => {
    const chat = await startChat();
    const opening = await chat.user('身份证号被占用了');
    expect(opening.flow).toBe('duplicate-id');
    expect(opening.text).toContain('请发送你的证件号码（身份证号）');
    const bad = await chat.user('110105200101011230');
    expect(bad.text).toContain('最后一位应该是 5');
    const free = await chat.user(FREE_ID);
    expect(free.text).toContain('证件号码 110***********1239 目前没有被注册，可以在学信网正常注册');
    expect(free.flow).toBeNull();
  });

  it('explains an ID number awaiting review', async () => {
    const chat = await startChat();
    await chat.user('身份证号被占用了');
    const pending = await chat.user(PENDING_ID);
    expect(pending.text).toContain('正在等待客服审核，客服审核通过后才能被再次注册');
    expect(pending.text).toContain('用原来的用户名登录');
    expect(pending.choices).toEqual(['我已经重新注册了，继续核验', '是我注册的，找回原账号']);
  });

  it('recovers the old account when it is the user’s own', async () => {
    const chat = await startChat();
    await chat.user(`我身份证 ${LI_MING.id} 被注册了`);
    const askName = await chat.user('1');
    expect(askName.flow).toBe('recover-username');
    expect(askName.text).toContain('已收到证件号码 110***********1235。请再发送注册时填写的姓名');
    const found = await chat.user('李明');
    expect(found.text).toContain('139****5678');
    const done = await chat.user('不用了');
    expect(done.flow).toBeNull();
  });

  it('states the consequences of 我要重新注册 and needs an explicit confirmation', async () => {
    const chat = await startChat();
    await chat.user(`我身份证 ${LI_MING.id} 被注册了`);
    const consequences = await chat.user('不是我注册的，我要重新注册');
    expect(consequences.text).toContain('旧账号会被注销');
    expect(consequences.text).toContain('不能再用于研招报名、征兵报名');
    expect(consequences.text).toContain('确认要重新注册吗');
    expect(consequences.choices).toEqual(['确认，我要重新注册', '再想想']);

    const unclear = await chat.user('随便吧');
    expect(unclear.text).toContain('这一步需要你明确确认');

    const back = await chat.user('返回');
    expect(back.text).toContain('已经注册过学信网账号');
    await chat.user('2');
    const reconsidered = await chat.user('再想想');
    expect(reconsidered.text).toContain('好的，先不重新注册');
    expect(reconsidered.choices).toEqual(['是我注册的，找回原账号', '不是我注册的，我要重新注册']);

    await chat.user('2');
    const guide = await chat.user('确认');
    expect(guide.text).toContain('勾选“我要重新注册”');
    // A one-time link: the registration page opens only with a token the core issued.
    expect(guide.text).toMatch(new RegExp(`${PUBLIC_URL}/core/register/[\\w-]{40,}`));
    expect(guide.choices).toEqual(['我已经重新注册了，继续核验']);
  });

  it('binds the new account after re-registration and offers the ways to resolve', async () => {
    const chat = await startChat({ userId: 'd1' });
    const { core } = chat;
    const menu = await toResolutionMenu(chat, core);
    expect(menu.text).toContain('绑定成功！当前对话已绑定学信网账号 138****1234');
    expect(menu.text).toContain('需要先解决证件号码重复的问题');
    expect(menu.flow).toBe('duplicate-id');
    expect(menu.choices).toEqual(['上传手持身份证照片（客服审核）', '请同班同学协助', '查询审核进度']);
    const progress = await chat.user('3');
    expect(progress.text).toContain('审核状态：还没有提交审核');
  });

  it('takes the two photos in the chat, with precise messages for format and size', async () => {
    const chat = await startChat({ userId: 'd2' });
    const { core } = chat;
    await toResolutionMenu(chat, core);
    const requirements = await chat.user('1');
    expect(requirements.text).toContain('只支持 jpg、jpeg、png、gif 格式，每张不超过 300KB');
    expect(requirements.text).toContain('今天还可以上传 3 次，累计还可以上传 5 次');
    expect(requirements.text).toContain('请发送手持身份证正面头部照');

    const pdf = await chat.sendImage(image('pdf'));
    expect(pdf.text).toContain('正面照片的格式不支持');
    const text = await chat.user('好了');
    expect(text.text).toContain('这一步需要你发送手持身份证正面头部照');

    const front = await chat.sendImage(image('png'));
    expect(front.text).toContain('已收到正面照片');
    expect(front.text).toContain('请发送手持身份证背面头部照');
    const large = await chat.sendImage(image('jpeg', 400 * 1024));
    expect(large.text).toContain('背面照片有 400KB，超过了每张 300KB 的上限');
    const submitted = await chat.sendImage(image('jpeg'));
    expect(submitted.text).toContain('照片已提交，审核状态：待审核');
    expect(submitted.text).toContain('三个工作日内');
    expect(submitted.flow).toBeNull();
    await pendingReviewId(core);
  });

  it('maps the core’s refusal of one photo on submission, keeps the other and asks again', async () => {
    const clock = new TestClock();
    const demo = await createDemoCore(clock);
    let refuseOnce = true;
    // Flows get the core acting for their user: the refusal goes into that scoped core.
    const core: EmbeddedAccountCore = {
      ...demo,
      forEndUser(endUserId) {
        const scoped = demo.forEndUser(endUserId);
        return {
          ...scoped,
          async submitPhotoReview(input) {
            if (!refuseOnce) return scoped.submitPhotoReview(input);
            refuseOnce = false;
            return { ok: false, error: { code: 'image_too_large', message: '', details: { side: 'front', sizeKb: 310, maxKb: 300 } } };
          },
        };
      },
    };
    const chat = await startChat({ clock, core, userId: 'd10' });
    await toResolutionMenu(chat, core);
    const refused = await uploadBoth(chat);
    expect(refused.text).toContain('正面照片有 310KB，超过了每张 300KB 的上限');
    expect(refused.text).toContain('请发送手持身份证正面头部照');
    const submitted = await chat.sendImage(image('png'));
    expect(submitted.text).toContain('照片已提交，审核状态：待审核');
  });

  it('reports progress: 待审核, 审核失败 with the reason, 已通过', async () => {
    const chat = await startChat({ userId: 'd3' });
    const { core } = chat;
    await toResolutionMenu(chat, core);
    await uploadBoth(chat);

    await chat.user('身份证重复的审核进度在哪看');
    const pending = await chat.user('1');
    expect(pending.flow).toBeNull();
    expect(pending.text).toContain('审核状态：待审核');

    await core.decideReview({ reviewId: await pendingReviewId(core), decision: 'reject', reason: '照片中身份证信息不清晰', agent: 'agent1' });
    await chat.user('身份证重复的审核进度在哪看');
    const rejected = await chat.user('1');
    expect(rejected.text).toContain('审核状态：审核失败。原因：照片中身份证信息不清晰');
    expect(rejected.text).toContain('今天还可以上传 2 次，累计还可以上传 4 次');
    expect(rejected.choices).toHaveLength(3);

    await uploadBoth(chat);
    await core.decideReview({ reviewId: await pendingReviewId(core), decision: 'approve', agent: 'agent1' });
    await chat.user('身份证重复的审核进度在哪看');
    const approved = await chat.user('1');
    expect(approved.text).toContain('审核状态：已通过');
  });

  it('stops at the daily and the total upload limits', async () => {
    const chat = await startChat({ userId: 'd4' });
    const { core, clock } = chat;
    await toResolutionMenu(chat, core);
    const uploadAndReject = async () => {
      await uploadBoth(chat);
      await core.decideReview({ reviewId: await pendingReviewId(core), decision: 'reject', reason: '照片模糊', agent: 'agent1' });
      await chat.user('身份证号重复');
    };
    for (let i = 0; i < 3; i += 1) await uploadAndReject();
    const daily = await chat.user('1');
    expect(daily.text).toContain('今天的上传次数已经用完（每天最多上传 3 次）');

    clock.advanceMinutes(24 * 60);
    await chat.user('身份证号重复');
    for (let i = 0; i < 2; i += 1) await uploadAndReject();
    const total = await chat.user('1');
    expect(total.text).toContain('累计上传次数已经用完（最多上传 5 次）');
  });

  it('sends a classmate-assistance request and explains each refusal', async () => {
    const chat = await startChat({ userId: 'd5' });
    const { core } = chat;
    await toResolutionMenu(chat, core);
    const intro = await chat.user('2');
    expect(intro.text).toContain('请发送同学的姓名');

    await chat.user('王小芳');
    await chat.user(WANG_FANG.phone);
    const mismatch = await chat.user(NEWCOMER.phone);
    expect(mismatch.text).toContain('手机号 137****1111 绑定的账号姓名和“王小芳”不一致');

    await chat.user('王芳');
    await chat.user('13000000000');
    const notFound = await chat.user(NEWCOMER.phone);
    expect(notFound.text).toContain('没有找到用手机号 130****0000 绑定的学信网账号');

    await reRegister(core, '13900009999', '110105200505051233', '钱多多');
    await chat.user('返回');
    await chat.user('钱多多');
    await chat.user('13900009999');
    const notBound = await chat.user(NEWCOMER.phone);
    expect(notBound.text).toContain('同学钱多多的账号还没有完成实名绑定，不能协助');

    await chat.user('王芳');
    const askOwn = await chat.user(WANG_FANG.phone);
    expect(askOwn.text).toContain('请发送你自己的手机号');
    const sent = await chat.user(NEWCOMER.phone);
    expect(sent.text).toContain('协助请求已发送给同学王芳（137****1111）');
    expect(sent.text).toContain('收件箱');
    expect(sent.flow).toBeNull();

    const inbox = await core.listInbox({ username: WANG_FANG.username });
    const request = inbox.ok ? inbox.value.requests[0] : undefined;
    // The classmate accepts in their own session, proving it with their password.
    await core.respondToAssist({ username: WANG_FANG.username, requestId: request!.id, accept: true, proof: { password: 'Demo@2024b' } });
    await chat.user('身份证重复的审核进度在哪看');
    expect((await chat.user('1')).text).toContain('审核状态：已通过');
  });

  it('stops classmate requests at five a day', async () => {
    const chat = await startChat({ userId: 'd6' });
    const { core } = chat;
    await toResolutionMenu(chat, core);
    for (let i = 0; i < 5; i += 1) {
      await chat.user(i === 0 ? '2' : '身份证号重复');
      if (i > 0) await chat.user('2');
      await chat.user('王芳');
      await chat.user(WANG_FANG.phone);
      expect((await chat.user(NEWCOMER.phone)).text).toContain('协助请求已发送');
    }
    await chat.user('身份证号重复');
    await chat.user('2');
    await chat.user('王芳');
    await chat.user(WANG_FANG.phone);
    const limited = await chat.user(NEWCOMER.phone);
    expect(limited.text).toContain('今天已经发送了 5 条协助请求');
    expect(limited.choices).toHaveLength(3);
  });

  it('answers a question while waiting for a photo, then asks for the photo again', async () => {
    const chat = await startChat({ userId: 'd7' });
    const { core } = chat;
    await toResolutionMenu(chat, core);
    await chat.user('1');
    const interrupted = await chat.user('学信网客服电话多少');
    expect(interrupted.topic).toBe('support.contact');
    expect(interrupted.text).toContain('我们接着刚才的“证件号码重复处理”');
    expect(interrupted.text).toContain('请发送手持身份证正面头部照');
  });

  it('keeps the first photo across a restart and submits after the second', async () => {
    const first = await startEngine({ dataDir: tempDir('chsi-restart-') });
    const chat = first.chat('d8');
    await toResolutionMenu(chat, first.core);
    await chat.user('1');
    await chat.sendImage(image('png'));

    const second = await first.restart();
    const submitted = await second.chat('d8').sendImage(image('jpeg'));
    expect(submitted.text).toContain('照片已提交，审核状态：待审核');
  });

  it('goes back from the second photo to the first, cancels, and expires', async () => {
    const chat = await startChat({ userId: 'd9' });
    const { core, clock } = chat;
    await toResolutionMenu(chat, core);
    await chat.user('1');
    await chat.sendImage(image('png'));
    const back = await chat.user('返回');
    expect(back.text).toContain('请发送手持身份证正面头部照');
    const cancelled = await chat.user('取消');
    expect(cancelled.text).toContain('已退出“证件号码重复处理”');

    await chat.user('身份证号重复');
    clock.advanceMinutes(31);
    const later = await chat.user('1');
    expect(later.text).toContain('“证件号码重复处理”已经超过 30 分钟没有操作');
    expect(later.flow).toBeNull();
  });
});

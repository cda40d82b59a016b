import { describe, expect, it } from 'vitest';
import { predictedTopic } from '../../src/knowledge/evaluate.js';
import { sharedMatcher } from '../helpers/knowledge.js';

// Written for this test only (not training data): services next to ours, asked the way students ask.
const NEAR_DOMAIN: [question: string, entry: string][] = [
  ['HR让我提供学籍的在线验证码，去哪弄', 'near.verification-report'],
  ['学历认证报告大概几个工作日能拿到', 'near.verification-report'],
  ['验证报告到期了想续期', 'near.verification-report'],
  ['学籍验证码怎么查看', 'near.verification-report'],
  ['我是自考的，学信网上查不到学籍', 'near.other-education-records'],
  ['成人高考读的大专，学籍信息一直没有', 'near.other-education-records'],
  ['网络教育毕业的学历学信网怎么搜不到', 'near.other-education-records'],
  ['研究生网上报名从哪天开始', 'near.graduate-admission'],
  ['考研调剂怎么操作', 'near.graduate-admission'],
  ['图片验证码老是提示不正确', 'near.image-captcha'],
  ['登录页面的验证码图片刷不出来', 'near.image-captcha'],
  ['学信网账号是要付钱才能用吗', 'near.fees'],
  ['核对学籍需要交钱不', 'near.fees'],
];

const TRIAGE: [question: string, entry: string][] = [
  ['学信网登不上了', 'triage.cannot-login'],
  ['怎么也登录不进去啊', 'triage.cannot-login'],
  ['注册老是失败', 'triage.cannot-register'],
  ['我的账号出了点问题', 'triage.account-problem'],
  ['我的学信网被盗号了', 'triage.account-stolen'],
  ['想把学信网账号注销了', 'triage.account-deletion'],
];

// Specific questions that share words with the entries above still reach their own topic.
const STILL_SPECIFIC: [question: string, topic: string][] = [
  ['短信验证码一直收不到', 'sms.not-received'],
  ['获取短信验证码提示太频繁', 'sms.limit'],
  ['登录以后看不到我的学籍信息', 'xueji.not-shown'],
  ['研招网能用学信网账号登录吗', 'account.platforms'],
  ['密码忘了登不上去，怎么找回密码', 'recover.password'],
  ['注册时提示证件号码已被注册', 'register.id-taken'],
];

describe('near-domain services, vague complaints and specific questions', () => {
  const { matcher } = sharedMatcher();

  it.each(NEAR_DOMAIN)('"%s" is recognised as a service we do not cover (%s), never a wrong topic', (question, entry) => {
    const match = matcher.match(question);
    expect(predictedTopic(match)).toBeNull();
    expect(match.confident && match.candidates[0]?.id).toBe(entry);
  });

  it.each(TRIAGE)('"%s" is a vague complaint (%s)', (question, entry) => {
    const match = matcher.match(question);
    expect(predictedTopic(match)).toBeNull();
    expect(match.confident && match.candidates[0]?.id).toBe(entry);
  });

  it.each(STILL_SPECIFIC)('"%s" still gets %s', (question, topic) => {
    expect(predictedTopic(matcher.match(question))).toBe(topic);
  });
});

describe('what the near-domain and triage entries say', () => {
  const { knowledge } = sharedMatcher();

  it('every service we do not cover says so and names the hotline and the mailbox from the source documents', () => {
    const declines = knowledge.entries.filter((entry) => entry.kind === 'near-domain');
    expect(declines.length).toBeGreaterThanOrEqual(4);
    for (const entry of declines) {
      expect(entry.answer, entry.id).toContain('010-67410388');
      expect(entry.answer, entry.id).toContain('kefu@chsi.com.cn');
      expect(entry.answer, entry.id).toMatch(/不在我这里|没有.*资料/);
    }
  });

  it('every clarifying question ends with a way to a human, and theft and deletion go to one directly', () => {
    for (const entry of knowledge.entries.filter((e) => e.kind === 'triage' && !e.handoff)) {
      expect(entry.options.at(-1)?.human, entry.id).toBe(true);
    }
    expect(knowledge.byId.get('triage.account-stolen')?.handoff).toBe(true);
    expect(knowledge.byId.get('triage.account-deletion')?.handoff).toBe(true);
  });
});

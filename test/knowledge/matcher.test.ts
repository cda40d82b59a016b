import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config.js';
import { evaluate, predictedTopic } from '../../src/knowledge/evaluate.js';
import { devSetFile, readLabelled, sharedMatcher } from '../helpers/knowledge.js';

const { matcher } = sharedMatcher();
const answer = (q: string) => predictedTopic(matcher.match(q));

describe('matching questions to topics', () => {
  it('answers plain, colloquial and traditional phrasings', () => {
    expect(answer('忘记用户名了怎么办')).toBe('recover.username');
    expect(answer('忘記帳號了怎麼辦')).toBe('recover.username');
    expect(answer('收不到驗證碼')).toBe('sms.not-received');
    expect(answer('注册时提示证件号码已被注册')).toBe('register.id-taken');
  });

  it('reads through homophone typos', () => {
    expect(matcher.match('秘码忘了').analyzed.normalized).toBe('密码忘了');
    expect(answer('秘码忘了')).toBe('recover.password');
    expect(answer('验正码收不到')).toBe('sms.not-received');
    expect(answer('用护名忘了')).toBe('recover.username');
  });

  it('matches with the pasted ID number taken out first', () => {
    const match = matcher.match('我身份证 110105200101011235 被注册了');
    expect(match.analyzed.entities.idNumbers[0]?.value).toBe('110105200101011235');
    expect(match.analyzed.normalized).not.toMatch(/\d/);
    expect(predictedTopic(match)).toBe('register.id-taken');
  });

  it('declines questions outside the catalogue instead of guessing', () => {
    for (const q of ['今天天气怎么样', '帮我写一篇作文', '四六级成绩怎么查', '学历认证报告多少钱', 'asdfghjkl']) {
      expect(answer(q), q).toBeNull();
    }
  });

  it('keeps normal words as they are (no false typo correction)', () => {
    expect(matcher.match('登录状态下想改密码').analyzed.normalized).toBe('登录状态下想改密码');
    expect(matcher.match('公众号里找不到找回密码').analyzed.normalized).toBe('公众号里找不到找回密码');
  });

  const dev = devSetFile();
  it.runIf(dev)('scores at least 95% overall on the shared example questions', () => {
    const report = evaluate(matcher, readLabelled(dev!));
    expect(report.overall).toBeGreaterThanOrEqual(95);
    expect(report.oosRejected).toBeGreaterThanOrEqual(90);
  });

  it('generalises to independently written paraphrases (typos, traditional, pasted numbers)', () => {
    const report = evaluate(matcher, readLabelled(path.join(projectRoot, 'test', 'fixtures', 'paraphrases.jsonl')));
    expect(report.top1).toBeGreaterThanOrEqual(93);
    expect(report.oosRejected).toBeGreaterThanOrEqual(95);
  });
});

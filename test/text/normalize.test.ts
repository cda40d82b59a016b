import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import OpenCC from 'opencc-js';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config.js';
import { checkIdNumber, toEighteenDigit, toFifteenDigit } from '../../src/domain/id-number.js';
import { maskEmail, maskIdNumber, maskPhone, maskUsername, redactSensitive } from '../../src/privacy/mask.js';
import { extractEntities } from '../../src/text/entities.js';
import { normalizeForMatching, stripNoise, toHalfWidth, toSimplified } from '../../src/text/normalize.js';

describe('normalisation', () => {
  it('turns traditional Chinese into simplified, including Taiwan wording', () => {
    expect(toSimplified('忘記帳號怎麼辦')).toBe('忘记帐号怎么办');
    expect(toSimplified('學信網密碼')).toBe('学信网密码');
  });

  it('gives what the converter gives for every question of the eval sets, skipping it only where nothing would change', () => {
    const converter = OpenCC.Converter({ from: 'tw', to: 'cn' });
    const lines = ['../shared/eval/dev.jsonl', 'test/fixtures/paraphrases.jsonl']
      .map((file) => path.join(projectRoot, file))
      .filter((file) => existsSync(file))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').filter(Boolean));
    const texts = [...lines.map((line) => (JSON.parse(line) as { q: string }).q), '乾隆年間的著作裡', '什麼時候可以回覆', '纔收到'];
    for (const text of texts) expect(toSimplified(text), text).toBe(converter(text));
  });

  it('turns full-width letters, digits and spaces into half-width', () => {
    expect(toHalfWidth('ＡＢＣ１２３　ｘ')).toBe('ABC123 x');
  });

  it('strips punctuation, spaces and emoji', () => {
    expect(stripNoise('密码 忘了！！😭，怎么办？？')).toBe('密码忘了怎么办');
    expect(normalizeForMatching(' 收不到 驗證碼…… 😅 ')).toBe('收不到验证码');
    expect(normalizeForMatching('ＧＩＦ？')).toBe('gif');
  });
});

describe('entities', () => {
  it('takes out ID numbers, phones and e-mail addresses, even with spaces or full-width digits', () => {
    const { rest, entities } = extractEntities('我身份证 110105 20010101 1235 被注册了，手机１３９１２３４５６７８，邮箱 Li@Example.com');
    expect(entities.idNumbers.map((id) => id.value)).toEqual(['110105200101011235']);
    expect(entities.idNumbers[0]!.check.ok).toBe(true);
    expect(entities.phones).toEqual(['13912345678']);
    expect(entities.emails).toEqual(['li@example.com']);
    expect(rest).not.toMatch(/\d{6}/);
    expect(rest).toContain('被注册了');
  });

  it('keeps a malformed ID number with the reason it is wrong', () => {
    const { entities } = extractEntities('110105200101011234');
    expect(entities.idNumbers[0]!.check).toEqual({ ok: false, problem: { kind: 'check-digit', expected: '5' } });
  });

  it('recognises a lowercase x and a 6-digit code', () => {
    const { entities } = extractEntities('11010519491231002x 验证码 123456');
    expect(entities.idNumbers[0]!.value).toBe('11010519491231002X');
    expect(entities.codes).toEqual(['123456']);
  });
});

describe('ID numbers (GB 11643)', () => {
  it('accepts valid numbers and says exactly what is wrong with invalid ones', () => {
    expect(checkIdNumber('110105200101011235')).toMatchObject({ ok: true, format: '18' });
    expect(checkIdNumber('11010519491231002x')).toMatchObject({ ok: true, value: '11010519491231002X' });
    expect(checkIdNumber('１１０１０５２００１０１０１１２３５')).toMatchObject({ ok: true });
    expect(checkIdNumber('11010520010101123')).toEqual({ ok: false, problem: { kind: 'length', length: 17 } });
    expect(checkIdNumber('110105200102301235')).toEqual({ ok: false, problem: { kind: 'birth-date' } });
    expect(checkIdNumber('110105200101011236')).toEqual({ ok: false, problem: { kind: 'check-digit', expected: '5' } });
    expect(checkIdNumber('990105200101011235')).toEqual({ ok: false, problem: { kind: 'region' } });
    expect(checkIdNumber('11010520010101123A')).toEqual({ ok: false, problem: { kind: 'characters' } });
  });

  it('accepts the 15-digit first-generation form and converts between forms', () => {
    expect(toFifteenDigit('110105200101011235')).toBe('110105010101123');
    expect(checkIdNumber('110105850101123')).toMatchObject({ ok: true, format: '15', birthDate: '19850101' });
    expect(toEighteenDigit('110105850101123')).toMatch(/^11010519850101123[\dX]$/);
  });

  it('accepts other document types as letters and digits', () => {
    expect(checkIdNumber('E12345678', 'other')).toMatchObject({ ok: true, format: 'other' });
    expect(checkIdNumber('护照', 'other')).toEqual({ ok: false, problem: { kind: 'characters' } });
  });
});

describe('masking (CONTRACT.md)', () => {
  it('masks phones, e-mails and ID numbers as the contract shows', () => {
    expect(maskPhone('13912345678')).toBe('139****5678');
    expect(maskEmail('liming@example.com')).toBe('l***@example.com');
    expect(maskIdNumber('110105200101011235')).toBe('110***********1235');
    expect(maskUsername('wangfang@example.com')).toBe('w***@example.com');
    expect(maskUsername('440306200203154564')).toBe('440***********4564');
  });

  it('redacts every ID number, phone, code and reset token in free text', () => {
    const text = redactSensitive('身份证110105200101011235，手机 139 1234 5678，验证码 654321，链接 http://x/core/reset/abcdefghijklmnop');
    expect(text).not.toMatch(/110105200101011235|13912345678|654321|abcdefghijklmnop/);
    expect(text).toContain('110***********1235');
    expect(text).toContain('139****5678');
  });
});

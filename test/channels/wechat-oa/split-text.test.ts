import { describe, expect, it } from 'vitest';
import { splitByBytes } from '../../../src/channels/wechat-oa/split-text.js';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('splitByBytes', () => {
  it('keeps a short text whole', () => {
    expect(splitByBytes('你好\n第二行')).toEqual(['你好\n第二行']);
    expect(splitByBytes('   \n')).toEqual([]);
  });

  it('splits on line boundaries, by UTF-8 bytes rather than characters', () => {
    const line = '账'.repeat(300); // 900 bytes
    const parts = splitByBytes([line, line, line].join('\n'), 2048);
    expect(parts).toEqual([`${line}\n${line}`, line]);
  });

  it('cuts an over-long line between characters, never inside one (emoji included)', () => {
    const text = '😀'.repeat(600) + '中'.repeat(10); // 2400 + 30 bytes, one line
    const parts = splitByBytes(text, 2048);
    for (const part of parts) {
      expect(bytes(part)).toBeLessThanOrEqual(2048);
      expect(part).not.toMatch(/\uFFFD/);
    }
    expect(parts.join('')).toBe(text);
  });

  it('drops blank lines at the cut', () => {
    const paragraph = 'a'.repeat(1500);
    expect(splitByBytes(`${paragraph}\n\n${paragraph}`, 2048)).toEqual([paragraph, paragraph]);
  });
});

import { describe, expect, it } from 'vitest';
import { CommandWords } from '../../../src/conversation/commands.js';
import { loadFlowWords } from '../../../src/conversation/flows/flow-words.js';
import { readName } from '../../../src/conversation/flows/identity-input.js';
import { knowledgeDir, sharedMatcher } from '../../helpers/knowledge.js';

describe('reading a name from a reply', () => {
  const words = loadFlowWords(knowledgeDir, new CommandWords(sharedMatcher().knowledge.lexicon.commands));

  it.each([
    ['李明', '李明'],
    ['李 明', '李明'],
    ['我叫孙丽', '孙丽'],
    ['姓名：欧阳娜娜', '欧阳娜娜'],
    ['姓名 王芳，身份证号 110101200202020207', '王芳'],
    ['您好，张伟', '张伟'],
    ['110105200101011235 李明', '李明'],
    ['张三 手机号13900001111', '张三'],
    ['我的名字是乌兰其其格', '乌兰其其格'],
    ['乌兰其其格', '乌兰其其格'],
    ['阿卜杜·热合曼', '阿卜杜·热合曼'],
    ['我叫Alice', 'Alice'],
  ])('"%s" gives the name %s', (reply, name) => {
    expect(readName(reply, words)).toBe(name);
  });

  it.each([
    '邮箱已经注册，正在等待激活',
    '姓名格式有误',
    '名字里有个生僻字打不出来',
    '校验码过期 激活不了',
    '给我讲个笑话',
    '新生入学 学籍怎么查 具体步骤',
    '一加一等于几',
    '不知道',
  ])('"%s" is a sentence, not a name', (reply) => {
    expect(readName(reply, words)).toBeUndefined();
  });
});

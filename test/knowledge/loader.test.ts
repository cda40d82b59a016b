import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KnowledgeError, loadKnowledge } from '../../src/knowledge/loader.js';
import { tempDir } from '../helpers/temp-dir.js';
import { knowledgeDir } from '../helpers/knowledge.js';

function copyOfKnowledge(): string {
  const dir = path.join(tempDir(), 'knowledge');
  cpSync(knowledgeDir, dir, { recursive: true });
  return dir;
}

describe('knowledge loading', () => {
  it('loads every entry of the shipped knowledge base', () => {
    const kb = loadKnowledge(knowledgeDir);
    expect(kb.entries.length).toBeGreaterThanOrEqual(37);
    expect(kb.lexicon.synonyms.groups.length).toBeGreaterThan(5);
    expect(kb.outOfScope.length).toBeGreaterThan(50);
  });

  it('stops with the file and the field when an entry is broken', () => {
    const dir = copyOfKnowledge();
    writeFileSync(
      path.join(dir, 'topics', 'broken.yaml'),
      'id: broken.topic\ntitle: 坏掉的条目\nanswer: 答案\nquestions:\n  - 只有一个问题\n',
    );
    expect(() => loadKnowledge(dir)).toThrowError(KnowledgeError);
    expect(() => loadKnowledge(dir)).toThrowError(/topics\/broken\.yaml[\s\S]*questions: Array must contain at least 3/);
  });

  it('names an unknown field and a wrong flow name', () => {
    const dir = copyOfKnowledge();
    writeFileSync(
      path.join(dir, 'topics', 'typo.yaml'),
      'id: typo.topic\ntitle: 标题\nanswer: 答案\nquestions: [一二, 三四, 五六]\nflow: {name: Fly Away!, start: auto}\nanwser: 拼错\n',
    );
    let message = '';
    try {
      loadKnowledge(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('topics/typo.yaml');
    expect(message).toContain('flow.name');
    expect(message).toMatch(/anwser/);
  });

  it('rejects YAML that does not parse, a duplicate id, and an unknown related topic', () => {
    let dir = copyOfKnowledge();
    writeFileSync(path.join(dir, 'topics', 'bad.yaml'), 'id: [unclosed\n');
    expect(() => loadKnowledge(dir)).toThrowError(/topics\/bad\.yaml is invalid:\s+not valid YAML/);

    dir = copyOfKnowledge();
    cpSync(path.join(dir, 'topics', 'recover.username.yaml'), path.join(dir, 'topics', 'zz-copy.yaml'));
    expect(() => loadKnowledge(dir)).toThrowError(/zz-copy\.yaml[\s\S]*id: "recover\.username" is already used/);

    dir = copyOfKnowledge();
    writeFileSync(
      path.join(dir, 'topics', 'zz-rel.yaml'),
      'id: zz.rel\ntitle: 标题\nanswer: 答案\nquestions: [一二, 三四, 五六]\nrelated: [no.such-topic]\n',
    );
    expect(() => loadKnowledge(dir)).toThrowError(/related\[0\]: unknown topic id "no\.such-topic"/);
  });

  it('requires the lexicon files', () => {
    const dir = copyOfKnowledge();
    rmSync(path.join(dir, 'lexicon', 'commands.yaml'));
    expect(() => loadKnowledge(dir)).toThrowError(/commands\.yaml/);
  });
});

describe('entry lists: triage, near-domain and personal status', () => {
  it('loads each kind from its own file', () => {
    const kb = loadKnowledge(knowledgeDir);
    expect(kb.byId.get('triage.cannot-login')?.kind).toBe('triage');
    expect(kb.byId.get('triage.account-stolen')?.handoff).toBe(true);
    expect(kb.byId.get('near.image-captcha')?.kind).toBe('near-domain');
    expect(kb.byId.get('status.ticket')?.status).toBe('ticket');
    expect(kb.byId.get('dupid.progress')?.status).toBe('review');
  });

  it('names a triage option that points nowhere, or a triage entry without options', () => {
    const dir = copyOfKnowledge();
    writeFileSync(
      path.join(dir, 'triage.yaml'),
      'entries:\n  - id: triage.broken\n    kind: triage\n    title: 坏了\n    answer: 哪一种？\n    questions: [一二, 三四, 五六]\n    options:\n      - {label: 不存在的, topic: no.such-topic}\n      - {label: 转人工, human: true}\n',
    );
    expect(() => loadKnowledge(dir)).toThrowError(/options\[0\]\.topic: unknown topic id "no\.such-topic"/);
    writeFileSync(path.join(dir, 'triage.yaml'), 'entries:\n  - id: triage.empty\n    kind: triage\n    title: 空的\n    answer: 哪一种？\n    questions: [一二, 三四, 五六]\n');
    expect(() => loadKnowledge(dir)).toThrowError(/triage\.yaml[\s\S]*at least two options/);
  });

  it('reads only entry folders: other data under knowledge/ is left to its own loader', () => {
    const dir = copyOfKnowledge();
    mkdirSync(path.join(dir, 'elsewhere'), { recursive: true });
    writeFileSync(path.join(dir, 'elsewhere', 'menu.yaml'), 'buttons: []\n');
    expect(() => loadKnowledge(dir)).not.toThrow();
  });
});

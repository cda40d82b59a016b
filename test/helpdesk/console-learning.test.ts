import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it, onTestFinished } from 'vitest';
import { InProcessMessageBus } from '../../src/coordination/message-bus.js';
import { LearningDesk } from '../../src/helpdesk/console/learning.js';
import { loadKnowledge } from '../../src/knowledge/loader.js';
import { Matcher } from '../../src/knowledge/matcher.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ADMIN, AgentClient, createAgent, startHelpdesk } from './support.js';

const PROJECT_KNOWLEDGE = path.resolve(import.meta.dirname, '../../knowledge');
const QUESTION = '手机号换了以前的号收不到东西咋办';

/** A copy of the project's knowledge/ the test may write to. */
function knowledgeCopy(): string {
  const dir = tempDir('chsi-knowledge-');
  cpSync(PROJECT_KNOWLEDGE, dir, { recursive: true });
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('learning from unanswered questions', () => {
  it('an accepted example changes the running matcher’s answer to that question, without a restart', async () => {
    const dir = knowledgeCopy();
    const knowledge = loadKnowledge(dir);
    const matcher = new Matcher(knowledge);
    const storage = createMemoryStorage();
    await storage.ready();
    onTestFinished(() => storage.close());
    const desk = new LearningDesk({ storage, knowledgeDir: dir, knowledge, matcher, clock: () => new Date('2026-11-23T02:00:00Z') });

    // Before: the assistant is unsure and falls back.
    expect(matcher.match(QUESTION).confident).toBe(false);

    const proposed = await desk.propose({ kind: 'example', question: QUESTION, topic: 'account.modify' }, 'agent1');
    expect(proposed.ok).toBe(true);
    // Proposing alone teaches nothing: an admin has to accept it.
    expect(matcher.match(QUESTION).confident).toBe(false);

    const accepted = await desk.decide(proposed.ok ? proposed.value.id : '', 'admin', true);
    expect(accepted).toMatchObject({ ok: true, value: { state: 'accepted', decidedBy: 'admin' } });
    const answer = matcher.match(QUESTION);
    expect(answer.confident).toBe(true);
    expect(answer.candidates[0]?.id).toBe('account.modify');
    expect(knowledge.byId.get('account.modify')?.questions).toContain(QUESTION);

    // Stored in knowledge/learned/, so a restart loads it too.
    const file = YAML.parse(readFileSync(path.join(dir, 'learned', 'account.modify.yaml'), 'utf8'));
    expect(file).toEqual({ topic: 'account.modify', questions: [QUESTION] });
    expect(new Matcher(loadKnowledge(dir)).match(QUESTION).candidates[0]?.id).toBe('account.modify');

    // Deciding twice, or an unknown topic, is refused as a value.
    expect(await desk.decide(accepted.ok ? accepted.value.id : '', 'admin', true)).toMatchObject({ ok: false, error: 'already-decided' });
    expect(await desk.propose({ kind: 'example', question: QUESTION, topic: 'no.such-topic' }, 'agent1')).toMatchObject({
      ok: false,
      error: 'unknown-topic',
    });
  });

  it('another instance sharing the knowledge folder reloads when it hears of the accepted example', async () => {
    const dir = knowledgeCopy();
    const storage = createMemoryStorage();
    await storage.ready();
    onTestFinished(() => storage.close());
    const bus = new InProcessMessageBus(); // stands in for the Redis the instances share
    const instance = () => {
      const knowledge = loadKnowledge(dir);
      const matcher = new Matcher(knowledge);
      return { matcher, desk: new LearningDesk({ storage, knowledgeDir: dir, knowledge, matcher, clock: () => new Date(), bus }) };
    };
    const here = instance();
    const there = instance();
    onTestFinished(await there.desk.listen());

    const proposed = await here.desk.propose({ kind: 'example', question: QUESTION, topic: 'account.modify' }, 'agent1');
    await here.desk.decide(proposed.ok ? proposed.value.id : '', 'admin', true);
    expect(there.matcher.match(QUESTION).candidates[0]?.id).toBe('account.modify');
    expect(there.matcher.match(QUESTION).confident).toBe(true);
  });

  it('a rejected example leaves the knowledge files alone', async () => {
    const dir = knowledgeCopy();
    const knowledge = loadKnowledge(dir);
    const storage = createMemoryStorage();
    await storage.ready();
    onTestFinished(() => storage.close());
    const desk = new LearningDesk({ storage, knowledgeDir: dir, knowledge, matcher: new Matcher(knowledge), clock: () => new Date() });
    const proposed = await desk.propose({ kind: 'example', question: '档案里的照片能不能换', topic: 'account.modify' }, 'agent1');
    const rejected = await desk.decide(proposed.ok ? proposed.value.id : '', 'admin', false);
    expect(rejected).toMatchObject({ ok: true, value: { state: 'rejected' } });
    expect(existsSync(path.join(dir, 'learned'))).toBe(false);
  });

  it('from the unanswered report an agent proposes an example or marks a gap; only an admin accepts', async () => {
    const dir = knowledgeCopy();
    const { service, baseUrl, handle } = await startHelpdesk({ env: { KNOWLEDGE_DIR: dir } });
    await service.user('asker').says(QUESTION);
    await service.user('asker-2').says('学信网可以帮我订火车票吗');
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const agent = await createAgent(admin, 'curator');

    const report = await agent.pageHtml('/console/unanswered');
    expect(report).toContain(QUESTION);
    expect(report).toContain('作为该话题的新问法');

    const proposed = await agent.form('/console/unanswered/proposals', {
      kind: 'example',
      question: QUESTION,
      topic: 'account.modify',
      _csrf: agent.csrfToken,
    });
    expect(proposed.headers.get('location')).toContain('notice=example-proposed');
    const gap = await agent.form('/console/unanswered/proposals', { kind: 'gap', question: '学信网可以帮我订火车票吗', _csrf: agent.csrfToken });
    expect(gap.headers.get('location')).toContain('notice=gap-marked');
    const bad = await agent.form('/console/unanswered/proposals', { kind: 'example', question: QUESTION, topic: 'no.such', _csrf: agent.csrfToken });
    expect(bad.headers.get('location')).toContain('notice=unknown-topic');
    expect(await agent.pageHtml('/console/unanswered')).toContain('已提交新问法，待审核');

    const { items } = await admin.json('/api/agent/learning?state=proposed');
    expect(items).toEqual([expect.objectContaining({ question: QUESTION, topic: 'account.modify', proposedBy: 'curator' })]);
    expect((await admin.json('/api/agent/learning?state=gap')).items).toHaveLength(1);
    const refused = await agent.form(`/console/learning/${items[0].id}/decision`, { decision: 'accept', _csrf: agent.csrfToken });
    expect(refused.status).toBe(403);

    const accepted = await admin.form(`/console/learning/${items[0].id}/decision`, { decision: 'accept', _csrf: admin.csrfToken });
    expect(accepted.headers.get('location')).toContain('notice=example-accepted');
    const answer = await service.user('asker-3').says(QUESTION);
    expect(answer.topic).toBe('account.modify');
    expect((await handle.audit.recent(20)).map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['example-propose', 'content-gap', 'example-accept']),
    );
  });
});

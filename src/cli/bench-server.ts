import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { loadConfig } from '../config.js';
import { conversationIdOf, HISTORY_LIMIT, newConversation } from '../conversation/engine.js';
import type { ConversationState, InboundMessage, TurnResult } from '../conversation/types.js';
import { createService } from '../service.js';
import type { DocumentStore } from '../storage/types.js';

/**
 * A server for `npm run bench`, run in its own process so the load generator's work is not
 * counted in its event loop. `app`: the whole service on a fresh data directory (SQLite, durable
 * commits; or DATABASE_URL when set) with the chat API token and WeChat token the bench passes in
 * its environment. `bare`: an express route that parses the same JSON and returns a fixed reply:
 * the baseline. `stack`: the whole service with the turn replaced by a fixed answer, which tells
 * what the HTTP stack (token check, rate limit, validation, security headers, metrics) costs
 * apart from the turn itself. `stack-match` and `stack-store` replace the turn with one part of
 * it each: the matcher on the message, or reading and durably writing the conversation with a
 * full history (what a turn stores), to show what each part alone costs against the baseline.
 */
async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'bare') {
    const app = express();
    app.post('/api/chat', express.json({ limit: '8mb' }), (req, res) => {
      res.json({ replies: [{ type: 'text', text: String(req.body?.text ?? '') }], topic: null, flow: null, choices: [] });
    });
    const server = app.listen(0, '127.0.0.1', () => report(server.address()));
    return;
  }
  if (!['app', 'stack', 'stack-match', 'stack-store'].includes(mode ?? '')) {
    throw new Error('usage: bench-server app|stack|stack-match|stack-store|bare');
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chsi-bench-'));
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', SMTP_PORT: '0' });
  const service = await createService({ config });
  if (mode !== 'app') {
    const fixed: TurnResult = { replies: [{ type: 'text', text: 'bench' }], topic: null, flow: null, choices: [] };
    const { matcher, storage } = service.context;
    const sessions = storage.documents<ConversationState>('sessions');
    // The routes call the assistant object the service holds, so this replaces every turn.
    service.assistant.handle = async (message: InboundMessage) => {
      if (mode === 'stack-match') matcher.match(message.text ?? '');
      if (mode === 'stack-store') await storeLikeATurn(sessions, message);
      return fixed;
    };
  }
  const stop = () =>
    void service.close().finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await service.listen().then((port) => report({ port }));
}

/** An answer of typical length, as the history keeps it. */
const ANSWER_LINE = '提示“证件号码已被注册”，说明系统里已经有账号用这个证件号码注册过了。'.repeat(3);

/** Reads the conversation and durably stores it with this exchange added, as a turn does. */
async function storeLikeATurn(sessions: DocumentStore<ConversationState>, message: InboundMessage): Promise<void> {
  const now = new Date();
  const id = conversationIdOf(message);
  const state = (await sessions.get(id)) ?? newConversation(message, now);
  state.history.push({ at: now.toISOString(), from: 'user', text: message.text ?? '' });
  state.history.push({ at: now.toISOString(), from: 'assistant', text: ANSWER_LINE, topic: null });
  if (state.history.length > HISTORY_LIMIT) state.history.splice(0, state.history.length - HISTORY_LIMIT);
  state.updatedAt = now.toISOString();
  await sessions.put(id, state);
}

function report(address: unknown): void {
  const port = typeof address === 'object' && address !== null ? (address as { port: number }).port : Number(address);
  process.stdout.write(`BENCH_PORT=${port}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

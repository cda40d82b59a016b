import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { loadConfig } from '../config.js';
import type { TurnResult } from '../conversation/types.js';
import { createService } from '../service.js';

/**
 * A server for `npm run bench`, run in its own process so the load generator's work is not
 * counted in its event loop. `app`: the whole service on a fresh data directory (SQLite, durable
 * commits; or DATABASE_URL when set) with the chat API token and WeChat token the bench passes in
 * its environment. `bare`: an express route that parses the same JSON and returns a fixed reply:
 * the baseline. `stack`: the whole service with the turn replaced by a fixed answer, which tells
 * what the HTTP stack (token check, rate limit, validation, security headers, metrics) costs
 * apart from the turn itself.
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
  if (mode !== 'app' && mode !== 'stack') throw new Error('usage: bench-server app|stack|bare');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chsi-bench-'));
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', SMTP_PORT: '0' });
  const service = await createService({ config });
  if (mode === 'stack') {
    const fixed: TurnResult = { replies: [{ type: 'text', text: 'bench' }], topic: null, flow: null, choices: [] };
    // The routes call the assistant object the service holds, so this replaces every turn.
    service.assistant.handle = () => Promise.resolve(fixed);
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

function report(address: unknown): void {
  const port = typeof address === 'object' && address !== null ? (address as { port: number }).port : Number(address);
  process.stdout.write(`BENCH_PORT=${port}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

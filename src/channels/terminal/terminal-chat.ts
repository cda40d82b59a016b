import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline/promises';
import pino from 'pino';
import { loadConfig } from '../../config.js';
import type { InboundImage, TurnResult } from '../../conversation/types.js';
import { createTextRenderer } from '../../render/renderer.js';
import { createService } from '../../service.js';

/**
 * `npm run chat`: talk to the assistant in a terminal. When the service is already running on
 * PORT, the chat goes through its /api/chat (same state, same data); otherwise the same engine
 * runs in this process, without opening any port.
 */
type Send = (text: string | undefined, image?: InboundImage) => Promise<TurnResult>;

async function main(): Promise<void> {
  const config = loadConfig();
  const render = createTextRenderer(config.templatesDir);
  const url = `http://127.0.0.1:${config.port}`;
  const userId = `terminal-${os.userInfo().username}`;
  let send: Send;
  let close = async () => {};
  if (await isRunning(url)) {
    send = (text, image) => remoteTurn(url, userId, text, image);
    console.log(render('terminal/welcome', { remote: true, url }));
  } else {
    const service = await createService({ config, logger: pino({ level: 'error' }), listeners: false });
    send = (text, image) => service.assistant.handle({ channel: 'terminal', userId, text, image });
    close = () => service.close();
    console.log(render('terminal/welcome', { remote: false, dataDir: config.dataDir }));
  }

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const prompt = render('terminal/prompt');
  const label = render('terminal/assistant');
  try {
    for (;;) {
      let line: string;
      try {
        line = (await rl.question(prompt)).trim();
      } catch {
        break; // end of input
      }
      if (line === '/quit' || line === '/exit') break;
      if (line === '') continue;
      let result: TurnResult;
      if (line.startsWith('/image ')) {
        const file = line.slice('/image '.length).trim();
        let data: Buffer;
        try {
          data = await readFile(file);
        } catch {
          console.log(render('terminal/image-error', { path: file }));
          continue;
        }
        result = await send(undefined, { name: path.basename(file), type: '', data });
      } else {
        result = await send(line);
      }
      for (const reply of result.replies) console.log(`${label}${reply.type === 'text' ? reply.text : reply.url}\n`);
    }
  } finally {
    rl.close();
    await close();
  }
}

async function isRunning(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) });
    return response.ok;
  } catch {
    return false;
  }
}

async function remoteTurn(url: string, userId: string, text: string | undefined, image?: InboundImage): Promise<TurnResult> {
  const body = { userId, text, image: image && { name: image.name, type: image.type, data: image.data.toString('base64') } };
  const response = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const payload = (await response.json()) as TurnResult & { error?: string };
  if (!response.ok) return { replies: [{ type: 'text', text: payload.error ?? String(response.status) }], topic: null, flow: null, choices: [] };
  return payload;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

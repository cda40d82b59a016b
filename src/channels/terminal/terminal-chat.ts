import os from 'node:os';
import readline from 'node:readline';
import pino from 'pino';
import { loadConfig } from '../../config.js';
import { createTextRenderer } from '../../render/renderer.js';
import { createService } from '../../service.js';
import { InProcessChat, RemoteChat, type ChatTransport } from './chat-transport.js';
import { TerminalSession } from './terminal-session.js';

/** How often the terminal looks for messages from agents. */
const AGENT_POLL_MS = 3000;

/**
 * `npm run chat`: talk to the assistant in a terminal. When the service is already running on
 * PORT, the chat goes through its integration API with CHAT_API_TOKEN (same state, same data,
 * and agents' replies); otherwise the same engine runs in this process, without opening any port.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const render = createTextRenderer(config.templatesDir);
  const url = `http://127.0.0.1:${config.port}`;
  const userId = `terminal-${os.userInfo().username}`;
  let transport: ChatTransport;
  if (await isRunning(url)) {
    if (!config.chatApiToken) {
      // The running service holds the data directory, so the engine cannot run here instead.
      console.log(render('terminal/token-needed', { url }));
      process.exitCode = 1;
      return;
    }
    transport = new RemoteChat(url, config.chatApiToken, userId);
    console.log(render('terminal/welcome', { remote: true, url }));
  } else {
    const service = await createService({ config, logger: pino({ level: 'error' }), listeners: false });
    transport = new InProcessChat(service, userId);
    console.log(render('terminal/welcome', { remote: false, dataDir: config.dataDir }));
  }

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  rl.setPrompt(render('terminal/prompt'));
  // Messages that arrive while the user is typing are printed above the prompt, which is redrawn with the typed text.
  const print = (text: string) => {
    if (process.stdout.isTTY) {
      readline.clearLine(process.stdout, 0);
      readline.cursorTo(process.stdout, 0);
    }
    console.log(text);
  };
  const session = new TerminalSession(transport, render, print);
  let busy = false;
  const poller = setInterval(() => {
    if (busy) return;
    busy = true;
    void session.showAgentMessages().finally(() => {
      busy = false;
      rl.prompt(true);
    });
  }, AGENT_POLL_MS);
  try {
    rl.prompt();
    for await (const line of rl) {
      busy = true;
      const next = await session.handleLine(line);
      busy = false;
      if (next === 'quit') break;
      rl.prompt();
    }
  } finally {
    clearInterval(poller);
    rl.close();
    await transport.close();
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

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

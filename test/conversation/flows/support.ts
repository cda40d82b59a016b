import { Writable } from 'node:stream';
import type { EmbeddedAccountCore } from '../../../src/account-core/index.js';
import { createLogger } from '../../../src/logging.js';
import { TestClock } from '../../helpers/clock.js';
import { CHEN_JING, createDemoCore, FREE_ID, latestCode, LI_MING, PENDING_ID, sentCount, WANG_FANG, ZHANG_WEI } from '../../helpers/demo-core.js';
import type { TestService } from '../../helpers/test-service.js';
import { startTestService } from '../../helpers/test-service.js';
import { startEngine, type ChatEngine } from '../../helpers/transcript.js';

export { CHEN_JING, createDemoCore, FREE_ID, latestCode, LI_MING, PENDING_ID, sentCount, WANG_FANG, ZHANG_WEI };

export interface FlowHarness {
  service: TestService;
  core: EmbeddedAccountCore;
  clock: TestClock;
}

/** The whole service over HTTP with the demo core, for the few flow tests that go through /api/chat. */
export async function startWithDemoCore(options: { clock?: TestClock; core?: EmbeddedAccountCore } = {}): Promise<FlowHarness> {
  const clock = options.clock ?? new TestClock();
  const core = options.core ?? (await createDemoCore(clock));
  const service = await startTestService({ clock, core });
  return { service, core, clock };
}

/** The engine (no HTTP) logging every line, as text, at trace level and with the production redaction. */
export async function startWithLogCapture(): Promise<{ engine: ChatEngine; core: EmbeddedAccountCore; logLines: string[] }> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((entry) => entry !== ''),
      );
      done();
    },
  });
  const engine = await startEngine({ logger: createLogger('trace', sink), env: { LOG_LEVEL: 'trace' } });
  return { engine, core: engine.core, logLines };
}

/** A tiny valid image of the given kind, padded to at least `bytes` bytes. */
export function image(kind: 'png' | 'jpeg' | 'pdf', bytes = 2048): { name: string; type: string; data: Buffer } {
  const heads: Record<typeof kind, Buffer> = {
    png: Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex'),
    jpeg: Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
    pdf: Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
  };
  const head = heads[kind];
  const data = Buffer.concat([head, Buffer.alloc(Math.max(0, bytes - head.length))]);
  return { name: `photo.${kind === 'jpeg' ? 'jpg' : kind}`, type: kind === 'pdf' ? 'application/pdf' : `image/${kind}`, data };
}

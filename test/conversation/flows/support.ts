import path from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { onTestFinished } from 'vitest';
import type { EmbeddedAccountCore } from '../../../src/account-core/index.js';
import { loadConfig, projectRoot } from '../../../src/config.js';
import { createLogger } from '../../../src/logging.js';
import { createService } from '../../../src/service.js';
import { createMemoryStorage } from '../../../src/storage/memory-storage.js';
import { TestClock } from '../../helpers/clock.js';
import { CHEN_JING, createDemoCore, FREE_ID, latestCode, LI_MING, PENDING_ID, sentCount, WANG_FANG, ZHANG_WEI } from '../../helpers/demo-core.js';

export { CHEN_JING, createDemoCore, FREE_ID, latestCode, LI_MING, PENDING_ID, sentCount, WANG_FANG, ZHANG_WEI };
import { tempDir } from '../../helpers/temp-dir.js';
import { startTestService, TestService } from '../../helpers/test-service.js';

const DEMO_SEED = path.join(projectRoot, 'src', 'account-core', 'demo-accounts.json');

export interface FlowHarness {
  service: TestService;
  core: EmbeddedAccountCore;
  clock: TestClock;
}

/** The whole service with the demo core; `dataDir` persists conversations for restart tests. */
export async function startWithDemoCore(options: { clock?: TestClock; core?: EmbeddedAccountCore; dataDir?: string } = {}): Promise<FlowHarness> {
  const clock = options.clock ?? new TestClock();
  const core = options.core ?? (await createDemoCore(clock));
  const service = await startTestService({ clock, core, dataDir: options.dataDir });
  return { service, core, clock };
}

/** Every line the service logs, as text, at debug level and with the production redaction. */
export async function startWithLogCapture(clock = new TestClock()): Promise<FlowHarness & { logLines: string[] }> {
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
  const logger: Logger = createLogger('trace', sink);
  const core = await createDemoCore(clock);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: tempDir('chsi-flows-'),
    LOG_LEVEL: 'trace',
    SMTP_PORT: '0',
    ACCOUNT_CORE_SEED: DEMO_SEED,
  });
  const built = await createService({ config, clock: clock.now, logger, storage: createMemoryStorage(), core });
  const port = await built.listen();
  onTestFinished(() => built.close());
  return { service: new TestService(built, clock, `http://127.0.0.1:${port}`, config), core, clock, logLines };
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

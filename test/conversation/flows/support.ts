import path from 'node:path';
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { afterEach } from 'vitest';
import type { EmbeddedAccountCore } from '../../../src/account-core/index.js';
import { loadConfig, projectRoot } from '../../../src/config.js';
import { createLogger } from '../../../src/logging.js';
import { createService } from '../../../src/service.js';
import { createMemoryStorage } from '../../../src/storage/memory-storage.js';
import { TestClock } from '../../helpers/clock.js';
import { createDemoCore } from '../../helpers/demo-core.js';

export { createDemoCore };
import { tempDir } from '../../helpers/temp-dir.js';
import { startTestService, TestService } from '../../helpers/test-service.js';

/** Demo people from src/account-core/demo-accounts.json. */
export const LI_MING = { name: '李明', id: '110105200101011235', username: '13912345678', phone: '13912345678', email: 'liming@example.com' };
export const CHEN_JING = { name: '陈静', id: '440306200203154564', username: '440306200203154564' };
export const WANG_FANG = { name: '王芳', id: '110101200202020207', username: 'wangfang@example.com', phone: '13700001111' };
export const ZHANG_WEI = { name: '张伟', id: '510107200111207896', username: '18800002222', phone: '18800002222' };
export const PENDING_ID = '320102200305052346';
/** A valid resident ID nobody registered. */
export const FREE_ID = '110105199003071239';

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
  afterEach(() => built.close());
  return { service: new TestService(built, clock, `http://127.0.0.1:${port}`, config), core, clock, logLines };
}

/** The newest 6-digit code the core sent to this phone or address, read as the user reads it. */
export async function latestCode(core: EmbeddedAccountCore, recipient: string): Promise<string> {
  const listed = await core.listOutbox({ recipient, limit: 1 });
  if (!listed.ok) throw new Error(`outbox: ${listed.error.code}`);
  const body = listed.value.messages[0]?.body ?? '';
  const code = /\d{6}/.exec(body)?.[0];
  if (!code) throw new Error(`no code sent to ${recipient}`);
  return code;
}

/** How many messages the core has sent to a recipient. */
export async function sentCount(core: EmbeddedAccountCore, recipient: string): Promise<number> {
  const listed = await core.listOutbox({ recipient, limit: 500 });
  return listed.ok ? listed.value.messages.length : 0;
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

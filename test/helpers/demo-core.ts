import path from 'node:path';
import {
  createArgon2Hasher,
  createEmbeddedAccountCore,
  createEmbeddedOutbox,
  seedAccountCore,
  type EmbeddedAccountCore,
} from '../../src/account-core/index.js';
import { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { projectRoot } from '../../src/config.js';
import { createTextRenderer } from '../../src/render/renderer.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import type { Storage } from '../../src/storage/types.js';
import type { TestClock } from './clock.js';

const DEMO_SEED = path.join(projectRoot, 'src', 'account-core', 'demo-accounts.json');

/** The embedded account core on its own storage, seeded with the demo accounts, on the test clock. */
export async function createDemoCore(
  clock: TestClock,
  storage: Storage = createMemoryStorage(),
  calendar = new WorkingDayCalendar(),
): Promise<EmbeddedAccountCore> {
  const core = createEmbeddedAccountCore({
    storage,
    render: createTextRenderer(path.join(projectRoot, 'templates')),
    calendar,
    outbox: createEmbeddedOutbox(storage, clock.now),
    publicUrl: 'http://localhost:3000',
    clock: clock.now,
    // Still argon2id, with costs that keep the suite fast.
    passwordHasher: createArgon2Hasher({ memoryCost: 1024, timeCost: 1 }),
  });
  await seedAccountCore(core, DEMO_SEED, clock.now());
  return core;
}

/** Demo people from src/account-core/demo-accounts.json. */
export const LI_MING = { name: '李明', id: '110105200101011235', username: '13912345678', phone: '13912345678', email: 'liming@example.com' };
export const CHEN_JING = { name: '陈静', id: '440306200203154564', username: '440306200203154564' };
export const WANG_FANG = { name: '王芳', id: '110101200202020207', username: 'wangfang@example.com', phone: '13700001111' };
export const ZHANG_WEI = { name: '张伟', id: '510107200111207896', username: '18800002222', phone: '18800002222' };
export const PENDING_ID = '320102200305052346';
/** A valid resident ID nobody registered. */
export const FREE_ID = '110105199003071239';

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

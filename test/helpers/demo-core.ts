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
export async function createDemoCore(clock: TestClock, storage: Storage = createMemoryStorage()): Promise<EmbeddedAccountCore> {
  const core = createEmbeddedAccountCore({
    storage,
    render: createTextRenderer(path.join(projectRoot, 'templates')),
    calendar: new WorkingDayCalendar(),
    outbox: createEmbeddedOutbox(storage, clock.now),
    publicUrl: 'http://localhost:3000',
    clock: clock.now,
    // Still argon2id, with costs that keep the suite fast.
    passwordHasher: createArgon2Hasher({ memoryCost: 1024, timeCost: 1 }),
  });
  await seedAccountCore(core, DEMO_SEED, clock.now());
  return core;
}

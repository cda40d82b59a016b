import { describe, expect, it, onTestFinished } from 'vitest';
import { UPLOAD_STASH_TTL_MS, UploadStash } from '../../src/helpdesk/escalation/upload-stash.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { TestClock } from '../helpers/clock.js';

async function stashWithClock() {
  const clock = new TestClock();
  clock.set('2026-11-23T02:00:00Z');
  const storage = createMemoryStorage({ clock: clock.now });
  await storage.ready();
  onTestFinished(() => storage.close());
  return { clock, stash: new UploadStash(storage, { clock: clock.now }) };
}

const image = (id: string) => ({ id, name: `${id}.png`, type: 'image/png' as const, data: 'iVBORw0KGgo=' });

describe('upload stashes expire', () => {
  it('removes a stash the user walked away from, and keeps one still in use', async () => {
    const { clock, stash } = await stashWithClock();
    await stash.add('abandoned', image('a1'));
    clock.advance(UPLOAD_STASH_TTL_MS - 60_000);
    await stash.add('active', image('b1'));
    clock.advance(2 * 60_000);

    expect(await stash.sweep()).toBe(1);
    expect(await stash.take('abandoned', ['a1'])).toEqual([]);
    expect(await stash.take('active', ['b1'])).toEqual([image('b1')]);
  });

  it('sweeps hundreds of abandoned stashes in pages', async () => {
    const { clock, stash } = await stashWithClock();
    for (let i = 0; i < 250; i += 1) await stash.add(`c${i}`, image(`i${i}`));
    clock.advance(UPLOAD_STASH_TTL_MS + 1);
    expect(await stash.sweep()).toBe(250);
    expect(await stash.sweep()).toBe(0);
  });

  it('touching a stash again restarts its time', async () => {
    const { clock, stash } = await stashWithClock();
    await stash.add('c', image('x1'));
    clock.advance(UPLOAD_STASH_TTL_MS - 1000);
    await stash.add('c', image('x2'));
    clock.advance(2000);
    expect(await stash.sweep()).toBe(0);
    expect(await stash.take('c', ['x1', 'x2'])).toHaveLength(2);
  });
});

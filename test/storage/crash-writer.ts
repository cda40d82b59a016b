// Child process for the crash test: writes documents as fast as it can and prints each id once
// its write is acknowledged. The parent kills it with SIGKILL at an arbitrary moment.
import { createLowdbStorage } from '../../src/storage/lowdb-storage.js';

const dir = process.argv[2]!;
const storage = createLowdbStorage(dir, { checkpointIntervalMs: 20, checkpointBytes: 4096 });
const store = storage.documents<{ n: number; pad: string }>('crash');
let n = 0;
async function writer(lane: number): Promise<void> {
  for (;;) {
    const id = `doc-${lane}-${n++}`;
    await store.put(id, { n, pad: 'x'.repeat(200) });
    process.stdout.write(`${id}\n`);
  }
}
for (let lane = 0; lane < 8; lane += 1) void writer(lane);

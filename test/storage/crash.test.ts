import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config.js';
import { createLowdbStorage } from '../../src/storage/lowdb-storage.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Runs the writer until it has acknowledged `count` writes, then kills it with SIGKILL. */
function writeThenKill(dir: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'test', 'storage', 'crash-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: string[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      acknowledged.push(...lines);
      if (acknowledged.length >= count && !child.killed) child.kill('SIGKILL');
    });
    child.once('exit', () => resolve(acknowledged));
    child.once('error', reject);
  });
}

describe('lowdb storage under a real crash', () => {
  it('keeps every write acknowledged before the process was killed with SIGKILL, and stays readable', async () => {
    const dir = tempDir();
    const acknowledged = await writeThenKill(dir, 1500);
    expect(acknowledged.length).toBeGreaterThanOrEqual(1500);

    // The killed process's lock is stale; a new process takes the directory over.
    const storage = createLowdbStorage(dir);
    const store = storage.documents<{ n: number }>('crash');
    const missing: string[] = [];
    for (const id of acknowledged) if ((await store.get(id)) === undefined) missing.push(id);
    expect(missing).toEqual([]);
    expect((await store.list()).length).toBeGreaterThanOrEqual(acknowledged.length);
    await storage.close();
  }, 60_000);
});

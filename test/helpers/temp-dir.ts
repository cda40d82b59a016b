import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject, onTestFinished } from 'vitest';

/**
 * A fresh temporary directory, removed when the current test finishes. Call it inside a test.
 * The folders live under the run's own root (see test/harness/temp-root.ts), which the run checks
 * is empty at the end, so a folder that outlives its test fails the suite.
 */
export function tempDir(prefix = 'chsi-test-'): string {
  const root = inject('tempRoot') ?? os.tmpdir();
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

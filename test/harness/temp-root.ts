import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's own folder for temporary directories (test/helpers/temp-dir.ts). */
    tempRoot: string;
  }
}

/**
 * Global setup: every temporary folder the tests make goes under one root private to this run,
 * so runs side by side never see each other's folders. At the end the root must be empty: a
 * folder left there belongs to a test whose cleanup did not run, and the run fails naming it.
 */
export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'chsi-suite-'));
  project.provide('tempRoot', root);
  return () => {
    const left = readdirSync(root);
    rmSync(root, { recursive: true, force: true });
    if (left.length > 0) {
      // A teardown error alone is only printed; the exit code is what CI and `npm test` read.
      process.exitCode = 1;
      throw new Error(`tests left ${left.length} temporary folder(s) behind: ${left.join(', ')}`);
    }
  };
}

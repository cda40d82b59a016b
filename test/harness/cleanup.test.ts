import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestService } from '../helpers/test-service.js';

// These tests run in order: the first leaves things behind on purpose, the second checks they are gone.
describe('what one test starts, it stops', () => {
  let previousUrl = '';
  let previousDir = '';
  let previousDataDir = '';

  it('starts a service and a temporary folder', async () => {
    const service = await startTestService();
    previousUrl = service.baseUrl;
    previousDataDir = service.config.dataDir;
    previousDir = tempDir();
    const health = await fetch(`${service.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(existsSync(previousDir)).toBe(true);
    expect(existsSync(previousDataDir)).toBe(true);
  });

  it('finds the service closed and the folders removed in the next test', async () => {
    expect(previousUrl).not.toBe('');
    const refused = await fetch(`${previousUrl}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      () => 'answered',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(refused).not.toBe('answered');
    expect(existsSync(previousDir)).toBe(false);
    expect(existsSync(previousDataDir)).toBe(false);
  });
});

import express from 'express';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { setUpAccountCore } from '../../src/account-core/setup.js';
import { createPageEnvironment } from '../../src/render/renderer.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { expectOk, render, templatesDir } from './harness.js';

const pages = createPageEnvironment(templatesDir);

describe('setUpAccountCore', () => {
  it('runs the embedded core, seeded from the demo file, when ACCOUNT_CORE_URL is unset', async () => {
    const config = loadConfig({ CORE_API_TOKEN: 'secret-token' });
    expect(config.accountCore.apiToken).toBe('secret-token');
    const setup = await setUpAccountCore({ config, storage: createMemoryStorage(), render, pages });
    expect(setup.embedded).toBeDefined();
    expect(expectOk(await setup.core.getIdStatus({ idNumber: '110105200101011235' })).status).toBe('registered');
    const app = express();
    setup.mount(app);
    setup.close();
  });

  it('uses the HTTP client when ACCOUNT_CORE_URL is set', async () => {
    const config = loadConfig({ ACCOUNT_CORE_URL: 'http://127.0.0.1:9/core/v1' });
    const setup = await setUpAccountCore({ config, storage: createMemoryStorage(), render, pages });
    expect(setup.embedded).toBeUndefined();
    expect(await setup.core.getIdStatus({ idNumber: '110105200101011235' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});

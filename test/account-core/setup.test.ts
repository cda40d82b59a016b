import express from 'express';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { setUpAccountCore } from '../../src/account-core/setup.js';
import { createPageEnvironment } from '../../src/render/renderer.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { expectOk, render, templatesDir } from './harness.js';

const pages = createPageEnvironment(templatesDir);

describe('setUpAccountCore', () => {
  it('runs the embedded core, seeded from the demo file, when ACCOUNT_CORE_URL is unset; its API is off without CORE_PORT', async () => {
    const config = loadConfig({ CORE_API_TOKEN: 'secret-token-0123456789' });
    expect(config.accountCore).toMatchObject({ apiToken: 'secret-token-0123456789', api: undefined });
    const setup = await setUpAccountCore({ config, storage: createMemoryStorage(), render, pages });
    onTestFinished(() => setup.close());
    expect(setup.embedded).toBeDefined();
    expect(expectOk(await setup.core.getIdStatus({ idNumber: '110105200101011235' })).status).toBe('registered');
    const app = express();
    setup.mount(app);
    expect(await setup.listenApi()).toBeUndefined();
  });

  it('serves the API on CORE_PORT, loopback by default, never on the public port, and only with a token', async () => {
    expect(() => loadConfig({ CORE_PORT: '3100' })).toThrow(/CORE_PORT.*CORE_API_TOKEN/);
    expect(() => loadConfig({ CORE_PORT: '3000', PORT: '3000', CORE_API_TOKEN: 'secret-token-0123456789' })).toThrow(/differ from PORT/);
    expect(() => loadConfig({ CORE_API_TOKEN: 'short' })).toThrow(/CORE_API_TOKEN/);
    expect(() => loadConfig({ ACCOUNT_CORE_URL: 'http://127.0.0.1:9/core/v1' })).toThrow(/CORE_API_TOKEN/);
    const config = loadConfig({ CORE_PORT: '0', CORE_API_TOKEN: 'secret-token-0123456789' });
    expect(config.accountCore.api).toEqual({ port: 0, host: '127.0.0.1' });
    const setup = await setUpAccountCore({ config, storage: createMemoryStorage(), render, pages });
    onTestFinished(() => setup.close());
    const port = await setup.listenApi();
    const api = `http://127.0.0.1:${port}/core/v1`;
    expect((await fetch(`${api}/limits`)).status).toBe(401);
    const limits = await fetch(`${api}/limits`, { headers: { authorization: 'Bearer secret-token-0123456789' } });
    expect(await limits.json()).toMatchObject({ smsPerDay: 5, resendIntervalSeconds: 60, password: { minLength: 8, maxLength: 16 } });
  });

  it('uses the HTTP client when ACCOUNT_CORE_URL is set', async () => {
    const config = loadConfig({ ACCOUNT_CORE_URL: 'http://127.0.0.1:9/core/v1', CORE_API_TOKEN: 'secret-token-0123456789' });
    const setup = await setUpAccountCore({ config, storage: createMemoryStorage(), render, pages });
    expect(setup.embedded).toBeUndefined();
    expect(await setup.core.getIdStatus({ idNumber: '110105200101011235' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});

import type { AddressInfo } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import express from 'express';
import { expect, vi } from 'vitest';
import { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { projectRoot } from '../../src/config.js';
import { createEmbeddedAccountCore, seedAccountCore, type EmbeddedAccountCore } from '../../src/account-core/embedded-core.js';
import { createHttpAccountCore } from '../../src/account-core/http-client.js';
import { createAccountCoreRouter } from '../../src/account-core/http-router.js';
import { createAccountCorePagesRouter } from '../../src/account-core/pages-router.js';
import { createEmbeddedOutbox, type Outbox } from '../../src/account-core/outbox.js';
import { createArgon2Hasher } from '../../src/account-core/secrets.js';
import type { AccountCore, CoreResult, ImageUpload } from '../../src/account-core/types.js';
import { createPageEnvironment, createTextRenderer } from '../../src/render/renderer.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import type { Storage } from '../../src/storage/types.js';

export const templatesDir = path.join(projectRoot, 'templates');
export const demoSeedFile = path.join(projectRoot, 'src', 'account-core', 'demo-accounts.json');
export const render = createTextRenderer(templatesDir);
export const PUBLIC_URL = 'http://assistant.test';
export const API_TOKEN = 'test-core-token-0123456789';
/** Real argon2id with small costs, so seeding seven accounts per test stays fast. */
export const fastHasher = createArgon2Hasher({ memoryCost: 1024, timeCost: 1 });
const calendar = new WorkingDayCalendar();

/** A clock the test moves by hand: limits of 60 s, an hour or a day pass without sleeping. */
export interface TestClock {
  now(): Date;
  set(iso: string): void;
  advance(ms: number): void;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Monday 23 November 2026, 10:00 in Beijing. */
export const START = '2026-11-23T10:00:00+08:00';

export function createTestClock(start = START): TestClock {
  let current = new Date(start);
  // Rate limiters read Date.now(): under fake timers, the system time follows this clock.
  const sync = () => {
    if (vi.isFakeTimers()) vi.setSystemTime(current);
  };
  sync();
  return {
    now: () => new Date(current.getTime()),
    set: (iso) => {
      current = new Date(iso);
      sync();
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
      sync();
    },
  };
}

export interface EmbeddedSetup {
  core: EmbeddedAccountCore;
  clock: TestClock;
  storage: Storage;
  outbox: Outbox;
}

/** The embedded core on the given storage (memory by default), seeded from the demo accounts. */
export async function createSeededCore(options: { storage?: Storage; clock?: TestClock; seed?: boolean } = {}): Promise<EmbeddedSetup> {
  const storage = options.storage ?? createMemoryStorage();
  const clock = options.clock ?? createTestClock();
  const outbox = createEmbeddedOutbox(storage, clock.now);
  const core = createEmbeddedAccountCore({
    storage,
    render,
    calendar,
    outbox,
    publicUrl: PUBLIC_URL,
    clock: clock.now,
    passwordHasher: fastHasher,
    onError: (error) => {
      throw error;
    },
  });
  if (options.seed !== false) await seedAccountCore(core, demoSeedFile, clock.now());
  return { core, clock, storage, outbox };
}

/** An express app with the core's API at /core/v1 and its pages at /core, on 127.0.0.1:0. */
export async function serve(core: EmbeddedAccountCore, options: { apiToken?: string } = {}): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const app = express();
  if (options.apiToken) app.use('/core/v1', createAccountCoreRouter(core, { render, apiToken: options.apiToken }));
  app.use('/core', createAccountCorePagesRouter(core, { pages: createPageEnvironment(templatesDir) }));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** What the contract suite gets: an implementation plus the hand-moved clock behind it. */
export interface CoreHarness {
  core: AccountCore;
  clock: TestClock;
  close(): Promise<void>;
}

export async function embeddedHarness(): Promise<CoreHarness> {
  const { core, clock } = await createSeededCore();
  return { core, clock, close: async () => {} };
}

export async function httpHarness(): Promise<CoreHarness> {
  const { core: embedded, clock } = await createSeededCore();
  const server = await serve(embedded, { apiToken: API_TOKEN });
  const core = createHttpAccountCore({ baseUrl: `${server.baseUrl}/core/v1`, token: API_TOKEN, render });
  return { core, clock, close: server.close };
}

// ---- what a user's phone and mailbox received ----

/** The 6-digit code in the newest SMS or e-mail to `recipient`. */
export async function latestCode(core: AccountCore, recipient: string): Promise<string> {
  const body = await latestMessage(core, recipient);
  const code = /(?<!\d)(\d{6})(?!\d)/.exec(body)?.[1];
  if (!code) throw new Error(`No code in the latest message to ${recipient}`);
  return code;
}

/** The token in the newest reset or activation link sent to `recipient`. */
export async function latestLinkToken(core: AccountCore, recipient: string, kind: 'reset' | 'activate' = 'reset'): Promise<string> {
  const body = await latestMessage(core, recipient);
  const token = new RegExp(`/core/${kind}/([A-Za-z0-9_-]+)`).exec(body)?.[1];
  if (!token) throw new Error(`No ${kind} link in the latest message to ${recipient}`);
  return token;
}

export async function latestMessage(core: AccountCore, recipient: string): Promise<string> {
  const result = await core.listOutbox({ recipient, limit: 1 });
  if (!result.ok || !result.value.messages[0]) throw new Error(`Nothing was sent to ${recipient}`);
  return result.value.messages[0].body;
}

// ---- images ----

const PNG_HEAD = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const JPEG_HEAD = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');
const GIF_HEAD = Buffer.from('GIF89a', 'ascii');

/** An image upload of exactly `bytes` bytes whose content is `kind`, whatever its name says. */
export function photo(kind: 'png' | 'jpeg' | 'gif' | 'text', bytes = 2048, name = `photo.${kind === 'text' ? 'jpg' : kind}`): ImageUpload {
  const head = kind === 'png' ? PNG_HEAD : kind === 'jpeg' ? JPEG_HEAD : kind === 'gif' ? GIF_HEAD : Buffer.from('这不是图片，只是一段文字。');
  const data = Buffer.alloc(bytes, kind === 'text' ? 0x41 : 0);
  head.copy(data);
  return { name, type: 'image/jpeg', data: data.toString('base64') };
}

/** The failure's message (Chinese, for the user), after checking its code. */
export function expectError(result: CoreResult<unknown>, code: string): string {
  if (result.ok) throw new Error(`Expected ${code}, got success: ${JSON.stringify(result.value)}`);
  expect(result.error.code).toBe(code);
  expect(result.error.message).toMatch(/[\u4e00-\u9fff]/);
  return result.error.message;
}

export function expectOk<T>(result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!result.ok) throw new Error(`Expected success, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

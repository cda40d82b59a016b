import type { EmbeddedAccountCore } from '../../src/account-core/index.js';
import { guidedFlowsModule } from '../../src/conversation/flows/module.js';
import type { WorkingDayCalendar } from '../../src/calendar/working-days.js';
import { checkDigitFor } from '../../src/domain/id-number.js';
import { argon2Hasher } from '../../src/helpdesk/console/agents.js';
import { helpdeskModule, type HelpdeskHandle, type HelpdeskModule, type HelpdeskModuleOptions } from '../../src/helpdesk/module.js';
import type { FeatureModule } from '../../src/feature-module.js';
import { encodeRgbPng } from '../helpers/png.js';
import { TestClock } from '../helpers/clock.js';
import { createDemoCore } from '../helpers/demo-core.js';
import { startTestService, type TestService } from '../helpers/test-service.js';

export const ADMIN = { username: 'admin', password: 'Admin-pass-2026' };

export interface HelpdeskHarness {
  service: TestService;
  helpdesk: HelpdeskModule;
  handle: HelpdeskHandle;
  clock: TestClock;
  core: EmbeddedAccountCore;
  baseUrl: string;
}

/**
 * The whole service with the guided flows and the help desk, an admin from ADMIN_USER, the demo
 * core, and the SMTP listener on a free loopback port.
 */
export async function startHelpdesk(
  options: {
    clock?: TestClock;
    env?: Record<string, string>;
    module?: HelpdeskModuleOptions;
    extraModules?: FeatureModule[];
    calendar?: WorkingDayCalendar;
  } = {},
): Promise<HelpdeskHarness> {
  const clock = options.clock ?? new TestClock();
  // One holiday calendar for the core's reviews and the help desk's tickets, as the service builds it.
  const core = await createDemoCore(clock, undefined, options.calendar);
  const helpdesk = helpdeskModule({
    hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    ...(options.calendar ? { calendar: options.calendar } : {}),
    ...options.module,
  });
  const service = await startTestService({
    clock,
    core,
    modules: [guidedFlowsModule(), ...(options.extraModules ?? []), helpdesk],
    env: { ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password, SESSION_SECRET: 'test-secret', ...options.env },
  });
  return { service, helpdesk, handle: helpdesk.handle!, clock, core, baseUrl: service.baseUrl };
}

/** A real 2×2 PNG (valid zlib data and CRCs), so browsers can draw it. */
export function pngImage(name = 'problem.png'): { name: string; type: string; data: Buffer } {
  const pixel = (x: number) => [220, 40 + x * 100, 60];
  return { name, type: 'image/png', data: encodeRgbPng(2, 2, Buffer.from([...pixel(0), ...pixel(1), ...pixel(0), ...pixel(1)])) };
}

/** A PDF pretending to be a picture. */
export function pdfPretendingToBeImage(): { name: string; type: string; data: Buffer } {
  return { name: 'shot.png', type: 'image/png', data: Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1') };
}

/** A signed-in API client: cookie jar of one, plus the CSRF token. */
export class AgentClient {
  constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    readonly csrfToken: string,
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<AgentClient> {
    const response = await fetch(`${baseUrl}/api/agent/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (response.status !== 200) throw new Error(`login failed: ${response.status}`);
    const cookie = response.headers
      .getSetCookie()
      .find((line) => line.startsWith('chsi_agent='))!
      .split(';')[0]!;
    const body = (await response.json()) as { csrfToken: string };
    return new AgentClient(baseUrl, cookie, body.csrfToken);
  }

  get(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: { cookie: this.cookie }, redirect: 'manual' });
  }

  async json<T = any>(path: string): Promise<T> {
    const response = await this.get(path);
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return (await response.json()) as T;
  }

  post(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { cookie: this.cookie, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      redirect: 'manual',
    });
  }

  /** A console form post, as the browser sends it. */
  form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  }

  /** The console page's own CSRF token (same as the session's). */
  async pageHtml(path: string): Promise<string> {
    return (await this.get(path)).text();
  }
}

/** Creates an agent account through the admin API and signs it in. */
export async function createAgent(admin: AgentClient, username: string, role: 'admin' | 'agent' = 'agent'): Promise<AgentClient> {
  const password = `${username}-Pass-2026`;
  const created = await admin.post('/api/agent/agents', { username, password, role });
  if (created.status !== 201) throw new Error(`agent not created: ${created.status} ${await created.text()}`);
  return AgentClient.login(admin.baseUrl, username, password);
}

/** Runs the escalate flow to the end for a web user and returns the ticket id. */
export async function escalate(
  user: { says(text: string): Promise<{ text: string }>; sendsImage(image: { name: string; type: string; data: Buffer }): Promise<{ text: string }> },
  description = '登录时一直提示用户名或密码错误，重置密码也收不到短信',
): Promise<string> {
  await user.says('转人工');
  await user.says('13912345678');
  await user.sendsImage(pngImage());
  await user.says(description);
  const created = await user.says('1');
  const id = /工单号 (T\d{12})/.exec(created.text)?.[1];
  if (!id) throw new Error(`no ticket number in: ${created.text}`);
  return id;
}

/** Registers 李明's ID number again (我要重新注册) and submits ID photos: the id of the pending review. */
/**
 * A photo review waiting for an agent: a student re-registers an ID number that a fixture account
 * already holds. Each `n` above 0 first registers a holder of an ID number of its own.
 */
export async function pendingReview(core: EmbeddedAccountCore, n = 0): Promise<string> {
  const username = String(13800001234 + n);
  let idNumber = '110105200101011235';
  if (n > 0) {
    const first17 = `11010520010101${String(300 + n).padStart(3, '0')}`;
    idNumber = first17 + checkDigitFor(first17);
    const holder = String(13700001234 + n);
    const held = await core.register({ username: holder, password: 'Newpass2024', name: '李明', idType: 'resident-id', idNumber, phone: holder });
    if (!held.ok) throw new Error(held.error.code);
  }
  const registered = await core.register({
    username,
    password: 'Newpass2024',
    name: '李明',
    idType: 'resident-id',
    idNumber,
    phone: username,
    reRegister: true,
  });
  if (!registered.ok) throw new Error(registered.error.code);
  const photo = pngImage().data.toString('base64');
  const submitted = await core.submitPhotoReview({
    username,
    front: { name: 'front.png', type: 'image/png', data: photo },
    back: { name: 'back.png', type: 'image/png', data: photo },
  });
  if (!submitted.ok) throw new Error(submitted.error.code);
  return submitted.value.id;
}

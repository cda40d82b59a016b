import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { encodeRgbPng } from '../../helpers/png.js';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHelpdesk } from '../../helpdesk/support.js';
import { startTestService } from '../../helpers/test-service.js';

const CHROMIUM = '/usr/bin/chromium';
const missingBrowser = !existsSync(CHROMIUM) && !process.env.CI;
if (missingBrowser) {
  console.warn(
    `[browser test skipped] ${CHROMIUM} not found; install Debian's chromium (apt-get install -y chromium). In CI (CI set) this test always runs.`,
  );
}

const PHONE = { width: 375, height: 667 };

async function launch(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  onTestFinished(() => browser.close());
  return browser;
}

/** A phone photo: a noisy PNG of about 2 MB (noise does not compress, so the size is real). */
function phonePhoto(): { name: string; mimeType: string; buffer: Buffer } {
  const side = 840;
  return { name: 'id-card-photo.png', mimeType: 'image/png', buffer: encodeRgbPng(side, side, randomBytes(side * side * 3)) };
}

/** Types a message and waits for the assistant's answer containing `expected`. */
async function ask(page: Page, text: string, expected: string): Promise<Locator> {
  const answers = page.locator('.msg--bot');
  const before = await answers.count();
  await page.fill('#text', text);
  await page.click('#send');
  await expect.poll(() => answers.count(), { timeout: 10_000 }).toBeGreaterThan(before);
  const answer = answers.last();
  await expect.poll(() => answer.innerText()).toContain(expected);
  return answer;
}

/** Whether the element is inside both the chat log's visible area and the window, as it stands (no scrolling). */
function fullyVisible(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    const log = document.getElementById('log')!.getBoundingClientRect();
    return box.top >= log.top && box.bottom <= log.bottom && box.top >= 0 && box.bottom <= window.innerHeight;
  });
}

describe('the web chat on a 375 px phone screen', () => {
  it.skipIf(missingBrowser)(
    'asks, sees the choices without scrolling, picks one, keeps the history after a reload, and sends a 2 MB photo compressed',
    async () => {
      const { baseUrl } = await startHelpdesk();
      const browser = await launch();
      const context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN' });
      const page = await context.newPage();
      await page.goto(`${baseUrl}/`);

      // A long answer first, so the log is full and new messages land below the fold unless it scrolls.
      const overflowing = () => page.evaluate(() => document.getElementById('log')!.scrollHeight > window.innerHeight);
      let asked = 0;
      while (!(await overflowing()) && asked < 5) {
        await ask(page, '收不到验证码怎么办', '信号');
        asked += 1;
      }
      expect(await overflowing()).toBe(true);

      // 1. A question the assistant is unsure about: it answers with choice buttons.
      const unsure = await ask(page, '邮箱', '不太确定');
      const buttons = unsure.locator('.choices button');
      expect(await buttons.count()).toBeGreaterThanOrEqual(2);
      // 2. Every choice is on screen without scrolling.
      for (const button of await buttons.all()) expect(await fullyVisible(button)).toBe(true);
      expect(await unsure.locator('.msg__time').innerText()).toMatch(/\d{2}:\d{2}/);

      // 3. Picking one answers it.
      const label = await buttons.first().innerText();
      const answers = page.locator('.msg--bot');
      const before = await answers.count();
      await buttons.first().click();
      await expect.poll(() => answers.count()).toBeGreaterThan(before);
      await expect.poll(() => page.locator('.msg--user').last().innerText()).toContain(label);
      const picked = await answers.last().innerText();

      // 4. A reload keeps the conversation, restored from the server.
      await page.reload();
      await expect.poll(() => page.locator('.msg--user').count()).toBe(asked + 2);
      expect(await page.locator('.msg--user').nth(asked).innerText()).toContain('邮箱');
      expect(await page.locator('.msg--bot').last().innerText()).toBe(picked);
      expect(await page.locator('.msg--bot .choices button').count()).toBeGreaterThanOrEqual(2);

      // 5. The upload is reachable by keyboard, and a 2 MB photo is compressed before it is sent.
      await page.focus('#image-button');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('image-button');
      await ask(page, '转人工', '用户名');
      await ask(page, '13912345678', '截图');
      const sent: number[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/chat/messages') && request.postData()?.includes('"image"')) sent.push(request.postData()!.length);
      });
      const photo = phonePhoto();
      expect(photo.buffer.length).toBeGreaterThan(2 * 1024 * 1024);
      const shots = page.locator('.msg--bot', { hasText: '收到截图' });
      await page.setInputFiles('#image', photo);
      await shots.first().waitFor({ timeout: 30_000 });
      expect(sent).toHaveLength(1);
      // base64 of at most 300 KB, plus the JSON around it.
      expect(sent[0]).toBeLessThan(Math.ceil((300 * 1024 * 4) / 3) + 1024);
      expect(await page.locator('.msg--error').count()).toBe(0);
      if (process.env.WEB_CHAT_SCREENSHOT) await page.screenshot({ path: process.env.WEB_CHAT_SCREENSHOT });
    },
    90_000,
  );

  it.skipIf(missingBrowser)(
    'shows the typing state with send disabled while a message is in flight, lets a failed send be retried, and links only our own domains',
    async () => {
      const service = await startTestService();
      const browser = await launch();
      const page = await (await browser.newContext({ viewport: PHONE, locale: 'zh-CN' })).newPage();
      await page.goto(`${service.baseUrl}/`);

      // The first send is held in flight, then dropped as if the network failed.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let calls = 0;
      await page.route('**/chat/messages', async (route) => {
        calls += 1;
        if (calls > 1) return route.continue();
        await held;
        await route.abort('internetdisconnected');
      });
      await page.fill('#text', '收不到验证码怎么办');
      await page.click('#send');
      await page.locator('#typing').waitFor({ state: 'visible' });
      expect(await page.locator('#send').isDisabled()).toBe(true);
      // A second press while in flight sends nothing.
      await page.fill('#text', '再发一条');
      await page.locator('#form').evaluate((form: HTMLFormElement) => form.requestSubmit());
      expect(calls).toBe(1);
      release();

      const failed = page.locator('.msg--failed');
      await failed.waitFor();
      expect(await failed.innerText()).toContain('这条消息没有发出去');
      expect(await page.locator('#send').isDisabled()).toBe(false);
      await failed.locator('.msg__retry').click();
      await page.locator('.msg--bot', { hasText: '信号' }).waitFor({ timeout: 10_000 });
      expect(await page.locator('.msg--failed').count()).toBe(0);
      expect(calls).toBe(2);

      // An agent's message arrives live; only links to 学信网 and to us are clickable.
      const ownLink = `${service.config.publicUrl}/core/reset/abc`;
      const cookie = (await page.context().cookies()).find((c) => c.name === 'chsi_chat')!;
      const identity = decodeURIComponent(cookie.value).slice(2, 26);
      await service.service.context.delivery.deliver('web', identity, [
        { type: 'text', text: `请看 https://www.chsi.com.cn/help/ 或 ${ownLink} ，不要打开 http://chsi.com.cn.evil.example/x 。` },
      ]);
      const pushed = page.locator('.msg--agent');
      await pushed.waitFor({ timeout: 10_000 });
      expect(await pushed.locator('a').evaluateAll((links) => links.map((link) => (link as HTMLAnchorElement).href))).toEqual([
        'https://www.chsi.com.cn/help/',
        ownLink,
      ]);
      expect(await pushed.innerText()).toContain('http://chsi.com.cn.evil.example/x');
      expect(await pushed.locator('.msg__time').innerText()).toMatch(/\d{2}:\d{2}/);
    },
    60_000,
  );

  it.skipIf(missingBrowser)(
    'tells the user clearly when a photo cannot be brought under 300 KB, and sends nothing',
    async () => {
      const service = await startTestService();
      const browser = await launch();
      const page = await (await browser.newContext({ viewport: PHONE, locale: 'zh-CN' })).newPage();
      // A compressor that cannot shrink this photo at all.
      await page.route('**/static/vendor/browser-image-compression.js', (route) =>
        route.fulfill({ contentType: 'text/javascript', body: 'window.imageCompression = async (file) => file;' }),
      );
      const sent: string[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/chat/messages')) sent.push(request.url());
      });
      await page.goto(`${service.baseUrl}/`);
      await page.setInputFiles('#image', phonePhoto());
      const message = page.locator('.msg--error');
      await message.waitFor();
      expect(await message.innerText()).toMatch(/这张图片压缩后仍有 \d+KB，超过 300KB 的上限/);
      expect(sent).toEqual([]);
      expect(await page.locator('#send').isDisabled()).toBe(false);
    },
    60_000,
  );
});

import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ADMIN, pngImage, startHelpdesk } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const missingBrowser = !existsSync(CHROMIUM) && !process.env.CI;
if (missingBrowser) {
  console.warn(
    `[browser test skipped] ${CHROMIUM} not found; install Debian's chromium (apt-get install -y chromium). In CI (CI set) this test always runs.`,
  );
}

async function launch(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  onTestFinished(() => browser.close());
  return browser;
}

/** Types a message into the web chat and waits for the assistant's answer containing `expected`. */
async function chat(page: Page, text: string, expected: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#send');
  await page.locator('.msg--bot', { hasText: expected }).last().waitFor({ timeout: 10_000 });
}

describe('agent console in a real browser', () => {
  it.skipIf(missingBrowser)(
    'an agent logs in, opens the ticket, sees the screenshot and replies; the web chat user sees it without reloading',
    async () => {
      const { baseUrl } = await startHelpdesk();
      const browser = await launch();

      // The user escalates from the web chat page.
      const user = await (await browser.newContext()).newPage();
      await user.goto(`${baseUrl}/`);
      await chat(user, '转人工', '请发送你的学信网用户名');
      await chat(user, '13912345678', '请发送问题页面的截图');
      const shot = pngImage('error-page.png');
      await user.setInputFiles('#image', { name: shot.name, mimeType: shot.type, buffer: shot.data });
      await user.locator('.msg--bot', { hasText: '收到截图' }).waitFor({ timeout: 10_000 });
      await chat(user, '点登录按钮后页面一直转圈，没有任何提示', '请确认工单内容');
      await chat(user, '1', '工单已提交');
      const confirmation = await user.locator('.msg--bot', { hasText: '工单已提交' }).last().innerText();
      const ticketId = /T\d{12}/.exec(confirmation)![0];

      // The agent works the ticket in another browser context (own cookies).
      const agent = await (await browser.newContext()).newPage();
      await agent.goto(`${baseUrl}/console/login`);
      await agent.fill('#username', ADMIN.username);
      await agent.fill('#password', ADMIN.password);
      await agent.click('#login');
      await agent.waitForURL(`${baseUrl}/console/tickets`);
      await agent.click(`a[href="/console/tickets/${ticketId}"]`);
      await agent.waitForURL(`${baseUrl}/console/tickets/${ticketId}`);
      await expect.poll(() => agent.locator('.description').innerText()).toContain('页面一直转圈');
      const screenshot = agent.locator('img.screenshot').first();
      await screenshot.waitFor();
      await expect.poll(() => screenshot.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(2);

      await agent.fill('#reply-text', '您好，请清除浏览器缓存后换用 Chrome 再试一次。');
      await agent.click('#send-reply');
      await agent.locator('.notice--ok', { hasText: '回复已发送给用户' }).waitFor();

      // The user's page shows the reply pushed from the server, without a reload.
      const pushed = user.locator('.msg--agent', { hasText: '请清除浏览器缓存后换用 Chrome 再试一次' });
      await pushed.waitFor({ timeout: 10_000 });
      expect(await pushed.innerText()).toContain(ticketId);
    },
    60_000,
  );
});

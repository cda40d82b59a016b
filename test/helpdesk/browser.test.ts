import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { TicketDraft } from '../../src/helpdesk/tickets/ticket-types.js';
import { ADMIN, pngImage, pendingReview, startHelpdesk } from './support.js';

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

  it.skipIf(missingBrowser)(
    'a team works the console: a paged queue, a ticket arriving live, a macro, a note, an approval confirmed, and all of it at 375 px',
    async () => {
      const { baseUrl, handle, core, clock } = await startHelpdesk();
      const draft = (userId: string, description: string) => ticketDraft(userId, description, clock.now());
      // 52 waiting tickets: a first page of 50 and a second of 2.
      for (let i = 0; i < 52; i += 1) await handle.tickets.create(draft(`user-${i}`, `第 ${i + 1} 个问题：登录后页面空白`));
      const reviewId = await pendingReview(core);
      const browser = await launch();
      const agent = await (await browser.newContext()).newPage();
      await agent.goto(`${baseUrl}/console/login`);
      await agent.fill('#username', ADMIN.username);
      await agent.fill('#password', ADMIN.password);
      await agent.click('#login');
      await agent.waitForURL(`${baseUrl}/console/tickets`);

      // Paging.
      expect(await agent.locator('tr[data-ticket]').count()).toBe(50);
      expect(await agent.locator('.tabs').innerText()).toContain('待客服处理（52）');
      await agent.click('#next-page');
      await agent.waitForURL(/cursor=/);
      expect(await agent.locator('tr[data-ticket]').count()).toBe(2);
      await agent.goto(`${baseUrl}/console/tickets`);

      // A new, urgent ticket appears without a reload: flagged, highlighted, counted in the badge.
      await agent.locator('#queue-rows[data-stream="open"]').waitFor();
      const urgent = await handle.tickets.create(draft('hurry', '明天就要研招报名，很着急'));
      const arrived = agent.locator(`tr[data-ticket="${urgent.id}"]`);
      await arrived.waitFor({ timeout: 10_000 });
      expect(await arrived.getAttribute('class')).toContain('row--new');
      expect(await arrived.innerText()).toContain('紧急');
      expect(await agent.locator('#live-badge').innerText()).toContain('新工单 1');
      // Urgent first.
      expect(await agent.locator('tr[data-ticket]').first().getAttribute('data-ticket')).toBe(urgent.id);

      // A macro fills the reply box with the ticket's details; the reply goes out.
      await arrived.locator('a').first().click();
      await agent.waitForURL(`${baseUrl}/console/tickets/${urgent.id}`);
      await agent.selectOption('#macro-select', { label: '已收到，正在核实' });
      await agent.click('#use-macro');
      await expect.poll(() => agent.inputValue('#reply-text')).toContain(`工单 ${urgent.id} 我们已收到`);
      expect(await agent.inputValue('#reply-text')).toContain('139****5678');
      await agent.click('#send-reply');
      await agent.locator('.notice--ok', { hasText: '回复已发送给用户' }).waitFor();

      // An internal note, shown apart from what the user saw.
      await agent.fill('#note-text', '已电话联系，用户明天上午再试');
      await agent.click('#add-note');
      const note = agent.locator('.entry--note', { hasText: '已电话联系' });
      await note.waitFor();
      expect(await note.innerText()).toContain('仅客服可见');
      const stored = await handle.tickets.get(urgent.id);
      expect(stored?.transcript.some((entry) => entry.text.includes('已电话联系'))).toBe(false);

      // The agent clears the flag the user's words suggested.
      await agent.click('#toggle-urgent');
      await agent.locator('.notice--ok', { hasText: '已取消紧急标记' }).waitFor();
      expect((await handle.tickets.get(urgent.id))?.urgency).toMatchObject({ urgent: false, setBy: ADMIN.username });

      // A long conversation opens at its newest line.
      const chatty = ticketDraft('chatty', '说来话长', clock.now());
      chatty.transcript = Array.from({ length: 40 }, (_, i) => ({ at: clock.now().toISOString(), from: 'user' as const, text: `第 ${i + 1} 句话` }));
      const long = await handle.tickets.create(chatty);
      await agent.goto(`${baseUrl}/console/tickets/${long.id}`);
      const atBottom = () =>
        agent.evaluate(() => {
          const transcript = document.getElementById('transcript')!;
          return transcript.scrollHeight > transcript.clientHeight && transcript.scrollTop + transcript.clientHeight >= transcript.scrollHeight - 2;
        });
      await expect.poll(atBottom).toBe(true);

      // Approving asks first and shows the masked account it cancels.
      await agent.goto(`${baseUrl}/console/reviews/${reviewId}`);
      await agent.click('#approve');
      await agent.waitForURL(`${baseUrl}/console/reviews/${reviewId}/approve`);
      expect(await agent.locator('#cancel-list').innerText()).toContain('139****5678');
      const before = await core.getReview({ reviewId });
      expect(before.ok && before.value.state).toBe('pending');
      await agent.click('#confirm-approve');
      await agent.locator('.notice--ok', { hasText: '审核已通过' }).waitFor();

      // At phone width nothing runs off the side, and the queue and a ticket stay usable.
      await agent.setViewportSize({ width: 375, height: 812 });
      await agent.goto(`${baseUrl}/console/tickets`);
      expect(await agent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await agent.screenshot({ path: '/tmp/console-queue-375.png', fullPage: false });
      await agent.goto(`${baseUrl}/console/tickets/${urgent.id}`);
      expect(await agent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      const send = await agent.locator('#send-reply').boundingBox();
      expect(send && send.x + send.width).toBeLessThanOrEqual(375);
      await agent.screenshot({ path: '/tmp/console-ticket-375.png', fullPage: true });
      for (const page of ['/console/metrics', '/console/unanswered', `/console/reviews/${reviewId}`, '/console/macros', '/console/audit']) {
        await agent.goto(`${baseUrl}${page}`);
        expect(await agent.evaluate(() => document.documentElement.scrollWidth), page).toBeLessThanOrEqual(375);
      }
      await agent.goto(`${baseUrl}/console/metrics`);
      await agent.screenshot({ path: '/tmp/console-metrics-375.png', fullPage: true });
    },
    90_000,
  );
});

function ticketDraft(userId: string, description: string, at: Date): TicketDraft {
  return {
    channel: 'web',
    userId,
    conversationId: null,
    username: '13912345678',
    description,
    topics: [],
    screenshots: [],
    transcript: [{ at: at.toISOString(), from: 'user', text: description }],
  };
}

/** A second registration on the demo account's ID number, waiting for a photo review. */

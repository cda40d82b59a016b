import { describe, expect, it } from 'vitest';
import { ADMIN, AgentClient, pngImage, startHelpdesk } from './support.js';

const SCRIPT = '<script>alert(document.cookie)</script>';

describe('everything users type renders inert in the console', () => {
  it('a <script> in a description, a file name, a question or a username stays text', async () => {
    const { service, baseUrl } = await startHelpdesk();
    const user = service.user(`web-${SCRIPT}`);
    await user.says(`学信网能不能帮我${SCRIPT}订车票`);
    await user.says('转人工');
    await user.says('不知道');
    await user.sendsImage(pngImage('"><img src=x onerror=alert(1)>.png'));
    await user.says(`页面报错 ${SCRIPT} 然后就白屏了`);
    await user.says('1');

    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);
    const [row] = await admin.json('/api/agent/tickets?status=open');
    const pages = [
      await admin.pageHtml(`/console/tickets/${row.id}`),
      await admin.pageHtml('/console/tickets'),
      await admin.pageHtml('/console/unanswered'),
      await admin.pageHtml('/console/audit'),
    ];
    for (const html of pages) {
      expect(html).not.toContain(SCRIPT);
      expect(html).not.toContain('<img src=x');
      expect(html).not.toMatch(/<script(?! src="\/console\/static\/console\.js")/);
    }
    expect(pages[0]).toContain('&lt;script&gt;alert(document.cookie)&lt;/script&gt;');
    expect(pages[0]).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.png');
    expect(pages[2]).toContain('&lt;script&gt;');

    // The JSON API returns the text as data, with a JSON content type.
    const response = await admin.get(`/api/agent/tickets/${row.id}`);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await response.json()).description).toContain(SCRIPT);

    // The console forbids inline scripts even if something slipped through.
    const page = await admin.get(`/console/tickets/${row.id}`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});

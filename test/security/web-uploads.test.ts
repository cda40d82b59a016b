import { describe, expect, it } from 'vitest';
import { UploadQuota } from '../../src/channels/web/upload-quota.js';
import { createRateLimits } from '../../src/security/rate-limits.js';
import { pngImage } from '../helpdesk/support.js';
import { startTestService } from '../helpers/test-service.js';
import { WebVisitor } from '../channels/web/web-visitor.js';

/** Issue 10, "exhaust memory and disk": uploads without any quota. */
describe('upload quotas', () => {
  it('limits the images one visitor sends in a day, with a clear message, and lets others go on', async () => {
    const service = await startTestService({
      rateLimits: createRateLimits({ policies: { 'upload:identity': { points: 2, durationSeconds: 86_400 } } }),
    });
    const visitor = await WebVisitor.opensPage(service.baseUrl);
    expect((await visitor.sendsImage(pngImage('1.png'))).status).toBe(200);
    expect((await visitor.sendsImage(pngImage('2.png'))).status).toBe(200);
    const third = await visitor.sendsImage(pngImage('3.png'));
    expect(third.status).toBe(429);
    expect(third.body.error).toContain('你今天发送的图片已达到上限，请明天再发送图片');
    // Text still goes through, and another visitor may still send images.
    expect((await visitor.says('你好')).status).toBe(200);
    const other = await WebVisitor.opensPage(service.baseUrl);
    expect((await other.sendsImage(pngImage())).status).toBe(200);
  });

  it('limits the images sent from one IP in a day, however many identities it collects', async () => {
    const service = await startTestService({
      rateLimits: createRateLimits({ policies: { 'upload:ip': { points: 3, durationSeconds: 86_400 } } }),
    });
    const statuses = [];
    for (let i = 0; i < 5; i += 1) {
      const visitor = await WebVisitor.opensPage(service.baseUrl);
      statuses.push((await visitor.sendsImage(pngImage())).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('keeps the page history free of image bytes', async () => {
    const service = await startTestService();
    const visitor = await WebVisitor.opensPage(service.baseUrl);
    const image = pngImage();
    await visitor.sendsImage(image);
    const history = JSON.stringify(await visitor.history());
    expect(history).not.toContain(image.data.toString('base64'));
    expect(history.length).toBeLessThan(2000);
  });
});

describe('the global upload budget', () => {
  const MB = 1024 * 1024;

  it('refuses every upload once the data disk runs low', async () => {
    const quota = new UploadQuota(createRateLimits(), '/data', async () => 300 * MB, 256 * MB);
    expect(await quota.admit({ userId: 'a', ip: '10.0.0.1' }, 10 * MB)).toEqual({ allowed: true });
    expect(await quota.admit({ userId: 'a', ip: '10.0.0.1' }, 50 * MB)).toMatchObject({ allowed: false, reason: 'upload-disk' });
  });

  it('shares a daily byte budget, which a visitor at their own limit cannot use up', async () => {
    const limits = createRateLimits({
      policies: {
        'upload:identity': { points: 1, durationSeconds: 86_400 },
        'upload-bytes:global': { points: 3 * MB, durationSeconds: 86_400 },
      },
    });
    const quota = new UploadQuota(limits, '/data', async () => undefined);
    expect(await quota.admit({ userId: 'greedy' }, 1 * MB)).toEqual({ allowed: true });
    for (let i = 0; i < 10; i += 1) {
      expect(await quota.admit({ userId: 'greedy' }, 1 * MB)).toMatchObject({ allowed: false, reason: 'upload-identity' });
    }
    expect(await quota.admit({ userId: 'second' }, 1 * MB)).toEqual({ allowed: true });
    expect(await quota.admit({ userId: 'third' }, 1 * MB)).toEqual({ allowed: true });
    expect(await quota.admit({ userId: 'fourth' }, 1 * MB)).toMatchObject({ allowed: false, reason: 'upload-budget' });
  });
});

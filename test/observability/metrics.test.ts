import { describe, expect, it } from 'vitest';
import { ServiceMetrics } from '../../src/observability/metrics.js';
import { watchStorageErrors } from '../../src/observability/storage-errors.js';
import type { Storage } from '../../src/storage/types.js';
import { startTestService } from '../helpers/test-service.js';

/** One sample line of the scrape, e.g. `matcher_outcomes_total{outcome="answered"}`. */
function sample(scrape: string, series: string): number | undefined {
  const line = scrape.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('is served to a scraper on the same host, and refused to a request relayed by a proxy', async () => {
    const { baseUrl } = await startTestService();
    const direct = await fetch(`${baseUrl}/metrics`);
    expect(direct.status).toBe(200);
    expect(direct.headers.get('content-type')).toContain('text/plain');
    expect(await direct.text()).toContain('# TYPE http_request_duration_seconds histogram');

    const relayed = await fetch(`${baseUrl}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(relayed.status).toBe(403);
    expect(((await relayed.json()) as { error: string }).error).toContain('METRICS_TOKEN');
  });

  it('with METRICS_TOKEN, asks every scraper for the bearer token, even on loopback', async () => {
    const { baseUrl } = await startTestService({ env: { METRICS_TOKEN: 'scrape-secret-2026' } });
    expect((await fetch(`${baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${baseUrl}/metrics`, { headers: { authorization: 'Bearer guessed' } })).status).toBe(401);
    const allowed = await fetch(`${baseUrl}/metrics`, { headers: { authorization: 'Bearer scrape-secret-2026', 'x-forwarded-for': '203.0.113.9' } });
    expect(allowed.status).toBe(200);
  });

  it('times requests by route pattern, not by URL', async () => {
    const { baseUrl } = await startTestService();
    await fetch(`${baseUrl}/healthz`);
    await fetch(`${baseUrl}/healthz`);
    await fetch(`${baseUrl}/no-such-page-123`);
    await fetch(`${baseUrl}/api/agent/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":1}' });
    const scrape = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(sample(scrape, 'http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"}')).toBe(2);
    expect(sample(scrape, 'http_request_duration_seconds_count{method="GET",route="unmatched",status="4xx"}')).toBe(1);
    expect(sample(scrape, 'http_request_duration_seconds_count{method="POST",route="/api/agent/login",status="4xx"}')).toBe(1);
    expect(scrape).not.toContain('no-such-page-123');
  });

  it('counts what the matcher decided for each question the user asked', async () => {
    const service = await startTestService();
    const user = service.user('metrics-user');
    const answered = await user.says('忘记用户名了怎么办');
    expect(answered.topic).not.toBeNull();
    await user.says('今天天气怎么样，股票会涨吗');
    const scrape = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(sample(scrape, 'matcher_outcomes_total{outcome="answered"}')).toBeGreaterThanOrEqual(1);
    expect(sample(scrape, 'matcher_outcomes_total{outcome="declined"}')).toBeGreaterThanOrEqual(1);
    expect(scrape).toContain('conversation_lock_wait_seconds_count');
  });
});

describe('storage error counting', () => {
  it('counts a failed read by store and operation, and passes the failure on unchanged', async () => {
    const failure = new Error('database is gone');
    const storage = {
      engine: 'memory',
      documents: () => ({ get: () => Promise.reject(failure), put: async () => undefined }),
      close: async () => undefined,
    } as unknown as Storage;
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    const watched = watchStorageErrors(storage, (store, operation) => metrics.storageErrors.inc({ store, operation }));
    await expect(watched.documents('sessions').get('web:u1')).rejects.toBe(failure);
    await watched.documents('sessions').put('web:u1', {});
    expect(watched.engine).toBe('memory');
    const { body } = await metrics.scrape();
    expect(sample(body, 'storage_errors_total{store="sessions",operation="get"}')).toBe(1);
    expect(body).not.toContain('operation="put"');
  });

  it('reads gauges such as the queue size when scraped', async () => {
    const metrics = new ServiceMetrics({ defaultMetrics: false });
    let open = 3;
    metrics.gauge('helpdesk_open_tickets', 'Open tickets', () => open);
    expect(sample((await metrics.scrape()).body, 'helpdesk_open_tickets')).toBe(3);
    open = 5;
    expect(sample((await metrics.scrape()).body, 'helpdesk_open_tickets')).toBe(5);
  });
});

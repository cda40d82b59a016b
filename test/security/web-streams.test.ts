import { describe, expect, it } from 'vitest';
import { STREAMS_PER_IDENTITY } from '../../src/channels/web/page-router.js';
import { startTestService } from '../helpers/test-service.js';
import { WebVisitor } from '../channels/web/web-visitor.js';

/** Issue 10: "one client can open 200 SSE connections". */
describe('web chat event streams', () => {
  it('caps the streams one visitor holds open, and frees a slot when one closes', async () => {
    const service = await startTestService();
    const visitor = await WebVisitor.opensPage(service.baseUrl);

    const open = [];
    for (let i = 0; i < STREAMS_PER_IDENTITY; i += 1) open.push(await visitor.openStream());
    expect(open.map((stream) => stream.status)).toEqual(Array(STREAMS_PER_IDENTITY).fill(200));

    const extra = await visitor.openStream();
    expect(extra.status).toBe(429);

    // A stream that closes gives its slot back (the server notices the closed socket).
    open[0]!.close();
    await expect.poll(async () => (await visitor.openStream()).status, { timeout: 5000 }).toBe(200);

    // Another visitor is not affected by the first one's streams.
    const other = await WebVisitor.opensPage(service.baseUrl);
    expect((await other.openStream()).status).toBe(200);
  });

  it('opens no stream without the identity cookie', async () => {
    const service = await startTestService();
    const response = await fetch(`${service.baseUrl}/chat/events`);
    expect(response.status).toBe(401);
  });
});

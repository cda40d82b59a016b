// The agent API reads the queue a page at a time: the contract's JSON array, the next page linked.
import { describe, expect, it } from 'vitest';
import { ADMIN, AgentClient, startHelpdesk } from '../helpdesk/support.js';

function draft(n: number) {
  return {
    channel: 'web' as const,
    userId: `queue-user-${n}`,
    conversationId: null,
    username: null,
    description: `第 ${n} 个问题`,
    topics: [],
    screenshots: [],
    transcript: [],
  };
}

describe('the queue over the agent API', () => {
  it('lists a page as a JSON array and links the next one; /api/agent/queue adds the cursor and counts', async () => {
    const { baseUrl, handle, clock } = await startHelpdesk();
    for (let n = 1; n <= 5; n++) {
      await handle.tickets.create(draft(n));
      clock.advanceMinutes(10);
    }
    const admin = await AgentClient.login(baseUrl, ADMIN.username, ADMIN.password);

    const first = await admin.get('/api/agent/tickets?status=open&limit=3');
    expect(first.status).toBe(200);
    expect(((await first.json()) as { id: string }[]).map((row) => row.id)).toEqual(['T202611230001', 'T202611230002', 'T202611230003']);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1];
    expect(next).toBeDefined();
    const second = (await admin.json<{ id: string }[]>(next!)).map((row) => row.id);
    expect(second).toEqual(['T202611230004', 'T202611230005']);

    const queue = await admin.json<{ rows: unknown[]; cursor: string | null; counts: Record<string, unknown> }>('/api/agent/queue?limit=10');
    expect(queue.rows).toHaveLength(5);
    expect(queue.cursor).toBeNull();
    expect(queue.counts).toMatchObject({ open: 5, closed: 0, openByAssignee: { unassigned: 5 } });

    // A page size out of range is refused with 400; a cursor that means nothing reads the first page.
    expect((await admin.get('/api/agent/tickets?limit=0')).status).toBe(400);
    expect(await admin.json<unknown[]>('/api/agent/tickets?cursor=garbage')).toHaveLength(5);
  });
});

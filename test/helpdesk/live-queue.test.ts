import { describe, expect, it } from 'vitest';
import { InProcessMessageBus } from '../../src/coordination/message-bus.js';
import { LiveQueue, type QueueChange } from '../../src/helpdesk/console/live-queue.js';
import type { Ticket } from '../../src/helpdesk/tickets/ticket-types.js';

const ticket = { id: 'T202611230001', status: 'open', waitingOn: 'agent', urgency: { urgent: true, suggestedWords: ['着急'] } } as Ticket;

describe('live queue', () => {
  it('a ticket created on one instance reaches the consoles of another over the shared bus, without personal data', async () => {
    const bus = new InProcessMessageBus(); // stands in for Redis shared by two instances
    const here = new LiveQueue(bus);
    const there = new LiveQueue(bus);
    const heard: QueueChange[] = [];
    const stop = await there.subscribe((change) => heard.push(change));

    await here.publish(
      { kind: 'created', ticket: { ...ticket, username: '13912345678', description: '很着急' } as Ticket },
      new Date('2026-11-23T02:00:00Z'),
    );
    expect(heard).toEqual([{ kind: 'created', ticketId: 'T202611230001', status: 'open', lane: 'urgent', at: '2026-11-23T02:00:00.000Z' }]);

    // Something else on the channel (an older instance, a stray publisher) is ignored, not crashed on.
    await bus.publish('helpdesk-queue', { kind: 'deleted-everything' });
    await bus.publish('helpdesk-queue', 'not an object');
    expect(heard).toHaveLength(1);

    stop();
    await here.publish({ kind: 'closed', ticket: { ...ticket, status: 'closed' } }, new Date());
    expect(heard).toHaveLength(1);
  });
});

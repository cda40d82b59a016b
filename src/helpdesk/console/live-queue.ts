import { z } from 'zod';
import type { MessageBus } from '../../coordination/message-bus.js';
import type { TicketEvent } from '../tickets/ticket-service.js';
import { laneOf } from '../tickets/ticket-store.js';

/** What the console hears about a ticket: enough to highlight or fetch it, nothing personal. */
export interface QueueChange {
  kind: TicketEvent['kind'];
  ticketId: string;
  status: 'open' | 'closed';
  lane: 'urgent' | 'agent' | 'user' | null;
  at: string;
}

const queueChangeSchema = z.object({
  kind: z.enum(['created', 'replied', 'closed', 'reopened', 'assigned', 'urgency', 'noted', 'message']),
  ticketId: z.string().max(40),
  status: z.enum(['open', 'closed']),
  lane: z.enum(['urgent', 'agent', 'user']).nullable(),
  at: z.string().max(40),
});

const CHANNEL = 'helpdesk-queue';

/**
 * Ticket changes fanned out to every open console, on every instance: published on the service's
 * message bus (Redis when instances share one), heard by each console's event stream.
 */
export class LiveQueue {
  constructor(private readonly bus: MessageBus) {}

  publish(event: TicketEvent, at: Date): Promise<void> {
    const change: QueueChange = {
      kind: event.kind,
      ticketId: event.ticket.id,
      status: event.ticket.status,
      lane: laneOf(event.ticket),
      at: at.toISOString(),
    };
    return this.bus.publish(CHANNEL, change);
  }

  /** Resolves once changes published from now on are heard; the result ends the subscription. */
  subscribe(listener: (change: QueueChange) => void): Promise<() => void> {
    return this.bus.subscribe(CHANNEL, (message) => {
      const parsed = queueChangeSchema.safeParse(message);
      if (parsed.success) listener(parsed.data);
    });
  }
}

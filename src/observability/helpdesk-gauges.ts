import type { TicketStore } from '../helpdesk/tickets/ticket-store.js';
import type { ServiceMetrics } from './metrics.js';

/** Past this many, a breach count reads "this many or more": a scrape never walks a whole backlog. */
const BREACH_COUNT_CAP = 100_000;

/**
 * The queue's gauges, read from the ticket store's kept counts when Prometheus scrapes: the open
 * tickets, and those whose reply deadline has passed with no reply (an index range, not a walk).
 */
export function registerHelpdeskGauges(metrics: ServiceMetrics, store: Pick<TicketStore, 'tickets'>, clock: () => Date): void {
  metrics.gauge('helpdesk_open_tickets', 'Open tickets in the queue', async () => (await store.tickets.counts('status')).open ?? 0);
  metrics.gauge('helpdesk_sla_breached_tickets', 'Open tickets past their reply deadline with no reply yet', () =>
    store.tickets.count({ where: { clock: 'running' }, orderBefore: clock().toISOString() }, BREACH_COUNT_CAP),
  );
}

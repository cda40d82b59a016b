import type { HelpdeskPort, HistoryEntry } from '../../conversation/types.js';
import type { TicketEntry } from '../tickets/ticket-types.js';
import { MAX_SCREENSHOTS_PER_TICKET, checkScreenshot } from '../tickets/screenshots.js';
import type { TicketService } from '../tickets/ticket-service.js';
import { limitKey, type RateLimits } from '../../security/rate-limits.js';

/** The engine's view of the help desk (`HelpdeskPort`), backed by the ticket service. */
export function createHelpdeskPort(tickets: TicketService, rateLimits: RateLimits): HelpdeskPort {
  return {
    async createTicket(input) {
      // Keyed by who asks (this chat user), so a flood slows its sender and nobody else.
      const allowed = await rateLimits.consumeEach([
        { limit: 'ticket-create:identity', key: limitKey.user(`${input.channel}:${input.userId}`) },
        ...(input.clientAddress ? [{ limit: 'ticket-create:ip' as const, key: limitKey.ip(input.clientAddress) }] : []),
      ]);
      if (!allowed.allowed) return { ok: false, error: 'rate-limited', retryAfterSeconds: Math.ceil(allowed.retryAfterMs / 1000) };
      const ticket = await tickets.create({
        channel: input.channel,
        userId: input.userId,
        conversationId: input.conversationId,
        username: input.username.trim() || null,
        description: input.description,
        topics: input.topics,
        screenshots: input.screenshots,
        transcript: input.transcript.map(toTicketEntry),
      });
      return { ok: true, value: { ticketId: ticket.id, dueAt: ticket.sla.dueAt, dueProvisional: Boolean(ticket.sla.provisional) } };
    },
    async appendUserMessage(ticketId, message) {
      const check = message.image ? await checkScreenshot(message.image.data) : undefined;
      const before = message.image && check?.ok ? await tickets.get(ticketId) : undefined;
      const full = before !== undefined && before.screenshots.length >= MAX_SCREENSHOTS_PER_TICKET;
      const keepImage = message.image && check?.ok && !full;
      if (!message.text?.trim() && !keepImage) {
        // Nothing to add: tell the user why instead of acknowledging a message that was dropped.
        const open = await tickets.isOpen(ticketId);
        return { open, imageRejected: check && !check.ok ? check.problem : 'limit' };
      }
      const appended = await tickets.appendUserMessage(ticketId, {
        text: message.text,
        images: keepImage ? [message.image!] : [],
      });
      if (!appended.ok) return { open: false };
      if (message.image && !keepImage) return { open: true, imageRejected: check && !check.ok ? check.problem : 'limit' };
      return { open: true };
    },
    isTicketOpen: (ticketId) => tickets.isOpen(ticketId),
    async ticketStatus(ticketId) {
      const ticket = await tickets.get(ticketId);
      if (!ticket) return undefined;
      return {
        ticketId: ticket.id,
        status: ticket.status === 'closed' ? 'closed' : 'open',
        createdAt: ticket.createdAt,
        dueAt: ticket.sla.dueAt,
        answered: ticket.sla.respondedAt !== undefined,
      };
    },
  };
}

function toTicketEntry(entry: HistoryEntry): TicketEntry {
  return { at: entry.at, from: entry.from, text: entry.text, ...(entry.topic ? { topic: entry.topic } : {}) };
}

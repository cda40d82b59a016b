import type { HelpdeskPort, HistoryEntry } from '../conversation/types.js';
import type { TicketEntry } from './ticket-types.js';
import type { TicketService } from './tickets.js';

/** The engine's view of the help desk (`HelpdeskPort`), backed by the ticket service. */
export function createHelpdeskPort(tickets: TicketService): HelpdeskPort {
  return {
    async createTicket(input) {
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
      return { ticketId: ticket.id, dueAt: ticket.sla.dueAt };
    },
    async appendUserMessage(ticketId, message) {
      const appended = await tickets.appendUserMessage(ticketId, {
        text: message.text,
        images: message.image ? [message.image] : [],
      });
      return { open: appended.ok };
    },
    isTicketOpen: (ticketId) => tickets.isOpen(ticketId),
  };
}

function toTicketEntry(entry: HistoryEntry): TicketEntry {
  return { at: entry.at, from: entry.from, text: entry.text, ...(entry.topic ? { topic: entry.topic } : {}) };
}

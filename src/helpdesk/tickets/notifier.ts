import type { Logger } from 'pino';
import type { DeliveryRouter } from '../../channels/delivery.js';
import type { Assistant } from '../../conversation/assistant.js';
import type { Render } from '../../render/renderer.js';
import type { DeliveryOutcome, Ticket } from './ticket-types.js';
import type { TicketNotifier } from './ticket-service.js';

/** Sends an agent's answer to an e-mail ticket as a reply in its thread. */
export interface TicketMailReplier {
  replyOnTicket(ticket: Ticket, text: string): Promise<DeliveryOutcome>;
}

export interface ChannelNotifierDeps {
  delivery: DeliveryRouter;
  render: Render;
  logger: Logger;
  clock: () => Date;
  /** Present once the assistant exists (after `install`). */
  assistant: () => Assistant | undefined;
  mail?: TicketMailReplier;
}

/**
 * Agent replies go out on the ticket's channel: chat channels through the delivery router
 * (web push, WeChat customer-service API), e-mail tickets as threaded reply mail. Closing a
 * ticket hands the conversation back to the assistant; reopening gives it to the agents again.
 */
export function createChannelNotifier(deps: ChannelNotifierDeps): TicketNotifier {
  const tell = async (ticket: Ticket, text: string): Promise<DeliveryOutcome> => {
    if (!deps.delivery.has(ticket.channel)) {
      deps.logger.warn({ ticketId: ticket.id, channel: ticket.channel }, 'no sender registered for the ticket channel');
      return 'failed';
    }
    await deps.delivery.deliver(ticket.channel, ticket.userId, [{ type: 'text', text }]);
    return 'sent';
  };

  return {
    async agentReply(ticket, text) {
      if (ticket.channel === 'email') {
        if (!deps.mail) return 'failed';
        return deps.mail.replyOnTicket(ticket, text);
      }
      return tell(ticket, deps.render('helpdesk/chat/agent-reply', { ticketId: ticket.id, text }));
    },

    async closed(ticket) {
      const assistant = deps.assistant();
      if (ticket.conversationId && assistant) {
        await assistant.updateConversation(ticket.conversationId, (state) => {
          if (state?.handoff?.ticketId !== ticket.id) return state;
          const { handoff: _handoff, ...rest } = state;
          return rest;
        });
      }
      if (ticket.channel !== 'email' && ticket.conversationId) {
        await tell(ticket, deps.render('helpdesk/chat/closed', { ticketId: ticket.id })).catch((error: unknown) =>
          deps.logger.warn({ err: error, ticketId: ticket.id }, 'closing note not delivered'),
        );
      }
    },

    async reopened(ticket) {
      const assistant = deps.assistant();
      if (!ticket.conversationId || !assistant) return;
      let handedOver = false;
      await assistant.updateConversation(ticket.conversationId, (state) => {
        if (!state || state.handoff) return state;
        handedOver = true;
        return { ...state, flows: [], offered: [], handoff: { ticketId: ticket.id, since: deps.clock().toISOString() } };
      });
      if (handedOver) {
        await tell(ticket, deps.render('helpdesk/chat/reopened', { ticketId: ticket.id })).catch((error: unknown) =>
          deps.logger.warn({ err: error, ticketId: ticket.id }, 'reopen note not delivered'),
        );
      }
    },
  };
}

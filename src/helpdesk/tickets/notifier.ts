import type { Logger } from 'pino';
import type { DeliveryRouter } from '../../channels/delivery.js';
import type { Assistant } from '../../conversation/assistant.js';
import type { Render } from '../../render/renderer.js';
import type { UserNotices } from '../outcomes/user-notices.js';
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
  /** Chat delivery with the WeChat template fallback past the 48-hour window. */
  notices: UserNotices;
}

/**
 * Agent replies go out on the ticket's channel: chat channels through the delivery router
 * (web inbox, WeChat customer-service API, or past WeChat's 48-hour window a template message
 * linking to a signed page with the reply), e-mail tickets as threaded reply mail. Closing a
 * ticket tells the user, honestly when nobody answered, and hands the conversation back to the
 * assistant; reopening gives it to the agents again.
 */
export function createChannelNotifier(deps: ChannelNotifierDeps): TicketNotifier {
  const tell = (ticket: Ticket, text: string, replyText = text): Promise<DeliveryOutcome> =>
    deps.notices.tell(ticket.channel, ticket.userId, text, deps.notices.replyLink(ticket.id, replyText));

  return {
    async agentReply(ticket, text) {
      if (ticket.channel === 'email') {
        if (!deps.mail) return 'failed';
        return deps.mail.replyOnTicket(ticket, text);
      }
      return tell(ticket, deps.render('helpdesk/chat/agent-reply', { ticketId: ticket.id, text }), text);
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
      // "已处理完毕" only when an answer reached the user; otherwise the note says nobody replied.
      const answered = ticket.transcript.some((entry) => entry.from === 'agent' && entry.delivery !== 'failed');
      const note =
        ticket.channel === 'email'
          ? deps.mail?.replyOnTicket(ticket, deps.render('helpdesk/email/closed', { ticketId: ticket.id, answered }))
          : ticket.conversationId
            ? tell(ticket, deps.render(answered ? 'helpdesk/chat/closed' : 'helpdesk/chat/closed-unanswered', { ticketId: ticket.id }))
            : undefined;
      await note?.catch((error: unknown) => deps.logger.warn({ err: error, ticketId: ticket.id }, 'closing note not delivered'));
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

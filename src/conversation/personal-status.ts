import type { AccountCore, BoundAccount } from '../account-core/types.js';
import { chinaDateTime } from '../calendar/china-time.js';
import type { PersonalStatus } from '../knowledge/schema.js';
import type { Render } from '../render/renderer.js';
import type { ConversationState, HelpdeskPort } from './types.js';

/** The user's own status, ready to show. */
export interface StatusAnswer {
  text: string;
}

export interface StatusSources {
  core: AccountCore;
  helpdesk?: HelpdeskPort;
  render: Render;
}

/**
 * Looks up the user's own review, ticket or binding. `undefined` when there is nothing personal to
 * show (the chat is not bound, no ticket, the core is unreachable): the general answer applies.
 */
export async function lookUpPersonalStatus(
  status: PersonalStatus,
  state: ConversationState,
  sources: StatusSources,
): Promise<StatusAnswer | undefined> {
  switch (status) {
    case 'ticket':
      return ticketStatus(state, sources);
    case 'binding': {
      const bound = await boundAccount(state, sources.core);
      return bound ? { text: sources.render('chat/status-binding', { maskedUsername: bound.maskedUsername }) } : undefined;
    }
    case 'review':
      return reviewStatus(state, sources);
  }
}

/** The account this chat is bound to, if any; a core that cannot answer counts as no binding. */
export async function boundAccount(state: ConversationState, core: AccountCore): Promise<BoundAccount | undefined> {
  const binding = await core
    .forEndUser(state.conversationId)
    .getBinding({ channelUserId: state.conversationId })
    .catch(() => undefined);
  return binding?.ok && binding.value.accountRef !== null ? binding.value : undefined;
}

async function ticketStatus(state: ConversationState, sources: StatusSources): Promise<StatusAnswer | undefined> {
  const ticketId = state.handoff?.ticketId ?? state.lastTicketId;
  if (!ticketId || !sources.helpdesk?.ticketStatus) return undefined;
  const ticket = await sources.helpdesk.ticketStatus(ticketId).catch(() => undefined);
  if (!ticket) return undefined;
  return {
    text: sources.render('chat/status-ticket', {
      ticketId: ticket.ticketId,
      status: ticket.status,
      answered: ticket.answered,
      createdAt: chinaDateTime(ticket.createdAt).text,
      dueAt: ticket.dueAt ? chinaDateTime(ticket.dueAt).text : null,
    }),
  };
}

async function reviewStatus(state: ConversationState, sources: StatusSources): Promise<StatusAnswer | undefined> {
  const bound = await boundAccount(state, sources.core);
  if (!bound) return undefined;
  const duplicate = await sources.core
    .forEndUser(state.conversationId)
    .getDuplicateStatus({ username: bound.accountRef })
    .catch(() => undefined);
  if (!duplicate?.ok) return undefined;
  const { state: standing, latestReview } = duplicate.value;
  return {
    text: sources.render('chat/status-review', {
      maskedUsername: bound.maskedUsername,
      state: standing,
      reason: latestReview?.reason ?? null,
      submittedAt: latestReview ? chinaDateTime(latestReview.createdAt).text : null,
      dueAt: latestReview?.dueAt ? chinaDateTime(latestReview.dueAt).text : null,
      leftToday: duplicate.value.uploadsLeftToday,
      leftTotal: duplicate.value.uploadsLeftTotal,
    }),
  };
}

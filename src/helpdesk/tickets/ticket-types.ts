import type { ChannelName } from '../../conversation/types.js';
import type { ImageMime } from '../../media/image-type.js';

/** A ticket waits for agents while open; closing it hands the conversation back to the assistant. */
export type TicketStatus = 'open' | 'closed';

/** Who wrote a line of a ticket's transcript. */
export type TicketAuthor = 'user' | 'assistant' | 'agent' | 'system';

/** The three things agents need from the user. */
export type TicketItem = 'username' | 'screenshot' | 'description';

/** One line of a ticket's transcript: the conversation before escalation, then everything after. */
export interface TicketEntry {
  at: string;
  from: TicketAuthor;
  /** Plain text, already redacted of ID numbers, codes and one-time links. */
  text: string;
  /** The agent who wrote an `agent` entry. */
  agent?: string;
  /** The knowledge topic an assistant line answered with. */
  topic?: string | null;
  screenshotIds?: string[];
  /** An e-mail's subject, when the entry came by mail. */
  subject?: string;
  /** An e-mail's HTML body after sanitising, for display only. */
  html?: string;
  /** Written by a machine (auto-reply, out-of-office notice), not by the user. */
  automatic?: boolean;
  /** What happened to an agent reply on its way to the user. */
  delivery?: DeliveryOutcome;
  /** A system entry's event, rendered by the console (`closed`, `reopened`, `assigned`, ...). */
  event?: string;
}

/** `sent`: handed to the channel; `stored`: kept (e-mail without SMTP_URL); `failed`: the channel refused it. */
export type DeliveryOutcome = 'sent' | 'stored' | 'failed';

/** A screenshot attached to a ticket; the bytes live in their own store. */
export interface ScreenshotRef {
  id: string;
  /** The file name the user gave; shown escaped, never used in a header. */
  name: string;
  /** Decided from the bytes. */
  type: ImageMime;
  size: number;
  at: string;
}

/** Service-level deadline of a ticket. */
export interface TicketSla {
  /** When the clock started: the ticket's creation, or the user's message that reopened it. */
  startedAt: string;
  /** `startedAt` + 3 working days on China's calendar; `null` when the holiday data does not cover it. */
  dueAt: string | null;
  /** Set when the deadline could not be computed: the year the calendar does not cover. */
  notCovered?: { year: number; lastCoveredYear: number };
  /** The deadline counts days of a year whose holidays are not published yet: it may still move. */
  provisional?: boolean;
  /** The first agent reply: it stops the clock. */
  respondedAt?: string;
}

/** An escalation ticket. One document per ticket; screenshot bytes are stored apart. */
export interface Ticket {
  id: string;
  status: TicketStatus;
  channel: ChannelName;
  /** The channel's id for the user: web chat id, WeChat openid, e-mail address. */
  userId: string;
  /** The assistant conversation that escalated, `null` for tickets opened by e-mail. */
  conversationId: string | null;
  /** The 学信网 username the user gave (phone, e-mail or ID number), `null` when not given. */
  username: string | null;
  description: string;
  topics: string[];
  screenshots: ScreenshotRef[];
  transcript: TicketEntry[];
  createdAt: string;
  updatedAt: string;
  sla: TicketSla;
  assignee: string | null;
  /** Whose turn it is: the agent's (a user wrote last) or the user's. */
  waitingOn: 'agent' | 'user';
  closedAt?: string;
  closedBy?: string;
  /** Threading data of tickets that came by e-mail. */
  email?: TicketMail;
  /** Whether agents should take this ticket first; absent on tickets stored before the flag. */
  urgency?: TicketUrgency;
  /** Agents' internal notes: never sent to the user. */
  notes?: TicketNote[];
}

/**
 * The urgency flag. Suggested when the ticket is created, from words such as 着急 or 明天截止 in
 * what the user wrote (`suggestedWords`); an agent may set or clear it (`setBy`).
 */
export interface TicketUrgency {
  urgent: boolean;
  /** The urgency words found in the user's messages when the ticket was created. */
  suggestedWords: string[];
  setBy?: string;
  setAt?: string;
}

/** An internal note an agent left on a ticket for colleagues. */
export interface TicketNote {
  at: string;
  agent: string;
  /** Redacted like every stored text. */
  text: string;
}

export interface TicketMail {
  subject: string;
  /** Every Message-ID of the thread, oldest first, ours and the user's. */
  messageIds: string[];
  /** The user's latest Message-ID: our next reply answers it. */
  lastInboundId?: string;
  /**
   * The secret that lets a mail join this ticket (see mail/thread-token.ts); sent only to the
   * requester, in our Reply-To address and Message-IDs. Absent on tickets stored before tokens.
   */
  token?: string;
}

/** What the queue shows of an open ticket. Kept in one small index document. */
export interface QueueEntry {
  id: string;
  channel: ChannelName;
  username: string | null;
  summary: string;
  createdAt: string;
  dueAt: string | null;
  /** Set when no deadline could be computed (holiday data ends before it). */
  notCovered: TicketSla['notCovered'] | null;
  /** The deadline is placed on the provisional (statutory-rule) calendar. */
  provisional?: boolean;
  respondedAt?: string;
  assignee: string | null;
  waitingOn: 'agent' | 'user';
  /** Flagged urgent (suggested from the user's words or set by an agent). */
  urgent?: boolean;
}

/** A new ticket, as the escalate flow or the e-mail intake hands it over. */
export interface TicketDraft extends Pick<
  Ticket,
  'channel' | 'userId' | 'conversationId' | 'username' | 'description' | 'topics' | 'transcript' | 'email'
> {
  /** The images themselves; the ticket keeps references once they are stored. */
  screenshots: { name: string; type: string; data: Buffer }[];
}

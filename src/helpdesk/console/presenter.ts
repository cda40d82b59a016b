import type { SlaStatus } from '../tickets/sla.js';
import type { Ticket, TicketEntry } from '../tickets/ticket-types.js';
import type { QueueRow } from '../tickets/ticket-service.js';

/** Screenshots are served only behind an agent session; there is no public URL. */
export function screenshotUrl(id: string): string {
  return `/api/agent/screenshots/${encodeURIComponent(id)}`;
}

/** The SLA as the API and the pages show it. */
export function slaJson(sla: SlaStatus, ticketSla: Pick<Ticket['sla'], 'dueAt' | 'respondedAt' | 'notCovered' | 'provisional'>) {
  return {
    state: sla.state,
    dueAt: ticketSla.dueAt,
    workingDaysLeft: sla.workingDaysLeft === null ? null : Math.round(sla.workingDaysLeft * 100) / 100,
    hoursLeft: sla.msLeft === null ? null : Math.round((sla.msLeft / 3_600_000) * 10) / 10,
    respondedAt: ticketSla.respondedAt ?? null,
    /** Loud flag: the holiday data does not cover the deadline, so none was computed. */
    calendarNotCovered: ticketSla.notCovered ?? null,
    /** The deadline counts days of a year whose holidays are not published: placed by the statutory rules, may move. */
    provisional: ticketSla.provisional === true,
  };
}

/** One ticket for `GET /api/agent/tickets/:id` (the fields docs/api.md promises first). */
export function ticketJson(ticket: Ticket, sla: SlaStatus, missing: string[]) {
  return {
    id: ticket.id,
    status: ticket.status,
    channel: ticket.channel,
    username: ticket.username,
    description: ticket.description,
    screenshots: ticket.screenshots.map((shot) => screenshotUrl(shot.id)),
    createdAt: ticket.createdAt,
    dueAt: ticket.sla.dueAt,
    transcript: ticket.transcript.map(entryJson),
    userId: ticket.userId,
    conversationId: ticket.conversationId,
    topics: ticket.topics,
    assignee: ticket.assignee,
    waitingOn: ticket.waitingOn,
    updatedAt: ticket.updatedAt,
    closedAt: ticket.closedAt ?? null,
    closedBy: ticket.closedBy ?? null,
    subject: ticket.email?.subject ?? null,
    urgency: ticket.urgency ?? { urgent: false, suggestedWords: [] },
    /** Agents' internal notes: never sent to the user. */
    notes: ticket.notes ?? [],
    missing,
    sla: slaJson(sla, ticket.sla),
    calendarFlag: ticket.sla.notCovered ? 'calendar-not-covered' : ticket.sla.provisional ? 'calendar-provisional' : null,
    screenshotDetails: ticket.screenshots.map((shot) => ({
      id: shot.id,
      url: screenshotUrl(shot.id),
      name: shot.name,
      type: shot.type,
      size: shot.size,
      at: shot.at,
    })),
  };
}

function entryJson(entry: TicketEntry) {
  return {
    at: entry.at,
    from: entry.from,
    text: entry.text,
    ...(entry.agent ? { agent: entry.agent } : {}),
    ...(entry.topic ? { topic: entry.topic } : {}),
    ...(entry.subject ? { subject: entry.subject } : {}),
    ...(entry.html ? { html: entry.html } : {}),
    ...(entry.automatic ? { automatic: true } : {}),
    ...(entry.delivery ? { delivery: entry.delivery } : {}),
    ...(entry.event ? { event: entry.event } : {}),
    screenshots: (entry.screenshotIds ?? []).map(screenshotUrl),
  };
}

/** One queue row for `GET /api/agent/tickets`. */
export function queueRowJson(row: QueueRow) {
  return {
    id: row.id,
    status: row.status,
    channel: row.channel,
    username: row.username,
    summary: row.summary,
    createdAt: row.createdAt,
    dueAt: row.dueAt,
    assignee: row.assignee,
    waitingOn: row.waitingOn,
    urgent: row.urgent === true,
    sla: slaJson(row.sla, { dueAt: row.dueAt, respondedAt: row.respondedAt, notCovered: row.notCovered ?? undefined, provisional: row.provisional }),
    calendarFlag: row.notCovered ? 'calendar-not-covered' : row.provisional ? 'calendar-provisional' : null,
  };
}

import type { AppendLog, Page, Storage } from '../../storage/types.js';

/** Something an agent (or the help desk on their behalf) did. */
export interface AuditEntry {
  at: string;
  /** Agent username; `system` for automatic actions. */
  actor: string;
  action: AuditAction;
  /** Ticket id, review id or agent username the action was about. */
  target?: string;
  /** Short machine-readable facts (never a password or message body). */
  details?: Record<string, string | number | boolean | null>;
}

export type AuditAction =
  | 'login'
  | 'login-failed'
  | 'login-throttled'
  | 'logout'
  | 'ticket-view'
  | 'ticket-reply'
  | 'ticket-assign'
  | 'ticket-close'
  | 'ticket-reopen'
  | 'ticket-urgency'
  | 'ticket-note'
  | 'macro-save'
  | 'macro-delete'
  | 'example-propose'
  | 'example-accept'
  | 'example-reject'
  | 'content-gap'
  | 'screenshot-view'
  | 'review-view'
  | 'review-decide'
  | 'agent-create'
  | 'agent-update'
  | 'password-change'
  | 'calendar-recompute'
  | 'ticket-due-recomputed'
  | 'review-due-recomputed'
  | 'mail-thread-refused'
  | 'mail-ignored';

/** The append-only audit trail of agent actions. */
export class AuditTrail {
  private readonly log: AppendLog<AuditEntry, 'actor' | 'target'>;

  constructor(
    storage: Storage,
    private readonly clock: () => Date,
  ) {
    this.log = storage.log('helpdesk-audit', {
      keys: ['actor', 'target'],
      index: (entry: AuditEntry) => ({ actor: entry.actor, target: entry.target ?? null }),
    });
  }

  record(actor: string, action: AuditAction, target?: string, details?: AuditEntry['details']): Promise<void> {
    return this.log.append({
      at: this.clock().toISOString(),
      actor,
      action,
      ...(target === undefined ? {} : { target }),
      ...(details === undefined ? {} : { details }),
    });
  }

  /** The newest entries (one page, at most 500). */
  async recent(limit = 200, filter: { actor?: string; target?: string } = {}): Promise<AuditEntry[]> {
    return (await this.page({ limit, ...filter })).items;
  }

  /** Newest first, a page at a time, by actor and/or target through the log's index. */
  page(query: { limit: number; cursor?: string; actor?: string; target?: string }): Promise<Page<AuditEntry>> {
    return this.log.page({
      limit: Math.min(Math.max(Math.floor(query.limit), 1), 500),
      cursor: query.cursor,
      where: { actor: query.actor || undefined, target: query.target || undefined },
    });
  }
}

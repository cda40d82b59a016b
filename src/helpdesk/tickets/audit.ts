import type { AppendLog, Storage } from '../../storage/types.js';

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
  private readonly log: AppendLog<AuditEntry>;

  constructor(
    storage: Storage,
    private readonly clock: () => Date,
  ) {
    this.log = storage.log<AuditEntry>('helpdesk-audit');
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

  /** Newest first. */
  async recent(limit = 200, filter: { actor?: string; target?: string } = {}): Promise<AuditEntry[]> {
    const all = await this.log.readAll();
    return all
      .filter((entry) => (!filter.actor || entry.actor === filter.actor) && (!filter.target || entry.target === filter.target))
      .reverse()
      .slice(0, limit);
  }
}

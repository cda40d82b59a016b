import type { DocumentStore, IndexedCollection, Storage } from '../storage/types.js';
import type { IdType } from '../domain/id-number.js';
import type { AccountState, CodePurpose, ReviewState } from './types.js';

/**
 * What the embedded core stores. Hot state is small and split: one document per account, small
 * index documents pointing at accounts, one document per review, request and counter. Writers
 * put the thing pointed at before the pointer, and readers tolerate a pointer to nothing.
 */

/**
 * One account, keyed by username, with what must never leave the core (hashes, full contact
 * data, internal timestamps). `toAccountView` masks it for callers.
 */
export interface AccountRecord {
  username: string;
  name: string;
  idType: IdType;
  idNumber: string;
  phone: string | null;
  email: string | null;
  emailActivated: boolean;
  realNameBound: boolean;
  state: AccountState;
  createdAt: string;
  cancelledReason?: string;
  source?: string;
  passwordHash: string;
  securityQuestions: { question: string; answerHash: string }[];
  /** Reset tokens issued before this instant are void. */
  passwordChangedAt?: string;
  cancelledAt?: string;
  /** Present when the account was created with 我要重新注册. */
  duplicate?: DuplicateRecord;
}

export interface DuplicateRecord {
  since: string;
  resolvedAt?: string;
  resolvedBy?: 'review' | 'assist';
  latestReviewId?: string;
  uploads: { day: string; today: number; total: number };
}

/** Who holds an ID number, keyed by the compacted number. */
export interface IdRecord {
  holders: string[];
  /** Seeded `pendingReviewIds`: awaiting a review this core has no item for. */
  seededPending?: boolean;
}

/** phone → username, e-mail → username. */
export interface OwnerIndex {
  username: string;
}

/** Outstanding codes of one purpose for one account, keyed `${purpose}:${username}`. */
export interface CodeRecord {
  purpose: CodePurpose;
  codes: { salt: string; hash: string; createdAt: string; expiresAt: string }[];
  /** Hashes of codes already spent, kept until they expire so a reuse is told apart. */
  spent: { salt: string; hash: string; expiresAt: string }[];
  /** Wrong entries since the last code was sent, by everyone. */
  wrongAttempts: number;
  /** The same, per asker (wrong-guesses.ts); absent in records written before it was kept. */
  wrongByAsker?: Record<string, number>;
}

/** A reset, activation or registration-page token, keyed by the SHA-256 of the token. */
export interface TokenRecord {
  kind: 'reset' | 'activate' | 'register';
  /** The account it acts on; empty for a registration-page token. */
  username: string;
  issuedAt: string;
  expiresAt: string;
  usedAt?: string;
}

/** A counter, keyed `${kind}:${subject}`: rolling failures or a daily send count. */
export interface LimitRecord {
  /** Instants of recent failures (rolling windows). */
  failures?: string[];
  /** China calendar day the count belongs to. */
  day?: string;
  count?: number;
  lastAt?: string;
  /** Per asker, for counts that stop one asker before everyone (wrong-guesses.ts). */
  byAsker?: Record<string, number>;
}

export interface ReviewRecord {
  id: string;
  username: string;
  idNumber: string;
  state: ReviewState;
  reason?: string;
  createdAt: string;
  dueAt: string | null;
  decidedAt?: string;
  decidedBy?: string;
  /** Approval effects (resolve, cancel other holders) finished; a retried approval completes them. */
  applied?: boolean;
}

export interface ReviewPhotos {
  front: { type: string; data: string };
  back: { type: string; data: string };
}

export interface AssistRecord {
  id: string;
  requester: string;
  requesterName: string;
  requesterPhone: string;
  classmate: string;
  state: 'pending' | 'accepted' | 'declined';
  createdAt: string;
  respondedAt?: string;
}

/** The assistance requests addressed to one user, keyed by username. */
export interface InboxRecord {
  ids: string[];
}

/** channelUserId → account. */
export interface BindingRecord {
  username: string;
  boundAt: string;
}

/** channelUserId → account awaiting the code. */
export interface BindingRequestRecord {
  username: string;
  via: 'sms' | 'email';
  requestedAt: string;
}

/** Secrets the core keeps across restarts (the account-reference key). */
export interface CoreSecret {
  key: string;
}

export interface SeedMarker {
  seededAt: string;
  accounts: number;
}

export interface CoreStores {
  accounts: DocumentStore<AccountRecord>;
  idRecords: DocumentStore<IdRecord>;
  phones: DocumentStore<OwnerIndex>;
  emails: DocumentStore<OwnerIndex>;
  codes: DocumentStore<CodeRecord>;
  tokens: DocumentStore<TokenRecord>;
  limits: DocumentStore<LimitRecord>;
  reviews: IndexedCollection<ReviewRecord, 'state'>;
  reviewPhotos: DocumentStore<ReviewPhotos>;
  assists: DocumentStore<AssistRecord>;
  inboxes: DocumentStore<InboxRecord>;
  bindings: DocumentStore<BindingRecord>;
  bindingRequests: DocumentStore<BindingRequestRecord>;
  meta: DocumentStore<SeedMarker>;
  secrets: DocumentStore<CoreSecret>;
}

export function openCoreStores(storage: Storage): CoreStores {
  return {
    accounts: storage.documents('core-accounts'),
    idRecords: storage.documents('core-id-numbers'),
    phones: storage.documents('core-phones'),
    emails: storage.documents('core-emails'),
    codes: storage.documents('core-codes'),
    tokens: storage.documents('core-tokens'),
    limits: storage.documents('core-limits'),
    reviews: storage.collection('core-reviews', {
      keys: ['state'],
      index: (review: ReviewRecord) => ({ state: review.state }),
      order: (review: ReviewRecord) => review.createdAt,
    }),
    reviewPhotos: storage.documents('core-review-photos'),
    assists: storage.documents('core-assists'),
    inboxes: storage.documents('core-inboxes'),
    bindings: storage.documents('core-bindings'),
    bindingRequests: storage.documents('core-binding-requests'),
    meta: storage.documents('core-meta'),
    secrets: storage.documents('core-secrets'),
  };
}

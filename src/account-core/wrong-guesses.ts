import { callerKey, type Caller } from './context.js';

/**
 * Wrong guesses at one secret of one account (its outstanding SMS codes, its security answers),
 * counted per asker and in all. An asker who used up their own guesses is stopped alone, so a
 * stranger typing wrong codes for someone else's account never stops the owner; the total, higher
 * cap still bounds guessing by many askers together (a 6-digit code must not be found by trying
 * enough identities).
 */
export interface WrongGuesses {
  total: number;
  /** Per asker key (`askerKeys`): wrong guesses since the counts were last reset. */
  byAsker: Record<string, number>;
}

/** How many askers one record remembers; the oldest are forgotten first (the total still counts them). */
const REMEMBERED_ASKERS = 50;

export function noWrongGuesses(): WrongGuesses {
  return { total: 0, byAsker: {} };
}

/**
 * The keys an asker's guesses count under: the end user, and the network address the request came
 * from when known, so fresh identities from one address share one budget.
 */
export function askerKeys(caller: Caller): string[] {
  const keys = [callerKey(caller)];
  if (caller.kind === 'end-user' && caller.address) keys.push(`ip:${caller.address}`);
  return keys;
}

export interface GuessCaps {
  perAsker: number;
  total: number;
}

/** Why no more guesses are taken: this asker's own budget, or everyone's; undefined while guesses remain. */
export function guessingStopped(counts: WrongGuesses, keys: string[], caps: GuessCaps): 'asker' | 'all' | undefined {
  if (counts.total >= caps.total) return 'all';
  return keys.some((key) => (counts.byAsker[key] ?? 0) >= caps.perAsker) ? 'asker' : undefined;
}

/** Guesses this asker has left (the smaller of their own budget and everyone's). */
export function guessesLeft(counts: WrongGuesses, keys: string[], caps: GuessCaps): number {
  const own = Math.min(...keys.map((key) => caps.perAsker - (counts.byAsker[key] ?? 0)));
  return Math.max(0, Math.min(own, caps.total - counts.total));
}

/** The counts after one more wrong guess by this asker. */
export function withWrongGuess(counts: WrongGuesses, keys: string[]): WrongGuesses {
  const byAsker = { ...counts.byAsker };
  for (const key of keys) {
    const previous = byAsker[key] ?? 0;
    delete byAsker[key]; // re-inserted last: the most recent askers are the ones kept
    byAsker[key] = previous + 1;
  }
  const remembered = Object.keys(byAsker);
  for (const key of remembered.slice(0, Math.max(0, remembered.length - REMEMBERED_ASKERS))) delete byAsker[key];
  return { total: counts.total + 1, byAsker };
}

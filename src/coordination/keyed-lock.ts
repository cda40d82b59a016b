import { KeyedMutex } from '../storage/keyed-mutex.js';

/**
 * Runs work for one key at a time. Conversations use it so that two messages of one user never
 * overwrite each other's state; the WeChat client uses it so that one instance refreshes the
 * access token while the others wait for its result.
 */
export interface KeyedLock {
  run<R>(key: string, work: () => Promise<R>): Promise<R>;
}

/** Serialises the turns of one conversation, on this instance or across all of them. */
export type ConversationLock = KeyedLock;

/** The lock of a single process: enough when only one instance serves a data directory. */
export class InProcessLock implements KeyedLock {
  private readonly mutex = new KeyedMutex();

  run<R>(key: string, work: () => Promise<R>): Promise<R> {
    return this.mutex.run(key, work);
  }
}

/** The same lock with every key under a prefix, so several jobs can share one lock service. */
export function prefixedLock(lock: KeyedLock, prefix: string): KeyedLock {
  return { run: (key, work) => lock.run(`${prefix}${key}`, work) };
}

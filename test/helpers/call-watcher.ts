import { onTestFinished, vi } from 'vitest';

/** Calls to one method, counted as they start and as they finish, for tests that wait on events instead of sleeping. */
export interface CallWatcher {
  /** Calls started so far. */
  readonly count: number;
  /** Resolves once `count` calls have started (the method ran up to its first await). */
  untilStarted(count: number): Promise<void>;
  /** Resolves once `count` calls have finished (their promises settled). */
  untilFinished(count: number): Promise<void>;
}

/**
 * Watches `target[method]` until the test ends: the method still runs as before. Spy on a
 * prototype to see calls made inside a running service, e.g. `InboundDispatcher.prototype.dispatch`.
 */
export function watchCalls<T extends object>(target: T, method: keyof T & string): CallWatcher {
  const original = target[method] as unknown as (...args: unknown[]) => unknown;
  let started = 0;
  let finished = 0;
  const waiting: { kind: 'started' | 'finished'; count: number; resolve: () => void }[] = [];
  const wake = () => {
    for (const waiter of [...waiting]) {
      if ((waiter.kind === 'started' ? started : finished) >= waiter.count) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const spy = vi.spyOn(target, method as never).mockImplementation(function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    started += 1;
    wake();
    void Promise.resolve(result)
      .catch(() => undefined)
      .then(() => {
        finished += 1;
        wake();
      });
    return result;
  } as never);
  onTestFinished(() => spy.mockRestore());
  const until = (kind: 'started' | 'finished', count: number) =>
    new Promise<void>((resolve) => {
      waiting.push({ kind, count, resolve });
      wake();
    });
  return {
    get count() {
      return started;
    },
    untilStarted: (count) => until('started', count),
    untilFinished: (count) => until('finished', count),
  };
}

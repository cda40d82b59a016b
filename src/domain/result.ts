/**
 * The one result type of the project: expected failures are values, not exceptions.
 * `E` is the failure's own shape (a core error, a ticket failure, a problem code); `Details`
 * are optional facts a failure may carry beside it (a message, how long to wait).
 */
export type Result<T, E, Details extends object = object> = { ok: true; value: T } | ({ ok: false; error: E } & Partial<Details>);

/** A success. */
export function success<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** An expected failure. */
export function failure<E>(error: E): { ok: false; error: E } {
  return { ok: false, error };
}

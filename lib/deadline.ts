/**
 * Timeouts: {@link within} races a socket call's promise against a timer. Deno cannot cancel a
 * pending `read()`: when the timer wins, close the socket, or wait on the same promise again.
 * @module
 */

/** A socket call did not complete in time. */
export class TimeoutError extends Deno.errors.TimedOut {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * Resolves or rejects as `call` does, or rejects with a {@link TimeoutError} carrying `message`
 * once `ms` milliseconds have passed. Given a function, `within` calls it with an `AbortSignal`
 * that aborts at the timeout, for calls that can be cancelled (`Deno.connect`).
 */
export function within<T>(
  call: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  ms: number,
  message: string,
): Promise<T> {
  const abort = typeof call === "function" ? new AbortController() : undefined;
  const promise = typeof call === "function" ? call(abort!.signal) : call;
  if (ms === Infinity) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new TimeoutError(message);
      abort?.abort(err);
      reject(err);
    }, Math.max(0, ms));
    // Settled first: the timer is cleared. After a timeout, settling changes nothing.
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * For `.catch()` after {@link within} where a timeout is an answer, not a failure: turns a
 * {@link TimeoutError} into `null` and rethrows anything else.
 */
export function timedOut(err: unknown): null {
  if (err instanceof TimeoutError) return null;
  throw err;
}

/**
 * For `.catch()` after {@link within}: turns a {@link TimeoutError} into `value` and rethrows
 * anything else, so a timeout can be told apart from an EOF (`null`).
 */
export function onTimeout<T>(value: T): (err: unknown) => T {
  return (err) => {
    if (err instanceof TimeoutError) return value;
    throw err;
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A time source: ms on a monotonic clock, and a timer that returns its own cancel. */
export type Clock = { now(): number; timer(fn: () => void, ms: number): () => void };

/** The real {@link Clock}: `performance.now()` and `setTimeout`. A test passes a fake one. */
export const realClock: Clock = {
  now: () => performance.now(),
  timer(fn, ms) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
};

/**
 * One timeout helper for every socket call that waits on a peer: {@link within} races the
 * call's promise against a timer.
 *
 * Deno cannot cancel a pending `read()` or `receive()`. When the timer wins, the call is still
 * pending: close the socket (what a server does with a silent peer), or keep the same promise
 * and wait on it again (what the UDP clients do, so a late reply is not lost to an abandoned
 * receive). An overall deadline is a time, not a timer: pass `end - performance.now()`.
 *
 * @module
 */

/** A socket call did not complete in time. */
export class TimeoutError extends Deno.errors.TimedOut {
  /**
   * Makes the error.
   *
   * @param message what did not happen in time (`the peer sent nothing for 30 s`)
   */
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * Resolves or rejects as `call` does, or rejects with a {@link TimeoutError} carrying `message`
 * once `ms` milliseconds have passed. The timer is always cleared. Given a function, `within`
 * calls it with an `AbortSignal` that aborts at the timeout, for calls that can be cancelled
 * (`Deno.connect`): then nothing is left pending.
 *
 * @param call the socket call's promise (`conn.read(buf)`, `socket.receive()`), or a function
 * that starts it with a signal (`(signal) => Deno.connect({ hostname, port, signal })`)
 * @param ms the limit in ms (`Infinity`: none; 0 or less: only an already settled promise wins)
 * @param message the timeout's message, for the one-line error or the log
 * @returns what the call resolves to
 */
export function within<T>(
  call: Promise<T> | ((signal: AbortSignal) => Promise<T>),
  ms: number,
  message: string,
): Promise<T> {
  const abort = typeof call === "function" ? new AbortController() : undefined;
  const promise = typeof call === "function" ? call(abort!.signal) : call;
  if (ms === Infinity) return promise;
  // One promise and one timer per call: this runs for every read and write of a server.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new TimeoutError(message);
      abort?.abort(err);
      reject(err);
    }, Math.max(0, ms));
    promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, (err) => {
      clearTimeout(timer);
      reject(err); // after the timeout this does nothing: a late failure is not unhandled
    });
  });
}

/**
 * For `.catch()` after {@link within} where a timeout is an answer, not a failure: turns a
 * {@link TimeoutError} into `null` and rethrows anything else.
 *
 * @param err what the wait rejected with
 * @returns `null` for a timeout
 */
export function timedOut(err: unknown): null {
  if (err instanceof TimeoutError) return null;
  throw err;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Timeouts for every socket call that waits on a peer: {@link within} races the call's promise
 * against a timer; {@link Deadlines} keeps one coarse clock for a server's many connections.
 *
 * Deno cannot cancel a pending `read()` or `receive()`. When the timer wins, the call is still
 * pending: close the socket (what a server does with a silent peer), or keep the same promise
 * and wait on it again (what the UDP clients do, so a late reply is not lost to an abandoned
 * receive). An overall deadline is a time, not a timer: pass `end - performance.now()`.
 *
 * @module
 */
import { type Linked, LinkedList } from "./list.ts";

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

/**
 * One deadline of a {@link Deadlines} clock. When it passes, it closes its socket (the one way to
 * end a pending `read()` in Deno), unless `late` has been asked for: then it resolves `late`
 * instead and the caller decides what to do, e.g. race each read against it and answer 408.
 */
export class Deadline implements Linked<Deadline> {
  /** When it passes, in `performance.now()` ms. */
  readonly due: number;
  /** Whether it has passed (a read that failed after it did failed because of it). */
  passed = false;
  #late?: Promise<"late">;
  #fire?: (late: "late") => void;
  /** The deadline before it on its list (kept by the list). */
  prev?: Deadline;
  /** The deadline after it on its list (kept by the list). */
  next?: Deadline;

  /**
   * Made by {@link Deadlines.start}.
   *
   * @param ms from now
   * @param owner the clock that watches it
   * @param socket what it closes when it passes, if nobody asked for `late`
   */
  constructor(ms: number, readonly owner: Deadlines, readonly socket?: { close(): void }) {
    this.due = performance.now() + ms;
  }

  /**
   * Resolves to `"late"` once the deadline has passed (and never rejects). Made when first asked
   * for, so a deadline that only closes a socket costs no promise; once asked for, the deadline
   * no longer closes its socket. Race a socket call against it:
   * `await Promise.race([conn.read(buf), deadline.late])`.
   */
  get late(): Promise<"late"> {
    return this.#late ??= this.passed
      ? Promise.resolve("late")
      : new Promise((resolve) => this.#fire = resolve);
  }

  /** Stops watching it (the exchange is over). */
  done(): void {
    this.owner.forget(this);
  }

  /** Called by the clock when `due` has passed. */
  fire(): void {
    this.passed = true;
    if (this.#fire) this.#fire("late");
    else {
      try {
        this.socket?.close();
      } catch {
        // already closed
      }
    }
  }
}

/**
 * Many deadlines, one coarse clock: a server with thousands of connections needs a deadline
 * for each, and a timer per read and per write costs more than the read itself. One interval,
 * running while some deadline is watched (and one tick more), fires those that have passed, at
 * most `tickMs` late.
 */
export class Deadlines {
  #watched = new LinkedList<Deadline>(); // not a Set: see lib/list.ts
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Makes the clock; it runs only while some deadline is watched.
   *
   * @param tickMs how often the clock looks (the precision of every deadline)
   */
  constructor(readonly tickMs = 100) {}

  /**
   * A deadline `ms` from now; call its `done()` when the exchange ends.
   *
   * @param ms from now
   * @param socket what it closes when it passes (unless its `late` is asked for)
   * @returns the deadline
   */
  start(ms: number, socket?: { close(): void }): Deadline {
    const deadline = new Deadline(ms, this, socket);
    this.#watched.add(deadline);
    this.#timer ??= setInterval(() => this.#sweep(), this.tickMs);
    return deadline;
  }

  /**
   * Stops watching `deadline` (once; later calls do nothing). The clock stops at its next tick
   * if nothing is left to watch (not at once: a busy server would start and stop it for every
   * connection).
   *
   * @param deadline one of this clock's
   */
  forget(deadline: Deadline): void {
    this.#watched.remove(deadline);
  }

  /** Stops the clock now, forgetting every deadline (a server that stops calls this). */
  stop(): void {
    this.#watched.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep() {
    const now = performance.now();
    for (const d of this.#watched) {
      if (d.due <= now) (this.#watched.remove(d), d.fire());
    }
    if (this.#watched.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

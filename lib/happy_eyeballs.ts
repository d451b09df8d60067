/**
 * Happy Eyeballs version 2 (RFC 8305): connect to a name that has IPv6 and IPv4 addresses
 * without waiting out a dead path.
 *
 * The steps, each with its section of the RFC:
 * - §3: ask for AAAA and A at the same time. If the answer for the preferred family comes
 *   first, start at once; if the other comes first, wait up to the Resolution Delay (50 ms) for
 *   the preferred one. An answer that arrives later still joins the race.
 * - §4: order the addresses by alternating families, preferred family first (the system's
 *   preference, from getaddrinfo's order; IPv6 unless the system says otherwise).
 * - §5: start one attempt, then another every Connection Attempt Delay (250 ms by default,
 *   never below 10 ms), or at once when an attempt fails. The first connection wins; every other
 *   attempt is aborted and any socket it opened is closed.
 *
 * Added for a robust client: a per-attempt timeout, an overall timeout, duplicates tried once,
 * one error listing every address and why it failed, and a trace of every step. Connecting, time
 * and name lookups are injectable, so tests drive the algorithm with a fake clock.
 *
 * @module
 */
import { isIPv4Literal, isIPv6Literal, stripBrackets } from "./address.ts";
import { explain } from "./errors.ts";
import { getaddrinfo } from "./resolve.ts";

/** An address family: 4 or 6. */
export type Family = 4 | 6;

/** Opens a connection to one address; must stop (reject) when `signal` aborts. */
export type Dial<C> = (address: string, port: number, signal: AbortSignal) => Promise<C>;

/** Looks up the addresses of one family (an empty list or a rejection: none). */
export type Resolve = (host: string, family: Family) => Promise<string[]>;

/** Time, injectable: `now()` in ms and a cancellable timer. */
export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  timer(fn: () => void, ms: number): () => void;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const realClock: Clock = {
  now: () => performance.now(),
  timer(fn, ms) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
};

/** One step of the algorithm, for the trace (`at`: ms since the start). */
export type TraceEvent =
  | { at: number; kind: "resolved"; family: Family; addresses: string[]; error?: string }
  | { at: number; kind: "attempt"; address: string }
  | { at: number; kind: "failed"; address: string; reason: string }
  | { at: number; kind: "connected"; address: string }
  | { at: number; kind: "cancelled"; address: string }
  | { at: number; kind: "timeout" };

/** Options for {@link connectHappyEyeballs}. */
export interface HappyOptions<C> {
  /** Connection Attempt Delay in ms (RFC 8305 §5; default 250, floor 10). */
  attemptDelayMs?: number;
  /** Resolution Delay in ms (§3; default 50). */
  resolutionDelayMs?: number;
  /** Give up on one address after this long (default: never). */
  attemptTimeoutMs?: number;
  /** Give up on everything after this long (default: never). */
  timeoutMs?: number;
  /** The family to start with (default: the system's preference, see {@link systemPreference}). */
  preferFamily?: Family;
  /** One address at a time, each after the previous failed (no race): for contrast. */
  sequential?: boolean;
  /** How to connect (default: `Deno.connect` over TCP). */
  dial?: Dial<C>;
  /** How to look names up (default: getaddrinfo per family). */
  resolve?: Resolve;
  /** Time (default: the real clock). */
  clock?: Clock;
  /** Called with each step as it happens. */
  trace?: (event: TraceEvent) => void;
}

/** The winning connection and how it was won. */
export interface HappyResult<C> {
  /** The connection. */
  conn: C;
  /** The address it connected to. */
  address: string;
  /** Ms from the first connection attempt to the connection. */
  connectMs: number;
  /** Ms from the start (resolution included) to the connection. */
  totalMs: number;
}

/** Every address failed (or the overall timeout passed): why, address by address. */
export class HappyEyeballsError extends Error {
  /**
   * Makes the error.
   *
   * @param host the name
   * @param port the port
   * @param failures each address (or lookup) and its reason
   */
  constructor(
    readonly host: string,
    readonly port: number,
    readonly failures: { address: string; reason: string }[],
  ) {
    // Lookup failures matter only when no address was found at all (an unknown name).
    const tried = failures.filter((f) => !f.address.endsWith(" lookup"));
    const list = (tried.length > 0 ? tried : failures).map((f) => `${f.address} (${f.reason})`);
    super(
      tried.length > 0
        ? `could not connect to ${host} port ${port}: ${list.join("; ")}`
        : `no address to connect to for "${host}": ${list.join("; ") || "none"}`,
    );
    this.name = "HappyEyeballsError";
  }
}

/** The default dial: a TCP connection to one literal address, abortable. */
export const dialTcp: Dial<Deno.TcpConn> = (
  address: string,
  port: number,
  signal: AbortSignal,
): Promise<Deno.TcpConn> => Deno.connect({ hostname: address, port, transport: "tcp", signal });

/** The default lookup: getaddrinfo for one family. */
export const resolveFamily: Resolve = async (host: string, family: Family): Promise<string[]> =>
  (await getaddrinfo(host, family)).map((a) => a.address);

/**
 * The family the system puts first for `host`: the family of getaddrinfo's first answer
 * (RFC 6724 ordering, /etc/gai.conf on Linux). IPv6 if the lookup fails.
 *
 * @param host the name
 * @returns 4 or 6
 */
export async function systemPreference(host: string): Promise<Family> {
  try {
    return (await getaddrinfo(host, 0))[0].family;
  } catch {
    return 6;
  }
}

/**
 * Connects to `host` (a name or a literal) and `port`, racing its addresses per RFC 8305.
 *
 * @param host a name (`localhost`) or a literal (`::1`, `[::1]`, `127.0.0.1`)
 * @param port the port
 * @param options delays, timeouts, injectables, trace
 * @returns the first connection to succeed
 * @throws HappyEyeballsError listing every address and why it failed
 */
export function connectHappyEyeballs<C extends { close(): void } = Deno.TcpConn>(
  host: string,
  port: number,
  options: HappyOptions<C> = {},
): Promise<HappyResult<C>> {
  const clock = options.clock ?? realClock;
  const dial = options.dial ?? (dialTcp as unknown as Dial<C>);
  const resolve = options.resolve ?? resolveFamily;
  const attemptDelay = options.sequential ? Infinity : Math.max(10, options.attemptDelayMs ?? 250);
  const resolutionDelay = options.resolutionDelayMs ?? 50;
  const t0 = clock.now();
  const at = () => Math.round((clock.now() - t0) * 10) / 10;
  const trace = options.trace ?? (() => {});
  const bare = stripBrackets(host);

  return new Promise<HappyResult<C>>((resolvePromise, rejectPromise) => {
    const queues: Record<Family, string[]> = { 4: [], 6: [] };
    let prefer: Family = options.preferFamily ?? 6;
    let next: Family = prefer; // the family of the next attempt: they alternate (§4)
    const seen = new Set<string>();
    const inFlight = new Map<string, AbortController>();
    const failures: { address: string; reason: string }[] = [];
    const answered: Record<Family, boolean> = { 4: false, 6: false };
    let started = false;
    let done = false;
    let firstAttemptAt = -1;
    let lastAttemptAt = -Infinity;
    let cancelNextAttempt: (() => void) | undefined;
    let cancelResolutionDelay: (() => void) | undefined;
    let cancelOverall: (() => void) | undefined;

    const finish = (result: HappyResult<C> | Error) => {
      if (done) return;
      done = true;
      cancelNextAttempt?.();
      cancelResolutionDelay?.();
      cancelOverall?.();
      for (const [address, ctl] of inFlight) {
        trace({ at: at(), kind: "cancelled", address });
        ctl.abort(new Error("another address won"));
      }
      inFlight.clear();
      if (result instanceof Error) rejectPromise(result);
      else resolvePromise(result);
    };

    const allAnswered = () => answered[4] && answered[6];
    const failIfExhausted = () => {
      if (
        !done && inFlight.size === 0 && queues[4].length + queues[6].length === 0 && allAnswered()
      ) {
        finish(new HappyEyeballsError(bare, port, failures));
      }
    };

    // §5: start the next attempt now, and arm the timer for the one after.
    const attemptNext = () => {
      cancelNextAttempt?.();
      cancelNextAttempt = undefined;
      if (done) return;
      const family: Family = queues[next].length > 0 ? next : next === 6 ? 4 : 6;
      const address = queues[family].shift();
      if (address === undefined) return failIfExhausted(); // wait for late answers or results
      next = family === 6 ? 4 : 6;
      started = true;
      lastAttemptAt = clock.now();
      if (firstAttemptAt < 0) firstAttemptAt = lastAttemptAt;
      trace({ at: at(), kind: "attempt", address });
      const ctl = new AbortController();
      inFlight.set(address, ctl);
      const cancelAttemptTimeout = options.attemptTimeoutMs === undefined ? undefined : clock.timer(
        () => ctl.abort(new Deno.errors.TimedOut(`no answer in ${options.attemptTimeoutMs} ms`)),
        options.attemptTimeoutMs,
      );
      dial(address, port, ctl.signal).then(
        (conn) => {
          cancelAttemptTimeout?.();
          if (done || ctl.signal.aborted) {
            conn.close(); // it lost (or was cancelled) but connected anyway: close it
            return;
          }
          inFlight.delete(address);
          trace({ at: at(), kind: "connected", address });
          const now = clock.now();
          finish({ conn, address, connectMs: now - firstAttemptAt, totalMs: now - t0 });
        },
        (err) => {
          cancelAttemptTimeout?.();
          if (done) return;
          inFlight.delete(address);
          const reason = ctl.signal.aborted ? explain(ctl.signal.reason) : explain(err);
          failures.push({ address, reason });
          trace({ at: at(), kind: "failed", address, reason });
          attemptNext(); // a failure starts the next attempt at once
        },
      );
      if (Number.isFinite(attemptDelay)) cancelNextAttempt = clock.timer(attemptNext, attemptDelay);
    };

    // New addresses: queue them (once each); start if nothing is running and the delay is over.
    const enqueue = (family: Family, addresses: string[]) => {
      for (const a of addresses) {
        if (!seen.has(a)) {
          seen.add(a);
          queues[family].push(a);
        }
      }
      if (!started || done || cancelNextAttempt !== undefined) return;
      const wait = lastAttemptAt + attemptDelay - clock.now();
      if (inFlight.size === 0 || wait <= 0) attemptNext();
      else if (Number.isFinite(wait)) cancelNextAttempt = clock.timer(attemptNext, wait);
    };

    const begin = () => {
      cancelResolutionDelay?.();
      cancelResolutionDelay = undefined;
      if (!started && !done) {
        next = prefer;
        attemptNext();
      }
    };

    // §3: both lookups at once; the preferred family's answer starts the race.
    const onAnswer = (family: Family, addresses: string[], error?: string) => {
      if (done) return;
      answered[family] = true;
      trace({ at: at(), kind: "resolved", family, addresses, error });
      if (error !== undefined) failures.push({ address: `IPv${family} lookup`, reason: error });
      enqueue(family, addresses);
      if (started) return failIfExhausted();
      const other: Family = family === 6 ? 4 : 6;
      if (family === prefer || answered[other]) begin();
      else if (addresses.length > 0) {
        cancelResolutionDelay ??= clock.timer(begin, resolutionDelay);
      }
      failIfExhausted();
    };

    if (options.timeoutMs !== undefined) {
      cancelOverall = clock.timer(() => {
        trace({ at: at(), kind: "timeout" });
        for (const address of inFlight.keys()) {
          failures.push({ address, reason: `still connecting after ${options.timeoutMs} ms` });
        }
        finish(new HappyEyeballsError(bare, port, failures));
      }, options.timeoutMs);
    }

    // A literal address needs no lookup.
    if (isIPv4Literal(bare) || isIPv6Literal(bare)) {
      const family: Family = isIPv6Literal(bare) ? 6 : 4;
      prefer = family;
      answered[family === 6 ? 4 : 6] = true;
      onAnswer(family, [bare]);
      return;
    }
    for (const family of [6, 4] as const) {
      resolve(bare, family).then(
        (addresses) => onAnswer(family, addresses),
        (err) => onAnswer(family, [], explain(err)),
      );
    }
  });
}

/**
 * One line per step of the race, as the client prints it.
 *
 * @param e the step
 * @returns the line
 */
export function describeEvent(e: TraceEvent): string {
  switch (e.kind) {
    case "resolved":
      return `IPv${e.family} addresses after ${e.at} ms: ${
        e.addresses.join(", ") || `none (${e.error})`
      }`;
    case "attempt":
      return `Trying ${e.address} at ${e.at} ms`;
    case "failed":
      return `  ${e.address} failed at ${e.at} ms: ${e.reason}`;
    case "connected":
      return `  ${e.address} connected at ${e.at} ms`;
    case "cancelled":
      return `  ${e.address} cancelled: another address won`;
    case "timeout":
      return `Gave up at ${e.at} ms (--timeout)`;
  }
}

/**
 * A lookup that answers from a fixed list instead of getaddrinfo (like curl's `--resolve`):
 * for demos and tests of the race where the system has no name with both families.
 *
 * @param addresses IPv6 and IPv4 literals
 * @returns a {@link Resolve} giving each family its addresses from the list
 */
export function pinnedResolver(addresses: string[]): Resolve {
  return (_host, family) =>
    Promise.resolve(addresses.filter((a) => isIPv6Literal(a) === (family === 6)));
}

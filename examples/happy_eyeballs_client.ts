/**
 * @module Happy Eyeballs: look a name up, then race its IPv6 and IPv4 addresses (RFC 8305) instead
 * of waiting out a dead path; then speak HTTP over the winner.
 *
 * ```sh
 * deno run --allow-net examples/happy_eyeballs_client.ts HOST [PORT] [--delay 0.25] [--timeout 10] [--trace] [--sequential]
 * ```
 *
 * ```text
 * $ deno run --allow-net examples/http_server.ts
 * Listening on http://127.0.0.1:8080/ (Ctrl+C to quit)
 * 127.0.0.1#53330 GET / -> 404
 *
 * $ deno run --allow-net examples/happy_eyeballs_client.ts 127.0.0.1 8080
 * 127.0.0.1 is an address: nothing to look up
 * IPv4 addresses after 0 ms: 127.0.0.1
 * Trying 127.0.0.1 at 0.1 ms
 *   127.0.0.1 connected at 1.1 ms
 * Connected to 127.0.0.1 at 1.1 ms
 * HTTP/1.1 404 Not Found
 * ...
 * Data was received in 1 reads
 * ```
 *
 * Source: `000_860ab8cd1e472fb1.txt`: httpclient.py, which it includes (`Trying`, `Connected to`,
 * `GET` with `Host`, `Data was received in N recv calls`), and happy eyeballs, which it mentions
 * as one strategy being discussed in the IETF (try the next address when the first has not
 * answered within a small delay, e.g. 300 ms). `--sequential` is Beej's getaddrinfo loop, one
 * address after another. Fixed: a dead address was waited out; no `Connection: close`, so a
 * keep-alive server hung it; N counted the final empty read. To watch a race on loopback only
 * (`deno task tour 10` does it): a listener on ::1 whose accept queue is full drops every SYN, so
 * with `--resolve ::1,127.0.0.1 --trace` IPv6 hangs and IPv4 wins 250 ms later.
 */
import { concat } from "@std/bytes";
import { isIPv4Literal, isIPv6Literal, stripBrackets } from "../lib/address.ts";
import { terminalSafe } from "../lib/bytes.ts";
import { parseCli, parsePort, UsageError } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { explain, ignoreGone, runMain, UserError } from "../lib/errors.ts";
import { pinnedResolver, type Resolve, resolveFamily, systemPreference } from "../lib/resolve.ts";

export type { Resolve };

/** An address family: 4 or 6. */
export type Family = 4 | 6;

/** Opens a connection to one address; must stop (reject) when `signal` aborts. */
export type Dial<C> = (address: string, port: number, signal: AbortSignal) => Promise<C>;

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

/** One step of the race, for the trace (`at`: ms since the start). */
export type TraceEvent =
  | { at: number; kind: "resolved"; family: Family; addresses: string[]; error?: string }
  | { at: number; kind: "attempt"; address: string }
  | { at: number; kind: "failed"; address: string; reason: string }
  | { at: number; kind: "connected"; address: string }
  | { at: number; kind: "cancelled"; address: string; reason: string }
  | { at: number; kind: "timeout" };

type Step = TraceEvent extends infer E ? E extends unknown ? Omit<E, "at"> : never : never;

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
  /** The family to start with (default 6; the client asks the system, see systemPreference). */
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

/** The default dial: `socket()` + `connect()` to one literal address, abortable. */
export const dialTcp: Dial<Deno.TcpConn> = (address, port, signal) =>
  Deno.connect({ hostname: address, port, transport: "tcp", signal });

/**
 * One race, as RFC 8305 runs it. Each method is one step; the state they share is below.
 * (A class so that each step can be read on its own; `connectHappyEyeballs` drives it.)
 */
class Race<C extends { close(): void }> {
  readonly queues: Record<Family, string[]> = { 4: [], 6: [] }; // addresses not yet tried
  readonly answered: Record<Family, boolean> = { 4: false, 6: false };
  readonly seen = new Set<string>(); // each address is tried once
  readonly inFlight = new Map<string, AbortController>(); // attempts not yet settled
  readonly failures: { address: string; reason: string }[] = [];
  next: Family; // the family of the next attempt: they alternate (§4)
  started = false;
  done = false;
  firstAttemptAt = -1;
  lastAttemptAt = -Infinity;
  cancelNextAttempt?: () => void;
  cancelResolutionDelay?: () => void;
  readonly t0: number;
  readonly attemptDelay: number;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly o: HappyOptions<C> & { clock: Clock; dial: Dial<C>; prefer: Family },
    readonly settle: (result: HappyResult<C> | Error) => void,
  ) {
    this.t0 = o.clock.now();
    this.next = o.prefer;
    this.attemptDelay = o.sequential ? Infinity : Math.max(10, o.attemptDelayMs ?? 250);
  }

  /** Reports a step, stamped with the ms since the start (one clock for every line). */
  trace(e: Step, now = this.o.clock.now()) {
    const at = Math.round((now - this.t0) * 10) / 10;
    this.o.trace?.({ at, ...e } as TraceEvent);
  }

  /** §3: a lookup answered. Queue its addresses; the preferred family's answer starts the race,
   * the other's starts it after the Resolution Delay unless the preferred one comes first. */
  onAnswer(family: Family, addresses: string[], error?: string) {
    if (this.done) return;
    this.answered[family] = true;
    this.trace({ kind: "resolved", family, addresses, error });
    if (error !== undefined) this.failures.push({ address: `IPv${family} lookup`, reason: error });
    this.enqueue(family, addresses);
    if (this.started) return this.failIfExhausted();
    if (family === this.o.prefer || this.answered[family === 6 ? 4 : 6]) this.begin();
    else if (addresses.length > 0) {
      this.cancelResolutionDelay ??= this.o.clock.timer(
        () => this.begin(),
        this.o.resolutionDelayMs ?? 50,
      );
    }
    this.failIfExhausted();
  }

  /** Queues new addresses, once each. A late answer joins a race already running: at once if
   * nothing is in flight or the attempt delay is over, else when it ends. */
  enqueue(family: Family, addresses: string[]) {
    for (const a of addresses) {
      if (this.seen.has(a)) continue;
      this.seen.add(a);
      this.queues[family].push(a);
    }
    if (!this.started || this.done || this.cancelNextAttempt !== undefined) return;
    const wait = this.lastAttemptAt + this.attemptDelay - this.o.clock.now();
    if (this.inFlight.size === 0 || wait <= 0) this.attemptNext();
    else if (Number.isFinite(wait)) {
      this.cancelNextAttempt = this.o.clock.timer(() => this.attemptNext(), wait);
    }
  }

  /** The race starts, with the preferred family. */
  begin() {
    this.cancelResolutionDelay?.();
    this.cancelResolutionDelay = undefined;
    if (!this.started && !this.done) {
      this.next = this.o.prefer;
      this.attemptNext();
    }
  }

  /** §5: start the next attempt now, alternating families, and arm the timer for the one after
   * (the Connection Attempt Delay). A failure starts the next one at once. */
  attemptNext() {
    this.cancelNextAttempt?.();
    this.cancelNextAttempt = undefined;
    if (this.done) return;
    const family: Family = this.queues[this.next].length > 0 ? this.next : this.next === 6 ? 4 : 6;
    const address = this.queues[family].shift();
    if (address === undefined) return this.failIfExhausted(); // wait for late answers or results
    this.next = family === 6 ? 4 : 6;
    this.started = true;
    this.lastAttemptAt = this.o.clock.now();
    if (this.firstAttemptAt < 0) this.firstAttemptAt = this.lastAttemptAt;
    this.trace({ kind: "attempt", address });
    const ctl = new AbortController();
    this.inFlight.set(address, ctl);
    const limit = this.o.attemptTimeoutMs;
    const cancelLimit = limit === undefined ? undefined : this.o.clock.timer(
      () => ctl.abort(new Deno.errors.TimedOut(`no answer in ${limit} ms`)),
      limit,
    );
    // connect(): this attempt's own socket, abortable when another wins.
    this.o.dial(address, this.port, ctl.signal).then(
      (conn) => (cancelLimit?.(), this.connected(address, conn, ctl.signal)),
      (
        err,
      ) => (cancelLimit?.(), this.failed(address, ctl.signal.aborted ? ctl.signal.reason : err)),
    );
    if (Number.isFinite(this.attemptDelay)) {
      this.cancelNextAttempt = this.o.clock.timer(() => this.attemptNext(), this.attemptDelay);
    }
  }

  /** An attempt connected: the first wins; one that lost but connected anyway is closed. */
  connected(address: string, conn: C, signal: AbortSignal) {
    if (this.done || signal.aborted) return conn.close();
    this.inFlight.delete(address);
    const now = this.o.clock.now();
    this.trace({ kind: "connected", address }, now);
    this.finish({ conn, address, connectMs: now - this.firstAttemptAt, totalMs: now - this.t0 });
  }

  /** An attempt failed: note why, and start the next at once. */
  failed(address: string, err: unknown) {
    if (this.done) return;
    this.inFlight.delete(address);
    const reason = explain(err);
    this.failures.push({ address, reason });
    this.trace({ kind: "failed", address, reason });
    this.attemptNext();
  }

  /** Nothing left to try, nothing in flight, both lookups answered: every address failed. */
  failIfExhausted() {
    const left = this.queues[4].length + this.queues[6].length;
    if (
      !this.done && this.inFlight.size === 0 && left === 0 && this.answered[4] && this.answered[6]
    ) {
      this.finish(new HappyEyeballsError(this.host, this.port, this.failures));
    }
  }

  /** The overall timeout: what is still connecting failed. */
  timeout(ms: number) {
    this.trace({ kind: "timeout" });
    for (const address of this.inFlight.keys()) {
      this.failures.push({ address, reason: `still connecting after ${ms} ms` });
    }
    this.finish(new HappyEyeballsError(this.host, this.port, this.failures));
  }

  /** The end, won or lost: stop the timers and abort every attempt still in flight. */
  finish(result: HappyResult<C> | Error) {
    if (this.done) return;
    this.done = true;
    this.cancelNextAttempt?.();
    this.cancelResolutionDelay?.();
    // Only two ends leave attempts in flight: a winner, or the overall --timeout.
    const reason = result instanceof Error
      ? "the overall --timeout passed"
      : `${result.address} won`;
    for (const [address, ctl] of this.inFlight) {
      this.trace({ kind: "cancelled", address, reason });
      ctl.abort(new Error(reason));
    }
    this.inFlight.clear();
    this.settle(result);
  }
}

/**
 * Connects to `host` (a name or a literal) and `port`, racing its addresses per RFC 8305.
 *
 * @throws HappyEyeballsError listing every address and why it failed
 */
export function connectHappyEyeballs<C extends { close(): void } = Deno.TcpConn>(
  host: string,
  port: number,
  options: HappyOptions<C> = {},
): Promise<HappyResult<C>> {
  const bare = stripBrackets(host);
  const clock = options.clock ?? realClock;
  const dial = options.dial ?? (dialTcp as unknown as Dial<C>);
  const literal: Family | 0 = isIPv6Literal(bare) ? 6 : isIPv4Literal(bare) ? 4 : 0;
  const prefer = literal || options.preferFamily || 6;
  return new Promise((resolve, reject) => {
    let cancelOverall: (() => void) | undefined;
    const race = new Race<C>(bare, port, { ...options, clock, dial, prefer }, (result) => {
      cancelOverall?.();
      result instanceof Error ? reject(result) : resolve(result);
    });
    const { timeoutMs } = options;
    if (timeoutMs !== undefined) {
      cancelOverall = clock.timer(() => race.timeout(timeoutMs), timeoutMs);
    }
    // A literal address needs no lookup: the other family has nothing to say.
    if (literal !== 0) {
      race.answered[literal === 6 ? 4 : 6] = true;
      return race.onAnswer(literal, [bare]);
    }
    // getaddrinfo for AAAA and A at the same time (§3).
    const lookup = options.resolve ?? resolveFamily;
    for (const family of [6, 4] as const) {
      lookup(bare, family).then(
        (addresses) => race.onAnswer(family, addresses),
        (err) => race.onAnswer(family, [], explain(err)),
      );
    }
  });
}

/** One line per step of the race, as the client prints it. */
export function describeEvent(e: TraceEvent): string {
  switch (e.kind) {
    case "resolved":
      return `IPv${e.family} addresses after ${e.at} ms: ${
        e.addresses.join(", ") || (e.error ? `none (${e.error})` : "none given")
      }`;
    case "attempt":
      return `Trying ${e.address} at ${e.at} ms`;
    case "failed":
      return `  ${e.address} failed at ${e.at} ms: ${e.reason}`;
    case "connected":
      return `  ${e.address} connected at ${e.at} ms`;
    case "cancelled":
      return `  ${e.address} cancelled at ${e.at} ms: ${e.reason}`;
    case "timeout":
      return `Gave up at ${e.at} ms (--timeout)`;
  }
}

/**
 * The race drawn to scale, one row per address: `o` the attempt starts, `-` it waits, then `*`
 * connected, `x` failed or `/` cancelled. A row starting 250 ms to the right is the stagger.
 */
export function timeline(events: TraceEvent[], width = 50): string[] {
  const rows = new Map<string, { start: number; end?: number; mark?: string; what?: string }>();
  let last = 1;
  for (const e of events) {
    last = Math.max(last, e.at);
    if (e.kind === "attempt") rows.set(e.address, { start: e.at });
    const row = "address" in e ? rows.get(e.address) : undefined;
    if (row === undefined || e.kind === "attempt") continue;
    const mark = { connected: "*", failed: "x", cancelled: "/" }[e.kind as string] ?? "?";
    Object.assign(row, { end: e.at, mark, what: `${e.kind} at ${e.at} ms` });
  }
  const col = (ms: number) => Math.round((ms / last) * width);
  const name = Math.max(7, ...[...rows.keys()].map((a) => a.length));
  const lines = [`${"".padEnd(name)}  0 ms${`${last} ms`.padStart(width - 3)}`];
  for (const [address, r] of rows) {
    const from = col(r.start), to = r.end === undefined ? width : col(r.end);
    const bar = to > from
      ? `${" ".repeat(from)}o${"-".repeat(to - from - 1)}${r.mark ?? "-"}`
      : `${" ".repeat(from)}${r.mark ?? "o"}`;
    lines.push(`${address.padEnd(name)}  ${bar.padEnd(width + 1)}  ${r.what ?? "in flight"}`);
  }
  lines.push(`${"".padEnd(name)}  o attempt  - connecting  * connected  x failed  / cancelled`);
  return lines;
}

/** Sends a GET over `conn`; returns the reply and how many reads returned data. */
export async function httpGet(
  conn: Deno.Conn,
  host: string,
  path: string,
  { timeoutMs = 10_000, limit = 16 << 20 } = {},
): Promise<{ text: string; reads: number }> {
  // sendall() the request, then shutdown(SHUT_WR), as the UW document does: nothing more to say.
  const request = new TextEncoder().encode(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  );
  // One deadline for the whole response: a server that drips a byte a second gets no longer.
  const end = performance.now() + timeoutMs;
  const late = `no complete response in ${timeoutMs / 1000} s`;
  for (let off = 0; off < request.length;) {
    off += await within(conn.write(request.subarray(off)), end - performance.now(), late);
  }
  await conn.closeWrite().catch(ignoreGone); // a server that already closed is fine
  // recv(16384) until the server closes, each read with a timeout (a server that accepts and
  // never answers would hang us). N counts reads that returned data, not the final EOF.
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(16384);
  let total = 0;
  for (let n; (n = await within(conn.read(buf), end - performance.now(), late)) !== null;) {
    if ((total += n) > limit) throw new Error(`the response is over ${limit} bytes`);
    chunks.push(buf.slice(0, n));
  }
  return { text: new TextDecoder().decode(concat(chunks)), reads: chunks.length };
}

const USAGE =
  `Looks HOST up, races its IPv6 and IPv4 addresses (RFC 8305), and GETs a page over the winner.
usage: deno run --allow-net examples/happy_eyeballs_client.ts HOST [PORT] [options]
  HOST                   a name or an address to connect to
  PORT                   the port (default 80)
  --path PATH            the path to GET (default /)
  --delay SEC            Connection Attempt Delay between attempts (default 0.25, at least 0.01)
  --timeout SEC          limit for the whole connect race, then for the whole response (default 10)
  --attempt-timeout SEC  give up on one address after this long (default 5)
  --sequential           one address at a time, each after the previous failed (for contrast)
  --resolve A[,A...]     use these addresses instead of looking HOST up (like curl --resolve)
  --trace                end with a timeline of the race, one row per address, to scale`;

if (import.meta.main) {
  await runMain("happy_eyeballs_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: {
        path: "/",
        delay: "0.25",
        timeout: "10",
        "attempt-timeout": "5",
        resolve: undefined,
      },
      booleans: ["sequential", "trace"],
      maxPositionals: 2,
    });
    const [host, portText = "80"] = cli.positionals.map(stripBrackets);
    if (host === undefined) throw new UsageError("HOST is missing");
    const port = parsePort(portText, "port");
    const options = {
      attemptDelayMs: cli.number("delay", 0.01, 60) * 1000,
      timeoutMs: cli.number("timeout", 0.001, 600) * 1000,
      attemptTimeoutMs: cli.number("attempt-timeout", 0.001, 600) * 1000,
      sequential: cli.flag("sequential"),
    };
    // Without permission, node:dns says only "getaddrinfo EPERM": say what to do instead.
    if (Deno.permissions.querySync({ name: "net", host }).state !== "granted") {
      throw new UserError(`no permission to look up or reach "${host}": run with --allow-net`);
    }
    // --resolve pins the addresses (for demos and tests); else getaddrinfo per family, and the
    // system's order (getaddrinfo with family 0) tells which family to start with.
    const pinned = cli.string("resolve")?.split(",").map(stripBrackets);
    const prefer = pinned ? (isIPv6Literal(pinned[0]) ? 6 : 4) : await systemPreference(host);
    console.log(
      pinned
        ? `Using the addresses given with --resolve for ${host} (IPv${prefer} first)`
        : isIPv4Literal(host) || isIPv6Literal(host)
        ? `${host} is an address: nothing to look up`
        : `Resolving ${host} (AAAA and A at once; IPv${prefer} first)`,
    );
    const events: TraceEvent[] = [];
    const drawn = () => cli.flag("trace") && console.log(["", ...timeline(events)].join("\n"));
    const won = await connectHappyEyeballs(host, port, {
      ...options,
      preferFamily: prefer,
      resolve: pinned ? pinnedResolver(pinned) : undefined,
      trace: (e) => (events.push(e), console.log(describeEvent(e))),
    }).catch((err) => {
      drawn();
      throw err;
    });
    try {
      // The same clock as the trace: ms since the start.
      console.log(`Connected to ${won.address} at ${Math.round(won.totalMs * 10) / 10} ms`);
      const { text, reads } = await httpGet(
        won.conn,
        host.includes(":") ? `[${host}]` : host,
        cli.string("path")!,
        { timeoutMs: options.timeoutMs },
      );
      console.log(terminalSafe(text).trimEnd()); // escapes from the server stay escaped
      console.log(`Data was received in ${reads} reads`);
      drawn();
    } finally {
      // close()
      won.conn.close();
    }
  });
}

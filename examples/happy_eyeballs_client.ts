/**
 * @module Happy Eyeballs (RFC 8305): race a name's IPv6 and IPv4 addresses, 250 ms apart; GET /.
 *
 * ```text
 * $ deno run --allow-net examples/http_server.ts
 * Listening on http://127.0.0.1:8080/ (Ctrl+C to quit)
 * 127.0.0.1#53330 GET / -> 404
 *
 * $ deno run --allow-net examples/happy_eyeballs_client.ts 127.0.0.1 8080
 * ...
 * Trying 127.0.0.1 at 0.1 ms
 * Connected to 127.0.0.1 at 1.1 ms
 * HTTP/1.1 404 Not Found
 * ...
 * Data was received in 1 read
 * ```
 * Source: Bonaventure, CNP3, "Writing simple networked applications": httpclient.py and happy
 * eyeballs; `--sequential` is Beej's getaddrinfo loop. Fixed: a dead address was waited out; no
 * `Connection: close` hung it. (`Deno.connect` with a name already races this way, 250 ms apart.)
 */
import { isIPv4Literal, isIPv6Literal, stripBrackets } from "../lib/address.ts";
import { terminalSafe } from "../lib/bytes.ts";
import { parseCli, parsePort, UsageError } from "../lib/cli.ts";
import { type Clock, realClock, within } from "../lib/deadline.ts";
import { explain, ignoreGone, runMain, UserError } from "../lib/errors.ts";
import { pinnedResolver, type Resolve, resolveFamily, systemPreference } from "../lib/resolve.ts";

/** An address family. */
export type Family = 4 | 6;
/** Opens a connection to one address; must stop (reject) when `signal` aborts. */
export type Dial<C> = (address: string, port: number, signal: AbortSignal) => Promise<C>;
/** One step of the race, as it happens (`at`: ms since the start). */
export type TraceEvent = { at: number; kind: "resolved"; family: Family; addresses: string[] } | {
  at: number;
  kind: "attempt" | "connected" | "failed" | "cancelled";
  address: string;
  reason?: string;
};

/** How to race (times in ms) and with what; every field has a default. */
export interface HappyOptions<C> {
  attemptDelayMs?: number; // Connection Attempt Delay (RFC 8305 section 5): 250, at least 10
  timeoutMs?: number; // give up on everything after this long (default: never)
  preferFamily?: Family; // the family to start with (default 6)
  sequential?: boolean; // one address after another, each after the previous failed (Beej)
  dial?: Dial<C>; // default: Deno.connect over TCP
  resolve?: Resolve; // default: getaddrinfo, one family at a time
  clock?: Clock; // time, injectable so the race's tests run on virtual time
  trace?: (event: TraceEvent) => void;
}
/** The winning connection, its address, and ms from the first attempt and from the start. */
export type HappyResult<C> = { conn: C; address: string; connectMs: number; totalMs: number };
type Failure = { address: string; reason: string };

/** Every address failed (or the overall timeout passed): why, address by address. */
export class HappyEyeballsError extends UserError {
  constructor(host: string, port: number, readonly failures: Failure[], lookup = "") {
    const list = failures.map((f) => `${f.address} (${f.reason})`).join("; ");
    super(list ? `could not connect to ${host} port ${port}: ${list}` : lookup); // no address: why
  }
}

/** Connects to `host` (a name or a literal) on `port`, racing its addresses per RFC 8305. */
export async function connectHappyEyeballs<C extends { close(): void } = Deno.TcpConn>(
  host: string,
  port: number,
  options: HappyOptions<C> = {},
): Promise<HappyResult<C>> {
  const { clock = realClock, resolve = resolveFamily, timeoutMs = Infinity } = options;
  // The default dial: socket() + connect() to one literal address, abortable.
  const tcp: Dial<Deno.Conn> = (hostname, port, signal) => Deno.connect({ hostname, port, signal });
  const dial = (options.dial ?? tcp) as Dial<C>, trace = options.trace ?? (() => {});
  const t0 = clock.now(), stamp = () => Math.round((clock.now() - t0) * 10) / 10;
  const bare = stripBrackets(host), literal = isIPv6Literal(bare) ? 6 : isIPv4Literal(bare) ? 4 : 0;
  const prefer: Family = literal || options.preferFamily || 6, other: Family = prefer === 6 ? 4 : 6;
  const delay = options.sequential ? Infinity : Math.max(10, options.attemptDelayMs ?? 250);
  const queues: Record<Family, string[]> = { 4: [], 6: [] }; // addresses not yet tried
  const answeredAt: Record<Family, number> = { 4: NaN, 6: NaN }; // NaN: no answer yet
  const failures: Failure[] = [], attempts = new Map<string, AbortController>(); // in flight
  let won: HappyResult<C> | undefined, firstAt = Infinity, lastAt = -Infinity, next = prefer;
  let lookupError = `no address found for ${bare}`; // what to say if no address is found
  let wake = () => {}; // the race sleeps until an answer, a result or a timer wakes it

  // getaddrinfo for AAAA and A at once (section 3); each answer queues its new addresses.
  const answer = (family: Family, addresses: string[]) => {
    answeredAt[family] = clock.now();
    trace({ at: stamp(), kind: "resolved", family, addresses });
    queues[family].push(...new Set(addresses)); // each address once
    wake();
  };
  for (const f of [6, 4] as const) {
    const lookup = literal ? Promise.resolve(literal === f ? [bare] : []) : resolve(bare, f);
    lookup.then((found) => answer(f, found), (err) => {
      lookupError = explain(err).replace(/IPv[46] address/, "address");
      answer(f, []);
    });
  }

  // One attempt: socket() + connect() to one address. The first to connect wins; one that
  // connects after losing is closed; a failure is noted and wakes the race.
  const attempt = (address: string) => {
    trace({ at: stamp(), kind: "attempt", address });
    const ctl = new AbortController();
    attempts.set(address, ctl);
    dial(address, port, ctl.signal).then((conn) => {
      if (won || !attempts.delete(address)) return conn.close();
      won = { conn, address, connectMs: clock.now() - firstAt, totalMs: clock.now() - t0 };
      trace({ at: stamp(), kind: "connected", address });
    }, (err) => {
      if (won || !attempts.delete(address)) return; // cancelled: nothing to note
      failures.push({ address, reason: explain(err) });
      trace({ at: stamp(), kind: "failed", address, reason: explain(err) });
    }).finally(() => wake());
  };

  // The race: start an attempt, wait for the attempt delay or a failure, start the next.
  while (!won && clock.now() < t0 + timeoutMs) {
    const now = clock.now(), left = queues[4].length + queues[6].length;
    // Begin once the preferred family answered, or 50 ms (the Resolution Delay) after the other.
    const ready = answeredAt[prefer] <= now ? now : answeredAt[other] + 50;
    const due = attempts.size === 0 ? ready : Math.max(ready, lastAt + delay); // NaN: not yet
    if (left > 0 && due <= now) {
      const family = queues[next].length > 0 ? next : next === 6 ? 4 : 6; // families alternate
      next = family === 6 ? 4 : 6;
      [lastAt, firstAt] = [now, Math.min(firstAt, now)];
      attempt(queues[family].shift()!);
      continue;
    }
    if (left === 0 && attempts.size === 0 && answeredAt[4] <= now && answeredAt[6] <= now) break;
    // Sleep until woken, or until the next attempt is due, or the overall timeout.
    const until = Math.min(left > 0 && due > now ? due : Infinity, t0 + timeoutMs);
    await new Promise<void>((resolve) => {
      const stopTimer = until < Infinity ? clock.timer(resolve, until - now) : () => {};
      wake = () => (stopTimer(), resolve());
    });
  }
  // Won, or out of time or addresses: cancel every attempt still in flight.
  const why = won ? `${won.address} won` : "the overall --timeout passed";
  for (const [address, ctl] of attempts) {
    if (!won) failures.push({ address, reason: `still connecting after ${timeoutMs} ms` });
    trace({ at: stamp(), kind: "cancelled", address, reason: why });
    ctl.abort(new Error(why));
  }
  attempts.clear();
  if (won) return won;
  throw new HappyEyeballsError(bare, port, failures, lookupError);
}

/** One line per step of the race, as the client prints it. */
export function describeEvent(e: TraceEvent): string {
  if (e.kind === "attempt") return `Trying ${e.address} at ${e.at} ms`;
  const why = "reason" in e && e.reason ? `: ${e.reason}` : "";
  if (e.kind !== "resolved") return `  ${e.address} ${e.kind} at ${e.at} ms${why}`;
  const unique = [...new Set(e.addresses)], dropped = e.addresses.length - unique.length;
  const list = (unique.join(", ") || "none") + (dropped ? ` (${dropped} duplicate dropped)` : "");
  return `IPv${e.family} addresses after ${e.at} ms: ${list}`;
}

const USAGE = `Looks HOST up, races its IPv6 and IPv4 addresses (RFC 8305), and GETs / there.
usage: deno run --allow-net examples/happy_eyeballs_client.ts HOST [PORT (default 80)] [options]
  --timeout SEC       limit for the connect race, then for the response (default 10)
  --sequential        one address at a time, each after the previous failed (for contrast)
  --resolve A[,A...]  use these addresses instead of looking HOST up (like curl --resolve)`;
if (import.meta.main) {
  await runMain("happy_eyeballs_client", USAGE, async () => {
    const strings = { timeout: "10", resolve: "" };
    const cli = parseCli(Deno.args, { strings, booleans: ["sequential"], maxPositionals: 2 });
    const [host, portText = "80"] = cli.positionals.map(stripBrackets);
    if (host === undefined) throw new UsageError("HOST is missing");
    const port = parsePort(portText, "port"), timeoutMs = cli.number("timeout", 0.001, 600) * 1000;
    // --resolve pins the addresses (for demos); else getaddrinfo's order picks the first family.
    const pinned = cli.string("resolve")!.split(",").filter(Boolean).map(stripBrackets);
    const prefer = pinned[0] ? (isIPv6Literal(pinned[0]) ? 6 : 4) : await systemPreference(host);
    const { conn, address, totalMs } = await connectHappyEyeballs(host, port, {
      ...{ timeoutMs, sequential: cli.flag("sequential"), preferFamily: prefer },
      resolve: pinned[0] ? pinnedResolver(pinned) : undefined,
      trace: (e) => e.kind !== "connected" && console.log(describeEvent(e)),
    });
    console.log(`Connected to ${address} at ${Math.round(totalMs * 10) / 10} ms`);
    const end = performance.now() + timeoutMs, late = `no whole response in ${timeoutMs / 1000} s`;
    try {
      // send() a GET with Connection: close (or a server may keep it open), then shutdown().
      const get = `GET / HTTP/1.1\r\nHost: ${host.includes(":") ? `[${host}]` : host}\r\n` +
        "Connection: close\r\n\r\n";
      await within(conn.write(new TextEncoder().encode(get)), timeoutMs, late); // < 1 KiB: one write
      await conn.closeWrite().catch(ignoreGone); // a server that already closed is fine
      // recv() until the server closes, at most 16 MiB; N counts reads with data, not the EOF.
      let text = "", reads = 0;
      const buf = new Uint8Array(16384), decoder = new TextDecoder();
      for (let n; (n = await within(conn.read(buf), end - performance.now(), late)) !== null;) {
        text += decoder.decode(buf.subarray(0, n), { stream: true });
        if (++reads > 1024) throw new Error("the response is over 16 MiB");
      }
      console.log(terminalSafe(text + decoder.decode()).trimEnd()); // a server's escapes stay escaped
      console.log(`Data was received in ${reads} read${reads === 1 ? "" : "s"}`);
    } finally {
      conn.close(); // close()
    }
  });
}

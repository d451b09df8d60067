/**
 * @module Happy Eyeballs: look a name up with getaddrinfo, then race its IPv6 and IPv4
 * addresses (RFC 8305) instead of waiting out a dead path; then speak HTTP over the winner.
 *
 * Run it (HOST is a name or an address; PORT defaults to 80):
 *
 * ```sh
 * deno run --allow-net examples/happy_eyeballs_client.ts HOST [PORT] [--path /] [--delay 250] [--timeout 10000] [--attempt-timeout 5000] [--sequential]
 * ```
 *
 * Try it, in two terminals, with the HTTP server of this repository:
 *
 * ```text
 * $ deno run --allow-net examples/http_server.ts
 * Listening on http://127.0.0.1:8080/ (Ctrl+C to quit)
 * 127.0.0.1#53330 GET / -> 404
 *
 * $ deno run --allow-net examples/happy_eyeballs_client.ts localhost 8080
 * Resolving localhost (AAAA and A at once; IPv4 first)
 * IPv4 addresses after 1 ms: 127.0.0.1
 * Trying 127.0.0.1 at 1.1 ms
 * IPv6 addresses after 2 ms: none (cannot resolve "localhost": no IPv6 address found for that name)
 *   127.0.0.1 connected at 2.1 ms
 * Connected to 127.0.0.1 after 1 ms
 * HTTP/1.1 404 Not Found
 * ...
 * Not Found: this server has no pages at all.
 * Data was received in 1 reads
 * ```
 *
 * (Here /etc/hosts gives localhost no IPv6 address. To watch a real race, see the tour: it
 * breaks IPv6 on purpose and pins both addresses with `--resolve ::1,127.0.0.1`.)
 *
 * Follows `000_860ab8cd1e472fb1.txt` (Bonaventure, CNP3): httpclient.py (`Trying <ip>`,
 * `Connected to <ip>`, `GET / HTTP/1.1` with `Host`, the response, `Data was received in N recv
 * calls`) on top of the document's plea to stop hard-coding an address family and to race
 * addresses ("happy eyeballs"), and simpleclientname.py's "try each address in turn" as
 * `--sequential`, for contrast. Fixed here: the original tried addresses one at a time, waiting
 * out each dead one; it sent with one `send()` and no `Connection: close`, so a keep-alive
 * server made it hang; its count included the final empty read (here N counts reads that
 * returned data); an unknown name ended in a traceback. `Deno.connect` races on its own since
 * Deno 2.9, but always starts with IPv6, has no resolution delay and no timeouts, reports only
 * the last error and shows nothing of the race: lib/happy_eyeballs.ts does all that, visibly.
 */
import { isIPv6Literal, stripBrackets } from "../lib/address.ts";
import { parseCli, parsePort, UsageError } from "../lib/cli.ts";
import { runMain, UserError } from "../lib/errors.ts";
import {
  connectHappyEyeballs,
  describeEvent,
  pinnedResolver,
  systemPreference,
} from "../lib/happy_eyeballs.ts";
import { closeWrite, concat, TooLargeError, withTimeout, writeAll } from "../lib/stream.ts";

const USAGE =
  `usage: deno run --allow-net examples/happy_eyeballs_client.ts HOST [PORT=80] [options]
  --path PATH            the path to GET (default /)
  --delay MS             Connection Attempt Delay between attempts (default 250, at least 10)
  --timeout MS           give up on the whole connect, or on a silent read, after this (default 10000)
  --attempt-timeout MS   give up on one address after this long (default 5000)
  --sequential           one address at a time, like simpleclientname.py (for contrast)
  --resolve A[,A...]     use these addresses instead of looking HOST up (like curl --resolve)`;

/** Sends a GET over `conn`; returns the reply and how many reads returned data. */
export async function httpGet(
  conn: Deno.Conn,
  host: string,
  path: string,
  { timeoutMs = 10_000, limit = 16 << 20 } = {},
) {
  // sendall() the request, then shutdown(SHUT_WR), as the UW document does: nothing more to say.
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  await writeAll(conn, new TextEncoder().encode(request), timeoutMs);
  await closeWrite(conn);
  // recv(16384) until the server closes, each read with a timeout (a server that accepts and
  // never answers would otherwise hang us). N counts reads that returned data, not the final EOF.
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(16384);
  let total = 0;
  for (let n; (n = await withTimeout(conn.read(buf), timeoutMs)) !== null;) {
    if ((total += n) > limit) throw new TooLargeError(limit);
    chunks.push(buf.slice(0, n));
  }
  return { text: new TextDecoder().decode(concat(chunks, total)), reads: chunks.length };
}

if (import.meta.main) {
  await runMain("happy_eyeballs_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: {
        path: "/",
        delay: "250",
        timeout: "10000",
        "attempt-timeout": "5000",
        resolve: undefined,
      },
      booleans: ["sequential"],
      maxPositionals: 2,
    });
    const [host, portText = "80"] = cli.positionals.map(stripBrackets);
    if (host === undefined) throw new UsageError("HOST is missing");
    const port = parsePort(portText, "port");
    const options = {
      attemptDelayMs: cli.number("delay", 10, 60_000),
      timeoutMs: cli.number("timeout", 1, 600_000),
      attemptTimeoutMs: cli.number("attempt-timeout", 1, 600_000),
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
    const resolve = pinned ? pinnedResolver(pinned) : undefined;
    console.log(
      pinned
        ? `Using the addresses given with --resolve for ${host} (IPv${prefer} first)`
        : `Resolving ${host} (AAAA and A at once; IPv${prefer} first)`,
    );
    const won = await connectHappyEyeballs(host, port, {
      ...options,
      preferFamily: prefer,
      resolve,
      trace: (e) => console.log(describeEvent(e)),
    });
    try {
      console.log(`Connected to ${won.address} after ${Math.round(won.connectMs)} ms`);
      const { text, reads } = await httpGet(
        won.conn,
        host.includes(":") ? `[${host}]` : host,
        cli.string("path")!,
        { timeoutMs: options.timeoutMs },
      );
      console.log(text.trimEnd());
      console.log(`Data was received in ${reads} reads`);
    } finally {
      won.conn.close();
    }
  });
}

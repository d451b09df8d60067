/**
 * @module TCP uppercase server: a listening socket, a new connected socket per client, and a byte
 * stream upper-cased as it flows, whatever its length.
 *
 * ```sh
 * deno run --allow-net examples/tcp_server.ts [--host 127.0.0.1] [--port 12000] [--idle-timeout 30] [--max-connections 512]
 * ```
 *
 * ```text
 * $ deno run --allow-net examples/tcp_server.ts
 * serverIP: 127.0.0.1
 * serverPort: 12000
 * Press Ctrl+C to quit. Listening...
 * Received from 127.0.0.1#53310: tcp is reliable
 *
 * $ deno run --allow-net examples/tcp_client.ts --port 12000 tcp is reliable
 * Returned from server: TCP IS RELIABLE
 * ```
 *
 * Source: the textbook's TCPServer.py (Kurose & Ross 2.7; `003_7590de73a228964a.txt` stops just
 * before it), same bytes on the wire. Fixed: one `recv(1024)` cut longer messages, this streams
 * until the client half-closes; many clients at once, capped, where the original served one
 * (with `listen(1)` Linux queues about two more, then drops SYNs and the clients retransmit); a
 * client silent or not reading for `--idle-timeout` is dropped; a reset ends only its exchange.
 */
import { hashAddr, hostPort, serverBanner, stripBrackets } from "../lib/address.ts";
import { asciiUpper, printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { sleep, within } from "../lib/deadline.ts";
import { acceptRetryMs, closeQuietly, explain, runMain, withContext } from "../lib/errors.ts";
import { Inflight } from "../lib/inflight.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE =
  `Sends back, upper-cased, everything each TCP client sends, until the client half-closes.
usage: deno run --allow-net examples/tcp_server.ts [options]
  --host, -H           address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p           port to bind (0 lets the OS choose; default 12000)
  --idle-timeout SEC   drop a client that sends or reads nothing this long (default 30)
  --max-connections N  clients served at once; more wait in the queue (default 512)`;

/** Options for {@link serve} and {@link handle}. */
export interface ServeOptions {
  /** Drop a client that sends or reads nothing for this long, in ms (default 30 s). */
  idleTimeoutMs?: number;
  /** Clients served at once (default 512). */
  maxConnections?: number;
  /** Stops the server. */
  signal?: AbortSignal;
  /** Where the per-client lines go (default: stdout). */
  log?: Logger;
}

/** Opens the listening socket on `hostname`:`port` (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 12000): Deno.TcpListener {
  try {
    // socket(AF_INET, SOCK_STREAM) + bind() + listen(), with SO_REUSEADDR set, in one call.
    return Deno.listen({ hostname, port });
  } catch (err) {
    throw withContext(`cannot listen on TCP ${hostPort({ hostname, port })}`, err);
  }
}

/** One client: upper-case each chunk back until the client is done sending (EOF). */
export async function handle(
  conn: Deno.Conn,
  { idleTimeoutMs = 30_000, log = stdoutLogger }: ServeOptions = {},
): Promise<void> {
  const silent = `the peer sent nothing, or under 512 bytes, for ${idleTimeoutMs / 1000} s`;
  const stuck = `the peer read nothing for ${idleTimeoutMs / 1000} s`;
  let buf = new Uint8Array(64 * 1024);
  let first = new Uint8Array(0), total = 0;
  // The idle clock restarts only after 512 bytes: a client dripping a byte a second would
  // otherwise hold its connection, and one of the --max-connections slots, forever.
  let end = performance.now() + idleTimeoutMs, progress = 0;
  while (true) {
    // recv(): whatever has arrived, up to the buffer's size; null is EOF (the client's FIN).
    const n = await within(conn.read(buf), end - performance.now(), silent);
    if (n === null) break;
    if ((progress += n) >= 512) [end, progress] = [performance.now() + idleTimeoutMs, 0];
    if (total === 0) first = buf.slice(0, Math.min(n, 800)); // for the log line only
    total += n;
    // sendall(): write() may take part of the chunk, so loop until all of it is gone.
    const chunk = asciiUpper(buf.subarray(0, n));
    const writing = performance.now();
    for (let off = 0; off < n;) {
      off += await within(conn.write(chunk.subarray(off)), idleTimeoutMs, stuck);
    }
    end += performance.now() - writing; // time spent writing is not time the client was silent
    // A full buffer means a bulk transfer: bigger reads cost fewer calls per byte.
    if (n === buf.length && n < 256 * 1024) buf = new Uint8Array(n * 2);
  }
  log(
    `Received from ${hashAddr(conn.remoteAddr as Deno.NetAddr)}: ${printable(first, 200, total)}`,
  );
}

/** Accepts clients until `signal` aborts, each in its own task; then closes everything. */
export async function serve(listener: Deno.Listener, options: ServeOptions = {}): Promise<void> {
  const { signal, maxConnections = 512, log = stdoutLogger } = options;
  const clients = new Inflight(); // who is being served: for the cap, and for the stop
  // A pending accept() ends only when the listener closes: Ctrl-C closes it.
  const stopped = new Promise<void>((resolve) =>
    signal?.addEventListener("abort", () => resolve(closeQuietly(listener)), { once: true })
  );
  while (!signal?.aborted) {
    // At the cap, accept nobody until a client leaves: newcomers wait in the listen() queue.
    if (clients.size >= maxConnections) {
      await Promise.race([stopped, clients.slot()]);
      continue;
    }
    let conn: Deno.Conn;
    try {
      // accept(): the next connection from the queue, as a new socket for this one client.
      conn = await listener.accept();
    } catch (err) {
      if (signal?.aborted || err instanceof Deno.errors.BadResource) break;
      // A client that reset while queued is gone: take the next at once. Out of descriptors or
      // memory: say so and pause briefly, or the loop would spin.
      const pause = acceptRetryMs(err);
      if (pause > 0) {
        log(`accept failed: ${explain(err)}`);
        await sleep(pause);
      }
      continue;
    }
    // One task per client, so a slow one blocks nobody; its failure ends only its exchange.
    const served = clients.add(conn);
    const client = handle(conn, options)
      .catch((err) => {
        if (!signal?.aborted) log(`${hashAddr(conn.remoteAddr as Deno.NetAddr)}: ${explain(err)}`);
      })
      // close(): the client's socket, whatever happened.
      .finally(() => (closeQuietly(conn), served.done()));
    served.task = client;
  }
  // Stopping: clients in progress get 2 s to finish, then their sockets are closed.
  closeQuietly(listener);
  await clients.settle(2000);
  for (const conn of clients.conns()) closeQuietly(conn); // close(): those still talking
  await clients.settle(Infinity);
}

if (import.meta.main) {
  await runMain("tcp_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: "12000", "idle-timeout": "30", "max-connections": "512" },
      alias: { H: "host", p: "port" },
    });
    const idleTimeoutMs = cli.number("idle-timeout", 0.001, 86400) * 1000;
    const maxConnections = cli.number("max-connections", 1, 100_000);
    const listener = bind(stripBrackets(cli.string("host")!), cli.port());
    for (const line of serverBanner(listener.addr)) console.log(line);
    await untilShutdown((signal) => serve(listener, { signal, idleTimeoutMs, maxConnections }));
    console.log("Server stopped.");
  });
}

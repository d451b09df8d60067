/**
 * @module TCP uppercase server: a listening socket, a new connected socket per client, and a
 * byte stream that is upper-cased as it flows, whatever its length.
 *
 * Run it (12000 is the textbook's port; `--port 0` lets the OS choose):
 *
 * ```sh
 * deno run --allow-net examples/tcp_server.ts [--host 127.0.0.1] [--port 12000] [--idle-timeout 30] [--max-connections 512]
 * ```
 *
 * Try it, in two terminals:
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
 * Follows `003_7590de73a228964a.txt` (Kurose & Ross 2.7; the course's TCPServer.py, which the
 * document stops just before). Same wire behaviour: the reply is the request with a..z
 * upper-cased, so the course's TCPClient.py (send, one recv, close) gets its answer at once.
 * Fixed here:
 * - no cut at 1024 bytes: the original answered one `recv(1024)` and closed; this streams every
 *   chunk back until the client half-closes (`shutdown(SHUT_WR)`), so 10 MiB works;
 * - many clients at once (the original served one; `listen(1)` queued the rest), with a cap;
 * - a client that goes silent, or sends without ever reading, is dropped after `--idle-timeout`
 *   seconds instead of pinning its connection forever;
 * - a reset, invalid UTF-8 or any other peer behaviour ends only that peer's exchange;
 * - loopback unless `--host`; Ctrl-C finishes exchanges in progress, then exits 0.
 */
import { hashAddr, serverBanner, stripBrackets } from "../lib/address.ts";
import { asciiUpper, printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { serveConnections } from "../lib/server.ts";
import { untilShutdown } from "../lib/signals.ts";
import { TimedReader, writeAll } from "../lib/stream.ts";
import { listenTcp } from "../lib/tcp.ts";

/** The textbook's port. */
export const DEFAULT_PORT = 12000;

const USAGE =
  `usage: deno run --allow-net examples/tcp_server.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}]
  --host, -H           address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p           port to bind (0 lets the OS choose; default ${DEFAULT_PORT})
  --idle-timeout SEC   drop a client silent this long (default 30)
  --max-connections N  clients served at once; more wait in the queue (default 512)`;

/** Options for {@link handle}. */
export interface HandleOptions {
  /** Drop a peer that sends nothing for this long, in ms (default 30 s). */
  idleTimeoutMs?: number;
  /** Where the per-connection line goes. */
  log?: Logger;
}

/** One connection: upper-case every chunk back until the client is done sending (EOF). */
export async function handle(
  conn: Deno.Conn,
  peer: Deno.NetAddr,
  { idleTimeoutMs = 30_000, log = stdoutLogger }: HandleOptions = {},
): Promise<void> {
  // recv() into one buffer, 64 KiB growing to 256 KiB for bulk transfers (fewer calls per byte);
  // a chunk is upper-cased in place and sent back: no copies.
  const reader = new TimedReader(conn, 64 * 1024, 256 * 1024);
  let head = new Uint8Array(0);
  let total = 0;
  for (let chunk; (chunk = await reader.read(idleTimeoutMs)) !== null;) {
    if (total === 0) head = chunk.slice(0, 800); // kept for the log line only
    total += chunk.length;
    // sendall(): a write may take only part of the chunk; writeAll loops until all is sent. A
    // client that sends but never reads would block it forever: it gets the idle timeout too.
    await writeAll(conn, asciiUpper(chunk), idleTimeoutMs);
  }
  // read() returned EOF: the client half-closed or closed. close() follows in serveConnections.
  log(`Received from ${hashAddr(peer)}: ${printable(head, 200, total)}`);
}

/** `socket()`, `bind()` and `listen()`: the listening socket. */
export function bind(hostname = "127.0.0.1", port = DEFAULT_PORT): Deno.TcpListener {
  return listenTcp(hostname, port);
}

/** Serves until `signal` aborts: each accepted connection gets its own {@link handle} task. */
export function serve(
  listener: Deno.Listener,
  options: HandleOptions & { signal?: AbortSignal; maxConnections?: number } = {},
): Promise<void> {
  return serveConnections(listener, (conn, peer) => handle(conn, peer, options), options);
}

if (import.meta.main) {
  await runMain("tcp_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: {
        host: "127.0.0.1",
        port: String(DEFAULT_PORT),
        "idle-timeout": "30",
        "max-connections": "512",
      },
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

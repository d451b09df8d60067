/**
 * @module Echo server: read a stream in small chunks and send each chunk straight back, until
 * the client says it is done sending.
 *
 * Run it (127.0.0.1:10000 is the exercise's address):
 *
 * ```sh
 * deno run --allow-net examples/echo_server.ts [--host 127.0.0.1] [--port 10000] [--chunk 16]
 * ```
 *
 * Try it, in two terminals:
 *
 * ```text
 * $ deno run --allow-net examples/echo_server.ts
 * making a server on 127.0.0.1:10000
 * waiting for a connection
 * connection - 127.0.0.1:53312
 * received "short message"
 * sent "short message"
 * echo complete, client connection closed
 * waiting for a connection
 *
 * $ deno run --allow-net examples/echo_client.ts "short message"
 * short message
 * ```
 *
 * Follows the exercise in `001_e066542f0be65e1e.txt` (UW Python certificate, "TCP/IP and
 * Sockets"): the same log lines and 16-byte reads, so you can watch a message arrive in pieces
 * (the 52-byte `Four score and seven years ago our fathers did stuff` arrives as 16+16+16+4).
 *
 * The end of a message. The exercise teaches "done when `recv` returns fewer than 16 bytes".
 * Send exactly 16 (or 32) bytes and that rule hangs: every read returns a full 16, so the server
 * waits for a short read that never comes, while the client waits for its echo. A stream has no
 * message boundaries; only an application-level length or the peer's `shutdown(SHUT_WR)` (read
 * sees EOF) marks the end. This server ends on EOF; echo_client.ts half-closes after sending.
 *
 * Also fixed: many clients at once (the skeleton served one), a silent client dropped after
 * `--idle-timeout`, and a peer's reset ending only its own exchange.
 */
import { hostPort, stripBrackets } from "../lib/address.ts";
import { printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { serveConnections } from "../lib/server.ts";
import { untilShutdown } from "../lib/signals.ts";
import { TimedReader, writeAll } from "../lib/stream.ts";
import { listenTcp } from "../lib/tcp.ts";

/** The exercise's address. */
export const DEFAULT_HOST = "127.0.0.1";
/** The exercise's port. */
export const DEFAULT_PORT = 10000;

const USAGE =
  `usage: deno run --allow-net examples/echo_server.ts [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}]
  --host, -H          address to bind (default ${DEFAULT_HOST})
  --port, -p          port to bind (0 lets the OS choose; default ${DEFAULT_PORT})
  --chunk N           bytes per read, as taught (default 16)
  --idle-timeout SEC  drop a client silent this long (default 30)`;

/** Options for {@link serve}. */
export interface EchoOptions {
  /** Bytes per `recv()` (default 16, as in the exercise). */
  chunk?: number;
  /** Drop a silent peer after this many ms (default 30 s). */
  idleTimeoutMs?: number;
  /** Where the exercise's log lines go. */
  log?: Logger;
  /** Stops the server. */
  signal?: AbortSignal;
}

/** Echoes one connection, chunk by chunk, until EOF. */
export async function handle(conn: Deno.Conn, peer: Deno.NetAddr, options: EchoOptions = {}) {
  const { chunk: size = 16, idleTimeoutMs = 30_000, log = stdoutLogger } = options;
  log(`connection - ${hostPort(peer)}`);
  // recv(16): at most 16 bytes per read, so the chunking is visible in the log.
  const reader = new TimedReader(conn, size);
  for (let data; (data = await reader.read(idleTimeoutMs)) !== null;) {
    log(`received "${printable(data)}"`);
    // sendall(): echo the chunk back, all of it.
    await writeAll(conn, data, idleTimeoutMs); // a client that never reads is dropped too
    log(`sent "${printable(data)}"`);
  }
  // A read of 0 bytes (EOF): the client shut down its sending side. Now we close ours.
  log("echo complete, client connection closed");
}

/** Serves until `options.signal` aborts. */
export async function serve(listener: Deno.Listener, options: EchoOptions = {}): Promise<void> {
  const log = options.log ?? stdoutLogger;
  log("waiting for a connection");
  await serveConnections(listener, async (conn, peer) => {
    await handle(conn, peer, options);
    log("waiting for a connection");
  }, options);
}

if (import.meta.main) {
  await runMain("echo_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: DEFAULT_HOST, port: `${DEFAULT_PORT}`, chunk: "16", "idle-timeout": "30" },
      alias: { H: "host", p: "port" },
    });
    const chunk = Math.floor(cli.number("chunk", 1, 1 << 20));
    const idleTimeoutMs = cli.number("idle-timeout", 0.001, 86400) * 1000;
    // socket(), bind() and listen() in one call.
    const listener = listenTcp(stripBrackets(cli.string("host")!), cli.port());
    console.log(`making a server on ${hostPort(listener.addr)}`);
    await untilShutdown((signal) => serve(listener, { chunk, idleTimeoutMs, signal }));
  });
}

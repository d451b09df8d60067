/**
 * @module Fixed-length messages over TCP: the server reads exactly 16 bytes, because a stream
 * has no message boundaries and both sides agreed on the length.
 *
 * Run it (1060 is the port of the slides and of Rhodes & Goerzen's book):
 *
 * ```sh
 * deno run --allow-net examples/fixed_length_server.ts [--host 127.0.0.1] [--port 1060] [--timeout 10]
 * ```
 *
 * Try it, in two terminals:
 *
 * ```text
 * $ deno run --allow-net examples/fixed_length_server.ts
 * Listening at 127.0.0.1:1060 (Ctrl+C to quit)
 * The incoming sixteen-octet message says 'Hi there, server'
 * Reply sent, socket closed
 *
 * $ deno run --allow-net examples/fixed_length_client.ts
 * The server said 'Hello World!'
 * ```
 *
 * Why framing: TCP delivers a byte stream. Sixteen bytes written at once may arrive as 10 + 6,
 * and two messages written one after the other may arrive glued together. The documents show
 * two ways to know where a message ends: agree on its length (here: 16 bytes, read with
 * `recv_all`, {@link readExactly} in lib/stream.ts), or let the sender `shutdown(SHUT_WR)` and
 * read until EOF (tcp_server.ts, echo_server.ts).
 *
 * Follows `004_6f4c6afd96850594.txt` (lecture slides "SOCKET", after Rhodes & Goerzen): same
 * port, same 16-byte read, same reply `Hello World!` and log lines. Fixed here:
 * - a client that sends fewer than 16 bytes and closes is logged and the server carries on (the
 *   book's `recv_all` raised `EOFError` and the server died);
 * - a client that says nothing is dropped after `--timeout` seconds instead of blocking everyone;
 * - one that sends more gets its 16 read, the reply, and a clean close (not a reset);
 * - many clients at once; loopback unless `--host`; Ctrl-C exits 0.
 */
import { hashAddr, hostPort, stripBrackets } from "../lib/address.ts";
import { pyRepr } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { serveConnections } from "../lib/server.ts";
import { untilShutdown } from "../lib/signals.ts";
import { IncompleteReadError, lingeringClose, readExactly, writeAll } from "../lib/stream.ts";
import { listenTcp } from "../lib/tcp.ts";

/** The slides' port. */
export const DEFAULT_PORT = 1060;
/** The agreed message length. */
export const MESSAGE_LENGTH = 16;
/** The slides' reply. */
export const REPLY = "Hello World!";

const USAGE =
  `usage: deno run --allow-net examples/fixed_length_server.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}]
  --host, -H      address to bind (default 127.0.0.1)
  --port, -p      port to bind (0 lets the OS choose; default ${DEFAULT_PORT})
  --timeout SEC   drop a client that has not sent its 16 bytes in this time (default 10)`;

/** One client: read exactly 16 bytes, reply, close. */
export async function handle(
  conn: Deno.Conn,
  peer: Deno.NetAddr,
  { timeoutMs = 10_000, log = stdoutLogger }: { timeoutMs?: number; log?: Logger } = {},
): Promise<void> {
  let message: Uint8Array;
  try {
    // recv_all(sock, 16): loop over recv() until 16 bytes arrived, however they were split.
    message = await readExactly(conn, MESSAGE_LENGTH, { timeoutMs });
  } catch (err) {
    if (!(err instanceof IncompleteReadError)) throw err; // timeouts and resets: logged by caller
    log(`${hashAddr(peer)} closed after ${err.received} of 16 bytes: ${pyRepr(err.partial)}`);
    return;
  }
  log(`The incoming sixteen-octet message says ${pyRepr(message)}`);
  // sendall(), then close: FIN, and anything extra the client sent is read and ignored.
  await writeAll(conn, new TextEncoder().encode(REPLY), timeoutMs);
  await lingeringClose(conn);
  log("Reply sent, socket closed");
}

/** Serves until `signal` aborts. */
export function serve(
  listener: Deno.Listener,
  options: { timeoutMs?: number; log?: Logger; signal?: AbortSignal } = {},
): Promise<void> {
  return serveConnections(listener, (conn, peer) => handle(conn, peer, options), options);
}

if (import.meta.main) {
  await runMain("fixed_length_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: `${DEFAULT_PORT}`, timeout: "10" },
      alias: { H: "host", p: "port" },
    });
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    // socket(), bind(), listen(5): Deno.listen does the three.
    const listener = listenTcp(stripBrackets(cli.string("host")!), cli.port());
    console.log(`Listening at ${hostPort(listener.addr)} (Ctrl+C to quit)`);
    await untilShutdown((signal) => serve(listener, { timeoutMs, signal }));
  });
}

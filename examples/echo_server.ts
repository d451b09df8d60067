/**
 * @module Echo server: 16-byte reads sent straight back, until the client half-closes (EOF).
 *
 * ```text
 * $ deno run --allow-net examples/echo_server.ts
 * making a server on 127.0.0.1:10000
 * waiting for a connection
 * connection - 127.0.0.1:53312
 * received "short message"
 * sent "short message"
 * echo complete, client connection closed
 *
 * $ deno run --allow-net examples/echo_client.ts "short message"
 * ...
 * short message
 * ```
 * Source: UW Python certificate, "TCP/IP and Sockets": the echo exercise and its skeleton. Fixed:
 * the course's rule, stop at a read under 16 bytes, hangs when the length is a multiple of 16;
 * this stops at EOF. A silent client holds its own connection (see hardened_tcp_server.ts).
 */
import { hashAddr, hostPort } from "../lib/address.ts";
import { printable } from "../lib/bytes.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { closeQuietly, explain, keepServing, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Echoes every byte a client sends, read 16 at a time, until the client half-closes.
usage: deno run --allow-net examples/echo_server.ts [options]
  --host, -H  address to bind (default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default 10000)
  --chunk N   bytes per read, as taught (default 16)`;

/** Bytes per `recv()` (default 16, as in the exercise), where log lines go, and a stop. */
export type EchoOptions = { chunk?: number; log?: Logger; signal?: AbortSignal };

/** Opens the listening socket (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 10000): Deno.TcpListener {
  // socket(AF_INET, SOCK_STREAM) + bind(('127.0.0.1', 10000)) + listen(), in one call.
  const where = `listen on TCP ${hostPort({ hostname, port })}`;
  return tryTo(where, () => Deno.listen({ hostname, port }));
}

/** Echoes one connection, chunk by chunk, until EOF. */
export async function handle(conn: Deno.Conn, options: EchoOptions = {}): Promise<void> {
  const { chunk = 16, log = stdoutLogger } = options;
  log(`connection - ${hostPort(conn.remoteAddr)}`);
  const buf = new Uint8Array(chunk);
  while (true) {
    // recv(16): at most 16 bytes per read, so the log shows a message arrive in pieces.
    const n = await conn.read(buf);
    // EOF (recv returned b''): the client shut down its sending side. Nothing else ends it.
    if (n === null) break;
    log(`received "${printable(buf.subarray(0, n))}"`);
    // sendall(): echo all of the chunk, looping over partial writes.
    for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
    log(`sent "${printable(buf.subarray(0, n))}"`);
  }
  log("echo complete, client connection closed");
}

/** Accepts clients, each in its own task, until `options.signal` aborts; then closes them. */
export async function serve(listener: Deno.Listener, options: EchoOptions = {}): Promise<void> {
  const { signal, log = stdoutLogger } = options;
  log("waiting for a connection");
  // A pending accept() ends only when the listener closes: Ctrl-C closes it.
  signal?.addEventListener("abort", () => closeQuietly(listener), { once: true });
  const clients = new Map<Deno.Conn, Promise<void>>();
  while (true) {
    let conn: Deno.Conn;
    try {
      // accept(): a new socket for the next client in the queue.
      conn = await listener.accept();
    } catch (err) {
      // Stopped: the listener is closed. A reset in the queue, or EMFILE: go on (lib/errors.ts).
      if (await keepServing(err, log)) continue;
      break;
    }
    // One task per client (the skeleton served one at a time); a failure ends only its own.
    const task = handle(conn, options)
      .catch((err) => log(`${hashAddr(conn.remoteAddr)}: ${explain(err)}`))
      // close() the client's socket, whatever happened.
      .finally(() => (closeQuietly(conn), clients.delete(conn)));
    clients.set(conn, task);
  }
  // Stopped: close the clients still connected, and wait for their tasks to end.
  for (const conn of clients.keys()) closeQuietly(conn);
  await Promise.all(clients.values());
}

if (import.meta.main) {
  await runMain("echo_server", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(10000, { chunk: "16" }));
    const chunk = Math.floor(cli.number("chunk", 1, 1 << 20));
    const listener = bind(cli.host(), cli.port());
    console.log(`making a server on ${hostPort(listener.addr)}`);
    await untilShutdown((signal) => serve(listener, { chunk, signal }));
  });
}

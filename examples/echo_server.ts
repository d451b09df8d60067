/**
 * @module Echo server: read a stream in 16-byte chunks and send each straight back, until the
 * client says it is done sending (EOF).
 *
 * ```sh
 * deno run --allow-net examples/echo_server.ts [--host 127.0.0.1] [--port 10000] [--chunk 16]
 * ```
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
 * ...
 * short message
 * ```
 *
 * Source: the exercise of `001_e066542f0be65e1e.txt` (one sentence, lines 584-585); the address,
 * the 16-byte `recv` and the log lines are the course's companion skeleton. Fixed: its rule "done
 * when `recv` returns fewer than 16 bytes" hangs when a message is exactly 16 or 32 bytes long;
 * only a length or the peer's `shutdown(SHUT_WR)` marks the end, so this ends on EOF. Also many
 * clients at once (capped), and a client that is silent or never reads is dropped.
 */
import { hostPort, stripBrackets } from "../lib/address.ts";
import { printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { sleep, within } from "../lib/deadline.ts";
import { acceptRetryMs, closeQuietly, explain, runMain, withContext } from "../lib/errors.ts";
import { Inflight } from "../lib/inflight.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Echoes every byte a client sends, read 16 at a time, until the client half-closes.
usage: deno run --allow-net examples/echo_server.ts [options]
  --host, -H           address to bind (default 127.0.0.1)
  --port, -p           port to bind (0 lets the OS choose; default 10000)
  --chunk N            bytes per read, as taught (default 16)
  --idle-timeout SEC   drop a client that sends or reads nothing this long (default 30)
  --max-connections N  clients served at once; more wait in the queue (default 512)`;

/** Options for {@link serve} and {@link handle}. */
export interface EchoOptions {
  /** Bytes per `recv()` (default 16, as in the exercise). */
  chunk?: number;
  /** Drop a client that sends or reads nothing for this long, in ms (default 30 s). */
  idleTimeoutMs?: number;
  /** Clients served at once (default 512). */
  maxConnections?: number;
  /** Where the exercise's log lines go. */
  log?: Logger;
  /** Stops the server. */
  signal?: AbortSignal;
}

/** Opens the listening socket (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 10000): Deno.TcpListener {
  try {
    // socket(AF_INET, SOCK_STREAM) + bind(('127.0.0.1', 10000)) + listen(), in one call.
    return Deno.listen({ hostname, port });
  } catch (err) {
    throw withContext(`cannot listen on TCP ${hostPort({ hostname, port })}`, err);
  }
}

/** Echoes one connection, chunk by chunk, until EOF. */
export async function handle(conn: Deno.Conn, options: EchoOptions = {}): Promise<void> {
  const { chunk = 16, idleTimeoutMs = 30_000, log = stdoutLogger } = options;
  log(`connection - ${hostPort(conn.remoteAddr as Deno.NetAddr)}`);
  const buf = new Uint8Array(chunk);
  const silent = `the peer sent nothing, or under 512 bytes, for ${idleTimeoutMs / 1000} s`;
  // The idle clock restarts only after 512 bytes: a client dripping a byte a second would
  // otherwise hold its connection, and one of the --max-connections slots, forever.
  let end = performance.now() + idleTimeoutMs, progress = 0;
  while (true) {
    // recv(16): at most 16 bytes per read, so the log shows a message arrive in pieces.
    const n = await within(conn.read(buf), end - performance.now(), silent);
    // EOF (recv returned b''): the client shut down its sending side. Nothing else ends it.
    if (n === null) break;
    if ((progress += n) >= 512) [end, progress] = [performance.now() + idleTimeoutMs, 0];
    log(`received "${printable(buf.subarray(0, n))}"`);
    // sendall(): echo all of the chunk, looping over partial writes.
    const writing = performance.now();
    for (let off = 0; off < n;) {
      off += await within(
        conn.write(buf.subarray(off, n)),
        idleTimeoutMs,
        `the peer read nothing for ${idleTimeoutMs / 1000} s`,
      );
    }
    end += performance.now() - writing; // time spent writing is not time the client was silent
    log(`sent "${printable(buf.subarray(0, n))}"`);
  }
  log("echo complete, client connection closed");
}

/** Accepts clients until `options.signal` aborts, each in its own task; then closes all. */
export async function serve(listener: Deno.Listener, options: EchoOptions = {}): Promise<void> {
  const { signal, maxConnections = 512, log = stdoutLogger } = options;
  const clients = new Inflight(); // who is being served: for the cap, and for the stop
  // A pending accept() ends only when the listener closes: Ctrl-C closes it.
  const stopped = new Promise<void>((resolve) =>
    signal?.addEventListener("abort", () => resolve(closeQuietly(listener)), { once: true })
  );
  log("waiting for a connection");
  while (!signal?.aborted) {
    // At the cap, accept nobody until a client leaves: newcomers wait in the listen() queue.
    if (clients.size >= maxConnections) {
      await Promise.race([stopped, clients.slot()]);
      continue;
    }
    let conn: Deno.Conn;
    try {
      // accept(): a new socket for the next client in the queue.
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
    // One task per client (the skeleton served one at a time); a failure ends only its own.
    const served = clients.add(conn);
    const client = handle(conn, options)
      .catch((err) => {
        if (!signal?.aborted) log(`${hostPort(conn.remoteAddr as Deno.NetAddr)}: ${explain(err)}`);
      })
      // close() the client's socket, then wait for the next, as the skeleton says.
      .finally(() => (closeQuietly(conn), served.done(), log("waiting for a connection")));
    served.task = client;
  }
  // Stopping: clients in progress get 2 s to finish, then their sockets are closed.
  closeQuietly(listener);
  await clients.settle(2000);
  for (const conn of clients.conns()) closeQuietly(conn); // close(): those still talking
  await clients.settle(Infinity);
}

if (import.meta.main) {
  await runMain("echo_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: {
        host: "127.0.0.1",
        port: "10000",
        chunk: "16",
        "idle-timeout": "30",
        "max-connections": "512",
      },
      alias: { H: "host", p: "port" },
    });
    const chunk = Math.floor(cli.number("chunk", 1, 1 << 20));
    const idleTimeoutMs = cli.number("idle-timeout", 0.001, 86400) * 1000;
    const maxConnections = cli.number("max-connections", 1, 100_000);
    const listener = bind(stripBrackets(cli.string("host")!), cli.port());
    console.log(`making a server on ${hostPort(listener.addr)}`);
    await untilShutdown((signal) =>
      serve(listener, { chunk, idleTimeoutMs, maxConnections, signal })
    );
  });
}

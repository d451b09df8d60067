/**
 * @module Fixed-length messages over TCP: the server reads exactly 16 bytes, because a stream has
 * no message boundaries and both sides agreed on the length.
 *
 * ```sh
 * deno run --allow-net examples/fixed_length_server.ts [--host 127.0.0.1] [--port 1060] [--timeout 10]
 * ```
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
 * Source: `004_6f4c6afd96850594.txt`, the slides' server (port 1060, `recv_all(sock_cli, 16)`,
 * `Hello World!`, the two log lines); `Hi there, server` is Rhodes & Goerzen's book's client.
 * Fixed: a client that closes before 16 bytes made `recv_all` raise `EOFError` and killed the
 * server, here it is logged and the server goes on; a silent client is dropped after `--timeout`;
 * extra bytes do not turn the close into a reset; many clients at once; Ctrl-C exits 0.
 */
import { hashAddr, hostPort, stripBrackets } from "../lib/address.ts";
import { pyRepr } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { sleep, within } from "../lib/deadline.ts";
import { acceptRetryMs, closeQuietly, explain, runMain, withContext } from "../lib/errors.ts";
import { Inflight } from "../lib/inflight.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

/** The agreed message length. */
export const MESSAGE_LENGTH = 16;

const USAGE =
  `Reads exactly 16 bytes from each client (recv_all), then answers Hello World! and closes.
usage: deno run --allow-net examples/fixed_length_server.ts [options]
  --host, -H           address to bind (default 127.0.0.1)
  --port, -p           port to bind (0 lets the OS choose; default 1060)
  --timeout SEC        drop a client that has not sent its 16 bytes in this time (default 10)
  --max-connections N  clients served at once; more wait in the queue (default 512)`;

/** Options for {@link serve} and {@link handle}. */
export interface FixedOptions {
  /** The time a client has to send its 16 bytes and read the reply, in ms (default 10 s). */
  timeoutMs?: number;
  /** Clients served at once (default 512). */
  maxConnections?: number;
  /** Where the log lines go. */
  log?: Logger;
  /** Stops the server. */
  signal?: AbortSignal;
}

/** Opens the listening socket (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 1060): Deno.TcpListener {
  try {
    // socket(), bind((HOST, 1060)) and listen() in one call. The slides' listen(5) queues 5;
    // Deno's backlog defaults to 511 (`ss -ltn` shows it).
    return Deno.listen({ hostname, port });
  } catch (err) {
    throw withContext(`cannot listen on TCP ${hostPort({ hostname, port })}`, err);
  }
}

/** One client: read exactly 16 bytes, reply, close. */
export async function handle(conn: Deno.Conn, options: FixedOptions = {}): Promise<void> {
  const { timeoutMs = 10_000, log = stdoutLogger } = options;
  const end = performance.now() + timeoutMs; // one deadline for the whole exchange
  const late = `the peer did not finish in ${timeoutMs / 1000} s`;
  // recv_all(sock, 16): recv() the bytes still missing until all 16 are in, however they were
  // split. A read of 0 bytes (null) before that means the client closed early.
  const message = new Uint8Array(MESSAGE_LENGTH);
  for (let got = 0; got < MESSAGE_LENGTH;) {
    const n = await within(conn.read(message.subarray(got)), end - performance.now(), late);
    if (n === null) {
      const peer = hashAddr(conn.remoteAddr as Deno.NetAddr);
      return log(`${peer} closed after ${got} of 16 bytes: ${pyRepr(message.subarray(0, got))}`);
    }
    got += n;
  }
  log(`The incoming sixteen-octet message says ${pyRepr(message)}`);
  // sendall()
  const reply = new TextEncoder().encode("Hello World!");
  for (let off = 0; off < reply.length;) {
    off += await within(conn.write(reply.subarray(off)), end - performance.now(), late);
  }
  // shutdown(SHUT_WR) sends our FIN. Then read and drop whatever the client still sends: a
  // close() with unread bytes makes the kernel send a reset, which can destroy the reply.
  await conn.closeWrite().catch(() => {}); // the client may be gone already
  const sink = new Uint8Array(4096);
  const drained = performance.now() + 1000; // at most 64 KiB and 1 s in all, however it drips
  for (let seen = 0; seen < 65536;) {
    const n = await within(conn.read(sink), drained - performance.now(), "").catch(() => null);
    if (!n) break; // EOF, a timeout, a reset, or 0 bytes: we are closing anyway
    seen += n;
  }
  log("Reply sent, socket closed"); // close() follows in serve()
}

/** Accepts clients until `options.signal` aborts, each in its own task; then closes all. */
export async function serve(listener: Deno.Listener, options: FixedOptions = {}): Promise<void> {
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
      // accept(): sock_cli, addr = sock.accept()
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
    // One task per client; the slides served one at a time, so one silent client blocked all.
    const served = clients.add(conn);
    const client = handle(conn, options)
      .catch((err) => {
        if (!signal?.aborted) log(`${hashAddr(conn.remoteAddr as Deno.NetAddr)}: ${explain(err)}`);
      })
      // sock_cli.close()
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
  await runMain("fixed_length_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: "1060", timeout: "10", "max-connections": "512" },
      alias: { H: "host", p: "port" },
    });
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const maxConnections = cli.number("max-connections", 1, 100_000);
    const listener = bind(stripBrackets(cli.string("host")!), cli.port());
    console.log(`Listening at ${hostPort(listener.addr)} (Ctrl+C to quit)`);
    await untilShutdown((signal) => serve(listener, { timeoutMs, maxConnections, signal }));
  });
}

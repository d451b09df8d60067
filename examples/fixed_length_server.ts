/**
 * @module Fixed-length messages over TCP: the server reads exactly 16 bytes, because a stream has
 * no message boundaries and both sides agreed on the length.
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
 * Source: Di Valerio, "SOCKET" lecture slides (after Rhodes & Goerzen): the server on port 1060
 * with `recv_all(sock_cli, 16)` and `Hello World!`. Fixed: a client that closed early raised
 * `EOFError` and killed the slides' server, here it is logged; extra bytes do not turn the close
 * into a reset; many clients at once. A silent client holds its own connection here.
 */
import { hashAddr, hostPort } from "../lib/address.ts";
import { pyRepr } from "../lib/bytes.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { closeQuietly, explain, keepServing, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Reads exactly 16 bytes from each client, answers Hello World! and closes.
usage: deno run --allow-net examples/fixed_length_server.ts [options]
  --host, -H  address to bind (default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default 1060)`;

/** Opens the listening socket (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 1060): Deno.TcpListener {
  // socket(), bind((HOST, 1060)) and listen() in one call. The slides' listen(5) lets Linux
  // queue 6 connections (backlog + 1); Deno's backlog is 511.
  const where = `listen on TCP ${hostPort({ hostname, port })}`;
  return tryTo(where, () => Deno.listen({ hostname, port }));
}

/** One client: read exactly 16 bytes, reply, close. */
export async function handle(conn: Deno.Conn, log: Logger = stdoutLogger): Promise<void> {
  // recv_all(sock, 16): recv() the bytes still missing until all 16 are in, however they were
  // split. A read of 0 bytes (null) before that means the client closed early.
  const message = new Uint8Array(16);
  for (let got = 0, n; got < 16; got += n) {
    n = await conn.read(message.subarray(got));
    if (n === null) {
      throw new Error(`closed after ${got} of 16 bytes: ${pyRepr(message.subarray(0, got))}`);
    }
  }
  log(`The incoming sixteen-octet message says ${pyRepr(message)}`);
  // sendall()
  const reply = new TextEncoder().encode("Hello World!");
  for (let off = 0; off < reply.length;) off += await conn.write(reply.subarray(off));
  // shutdown(SHUT_WR) sends our FIN; then drop what the client still sends, for up to 1 s: a
  // close() with unread bytes makes the kernel send a reset, which can destroy the reply.
  await conn.closeWrite().catch(() => {}); // the client may be gone already
  const sink = new Uint8Array(4096), end = performance.now() + 1000;
  while (await within(conn.read(sink), end - performance.now(), "").catch(() => null));
  log("Reply sent, socket closed"); // close() follows in serve()
}

/** Accepts clients, each in its own task, until `signal` aborts; then closes them. */
export async function serve(
  listener: Deno.Listener,
  { signal, log = stdoutLogger }: { signal?: AbortSignal; log?: Logger } = {},
): Promise<void> {
  // A pending accept() ends only when the listener closes: Ctrl-C closes it.
  signal?.addEventListener("abort", () => closeQuietly(listener), { once: true });
  const clients = new Map<Deno.Conn, Promise<void>>();
  while (true) {
    let conn: Deno.Conn;
    try {
      // accept(): sock_cli, addr = sock.accept()
      conn = await listener.accept();
    } catch (err) {
      // Stopped: the listener is closed. A reset in the queue, or EMFILE: go on (lib/errors.ts).
      if (await keepServing(err, log)) continue;
      break;
    }
    // One task per client; the slides served one at a time, so one silent client blocked all.
    const task = handle(conn, log)
      .catch((err) => log(`${hashAddr(conn.remoteAddr)}: ${explain(err)}`))
      // sock_cli.close()
      .finally(() => (closeQuietly(conn), clients.delete(conn)));
    clients.set(conn, task);
  }
  // Stopped: close the clients still connected, and wait for their tasks to end.
  for (const conn of clients.keys()) closeQuietly(conn);
  await Promise.all(clients.values());
}

if (import.meta.main) {
  await runMain("fixed_length_server", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(1060));
    const listener = bind(cli.host(), cli.port());
    console.log(`Listening at ${hostPort(listener.addr)} (Ctrl+C to quit)`);
    await untilShutdown((signal) => serve(listener, { signal }));
  });
}

/**
 * @module The TCP uppercase server hardened for the open Internet: the same protocol and socket
 * calls as `tcp_server.ts`, plus one defence per attack a hostile client can make.
 *
 * ```text
 * $ deno run --allow-net examples/hardened_tcp_server.ts --max-connections 100 --idle-timeout 10
 * serverIP: 127.0.0.1
 * serverPort: 12000
 * Press Ctrl+C to quit. Listening...
 * Received from 127.0.0.1#53310: tcp is reliable
 *
 * $ deno run --allow-net examples/tcp_client.ts --port 12000 tcp is reliable
 * Returned from server: TCP IS RELIABLE
 * ```
 * Source: Kurose & Ross, *Computer Networking*, section 2.7: TCPServer.py, then the defences of
 * the slides' `listen(backlog)` and SYN-flood page (Di Valerio, "SOCKET"). Each defence below
 * names the attack it answers.
 */
import { hashAddr, hostPort, serverBanner } from "../lib/address.ts";
import { asciiUpper, printable } from "../lib/bytes.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { timedOut, within } from "../lib/deadline.ts";
import { closeQuietly, explain, keepServing, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `The TCP uppercase server, with a connection cap, an idle clock and a graceful stop.
usage: deno run --allow-net examples/hardened_tcp_server.ts [options]
  --host, -H           address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p           port to bind (0 lets the OS choose; default 12000)
  --idle-timeout SEC   drop a client that makes no progress this long (default 30)
  --max-connections N  clients served at once; more wait in the accept queue (default 512)`;

/** The defences' settings. */
export interface HardenedOptions {
  /** Drop a client that sends or reads too little for this long, in ms (default 30 s). */
  idleTimeoutMs?: number;
  /** Clients served at once (default 512). */
  maxConnections?: number;
  /** How long a graceful stop lets clients finish, in ms (default 2 s). */
  drainMs?: number;
  /** Stops the server. */
  signal?: AbortSignal;
  /** Where the per-client lines go (default: stdout). */
  log?: Logger;
}

/** Opens the listening socket on `hostname`:`port` (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 12000): Deno.TcpListener {
  // socket() + bind() + listen(): the kernel queues connections until accept() takes them.
  const where = `listen on TCP ${hostPort({ hostname, port })}`;
  return tryTo(where, () => Deno.listen({ hostname, port }));
}

/** One client, as in tcp_server.ts, but every read and write has a deadline. */
export async function handle(conn: Deno.Conn, options: HardenedOptions = {}): Promise<void> {
  const { idleTimeoutMs = 30_000, log = stdoutLogger } = options;
  const secs = idleTimeoutMs / 1000;
  const buf = new Uint8Array(64 * 1024);
  let first = new Uint8Array(0), total = 0;
  // Slowloris (a byte every few seconds to hold a slot forever): the idle clock restarts only
  // after 512 bytes of progress, not at every byte.
  let end = performance.now() + idleTimeoutMs, progress = 0;
  while (true) {
    // recv(), but only until the idle deadline: a silent client is dropped.
    const silent = `the peer sent under 512 bytes in ${secs} s`;
    const n = await within(conn.read(buf), end - performance.now(), silent);
    if (n === null) break;
    if ((progress += n) >= 512) [end, progress] = [performance.now() + idleTimeoutMs, 0];
    if (total === 0) first = buf.slice(0, Math.min(n, 800));
    total += n;
    // sendall() with a write deadline: a client that sends but never reads fills our send
    // buffer, and write() would wait for it forever.
    const chunk = asciiUpper(buf.subarray(0, n));
    const writing = performance.now();
    for (let off = 0; off < n;) {
      const stuck = `the peer read nothing for ${secs} s`;
      off += await within(conn.write(chunk.subarray(off)), idleTimeoutMs, stuck);
    }
    end += performance.now() - writing; // time spent writing is not time the client was silent
  }
  log(`Received from ${hashAddr(conn.remoteAddr)}: ${printable(first, 200, total)}`);
}

/** Accepts clients up to the cap until `signal` aborts; then drains and closes them. */
export async function serve(listener: Deno.Listener, options: HardenedOptions = {}): Promise<void> {
  const { signal, maxConnections = 512, drainMs = 2000, log = stdoutLogger } = options;
  const clients = new Map<Deno.Conn, Promise<void>>();
  let slotFreed = () => {}; // wakes the accept loop when a client leaves
  signal?.addEventListener("abort", () => (closeQuietly(listener), slotFreed()), { once: true });
  while (!signal?.aborted) {
    // Connection flood (thousands of clients to exhaust memory and descriptors): at the cap,
    // accept nobody; newcomers wait in the kernel's accept queue, then their SYNs are dropped.
    if (clients.size >= maxConnections) {
      await new Promise<void>((resolve) => slotFreed = resolve);
      continue;
    }
    let conn: Deno.Conn;
    try {
      // accept(): the next connection the kernel has already set up.
      conn = await listener.accept();
    } catch (err) {
      // Stopped: the listener is closed. A reset in the queue, or EMFILE: go on (lib/errors.ts).
      if (await keepServing(err, log)) continue;
      break;
    }
    const task = handle(conn, options)
      .catch((err) => log(`${hashAddr(conn.remoteAddr)}: ${explain(err)}`))
      .finally(() => (closeQuietly(conn), clients.delete(conn), slotFreed()));
    clients.set(conn, task);
  }
  // Graceful stop: no new clients; those in progress get `drainMs` to finish, then are closed.
  const drained = Promise.all(clients.values());
  await within(drained, drainMs, "drain").catch(timedOut);
  for (const conn of clients.keys()) closeQuietly(conn);
  await drained;
}

if (import.meta.main) {
  await runMain("hardened_tcp_server", USAGE, async () => {
    const cli = parseCli(
      Deno.args,
      hostPortFlags(12000, { "idle-timeout": "30", "max-connections": "512" }),
    );
    const idleTimeoutMs = cli.number("idle-timeout", 0.001, 86400) * 1000;
    const maxConnections = cli.number("max-connections", 1, 100_000);
    const listener = bind(cli.host(), cli.port());
    for (const line of serverBanner(listener.addr)) console.log(line);
    await untilShutdown((signal) => serve(listener, { signal, idleTimeoutMs, maxConnections }));
    console.log("Server stopped.");
  });
}

/**
 * @module TCP uppercase server: a listening socket, a new connected socket per client, and a byte
 * stream upper-cased as it flows, whatever its length.
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
 * Source: Kurose & Ross, *Computer Networking*, section 2.7: TCPServer.py. Fixed: its one
 * `recv(1024)` kept at most 1,024 bytes, this streams until the client half-closes; many clients at
 * once, where it served one. A client that never sends or never reads holds its own connection
 * here: `hardened_tcp_server.ts` shows the defences.
 */
import { hashAddr, hostPort, serverBanner } from "../lib/address.ts";
import { asciiUpper, printable } from "../lib/bytes.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { closeQuietly, explain, keepServing, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Sends back, upper-cased, everything each TCP client sends, until it half-closes.
usage: deno run --allow-net examples/tcp_server.ts [options]
  --host, -H  address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default 12000)`;

/** Opens the listening socket on `hostname`:`port` (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 12000): Deno.TcpListener {
  // socket(AF_INET, SOCK_STREAM) + bind() + listen(), with SO_REUSEADDR set, in one call.
  const where = `listen on TCP ${hostPort({ hostname, port })}`;
  return tryTo(where, () => Deno.listen({ hostname, port }));
}

/** One client: upper-case each chunk back until the client is done sending (EOF). */
export async function handle(conn: Deno.Conn, log: Logger = stdoutLogger): Promise<void> {
  const buf = new Uint8Array(64 * 1024); // a bounded buffer, reused for every chunk
  let first = new Uint8Array(0), total = 0;
  while (true) {
    // recv(): whatever has arrived, up to the buffer's size; null is EOF (the client's FIN).
    const n = await conn.read(buf);
    if (n === null) break;
    if (total === 0) first = buf.slice(0, Math.min(n, 800)); // for the log line only
    total += n;
    // sendall(): write() may take part of the chunk, so loop until all of it is gone.
    const chunk = asciiUpper(buf.subarray(0, n));
    for (let off = 0; off < n;) off += await conn.write(chunk.subarray(off));
  }
  log(`Received from ${hashAddr(conn.remoteAddr)}: ${printable(first, 200, total)}`);
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
      // accept(): the next connection the kernel has already set up, as a new socket.
      conn = await listener.accept();
    } catch (err) {
      // Stopped: the listener is closed. A reset in the queue, or EMFILE: go on (lib/errors.ts).
      if (await keepServing(err, log)) continue;
      break;
    }
    // One task per client, so a slow one blocks nobody; its failure ends only its exchange.
    const task = handle(conn, log)
      .catch((err) => log(`${hashAddr(conn.remoteAddr)}: ${explain(err)}`))
      // close(): the client's socket, whatever happened.
      .finally(() => (closeQuietly(conn), clients.delete(conn)));
    clients.set(conn, task);
  }
  // Stopped: close the clients still connected, and wait for their tasks to end.
  for (const conn of clients.keys()) closeQuietly(conn);
  await Promise.all(clients.values());
}

if (import.meta.main) {
  await runMain("tcp_server", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(12000));
    const listener = bind(cli.host(), cli.port());
    for (const line of serverBanner(listener.addr)) console.log(line);
    await untilShutdown((signal) => serve(listener, { signal }));
    console.log("Server stopped.");
  });
}

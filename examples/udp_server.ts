/**
 * @module UDP uppercase server: one socket, no connections; each datagram is answered, upper-cased,
 * at the address it came from.
 *
 * ```sh
 * deno run --allow-net examples/udp_server.ts [--host 127.0.0.1] [--port 12000]
 * ```
 *
 * ```text
 * $ deno run --allow-net examples/udp_server.ts
 * serverIP: 127.0.0.1
 * serverPort: 12000
 * Press Ctrl+C to quit. Listening...
 * Received from 127.0.0.1#53309: udp is lazy
 *
 * $ deno run --allow-net examples/udp_client.ts --host 127.0.0.1 --port 12000 udp is lazy
 * I'm configured to send UDP packets to 127.0.0.1 on port 12000
 * Press Ctrl+C to quit.
 * Returned from server: UDP IS LAZY
 * ```
 *
 * Source: `003_7590de73a228964a.txt`, UDPServer.py (port 12000 is the textbook's; the document
 * binds port 0). Fixed: loopback unless `--host`; no cut at `recvfrom(2048)`; bytes that are not
 * UTF-8 printed safely; addresses from `Deno.networkInterfaces()`, not a datagram to 8.8.8.8;
 * Ctrl-C (Ctrl-Z only suspends) closes the socket and exits 0.
 */
import { hostPort, serverBanner, stripBrackets } from "../lib/address.ts";
import { asciiUpper } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { closeQuietly, explain, requireUnstableNet, runMain, withContext } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Sends each datagram back upper-cased to whoever sent it.
usage: deno run --allow-net examples/udp_server.ts [options]
  --host, -H  address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default 12000)`;

/** Opens the server's socket on `hostname`:`port` (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 12000): Deno.DatagramConn {
  requireUnstableNet();
  try {
    // socket(AF_INET, SOCK_DGRAM) + bind((host, port)) in one call; ::1 makes an AF_INET6 socket.
    return Deno.listenDatagram({ transport: "udp", hostname, port });
  } catch (err) {
    throw withContext(`cannot bind UDP ${hostPort({ hostname, port })}`, err);
  }
}

/** Answers every datagram until `signal` aborts; then closes the socket. */
export async function serve(
  socket: Deno.DatagramConn,
  { signal, log = stdoutLogger }: { signal?: AbortSignal; log?: Logger } = {},
): Promise<void> {
  // A pending receive() ends only when its socket closes: Ctrl-C closes it.
  signal?.addEventListener("abort", () => closeQuietly(socket), { once: true });
  // One buffer for every datagram, big enough for the largest (65,507 bytes over IPv4).
  const buf = new Uint8Array(65536);
  try {
    while (!signal?.aborted) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        // recvfrom(): one whole datagram, and the address and port of whoever sent it.
        [data, from] = (await socket.receive(buf)) as [Uint8Array, Deno.NetAddr];
      } catch (err) {
        if (signal?.aborted || err instanceof Deno.errors.BadResource) break;
        log`receive failed: ${explain(err)}`; // one bad datagram never stops the server
        continue;
      }
      // A line per datagram: the log tag writes the address as host#port and the bytes escaped.
      log`Received from ${from}: ${data}`;
      // sendto(): the reply, upper-cased in place (Python's bytes.upper()), back to the sender.
      try {
        await socket.send(asciiUpper(data), from);
      } catch (err) {
        log`could not reply to ${from}: ${explain(err)}`;
      }
    }
  } finally {
    // close(): the port is free again.
    closeQuietly(socket);
  }
}

if (import.meta.main) {
  await runMain("udp_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: "12000" },
      alias: { H: "host", p: "port" },
    });
    const socket = bind(stripBrackets(cli.string("host")!), cli.port());
    // getsockname(): the address and port we really got (port 0 becomes a real one).
    for (const line of serverBanner(socket.addr as Deno.NetAddr)) console.log(line);
    await untilShutdown((signal) => serve(socket, { signal }));
    console.log("Server stopped.");
  });
}

/**
 * @module UDP uppercase server: one socket, no connections; each datagram gets a reply sent
 * back to the address it came from.
 *
 * Run it (12000 is the textbook's port; `--port 0` lets the OS choose, as the course does):
 *
 * ```sh
 * deno run --allow-net examples/udp_server.ts [--host 127.0.0.1] [--port 12000]
 * ```
 *
 * Try it, in two terminals:
 *
 * ```text
 * $ deno run --allow-net examples/udp_server.ts
 * serverIP: 127.0.0.1
 * serverPort: 12000
 * Press Ctrl+C to quit. Listening...
 * Received from 127.0.0.1#53309: udp is lazy
 *
 * $ deno run --allow-net examples/udp_client.ts --host 127.0.0.1 --port 12000
 * I'm configured to send UDP packets to 127.0.0.1 on port 12000
 * Press Ctrl+C to quit.
 * Input lowercase text: udp is lazy
 * Returned from server: UDP IS LAZY
 * ```
 *
 * Follows `003_7590de73a228964a.txt` (Kurose & Ross 2.7, as adapted for a course), UDPServer.py,
 * and speaks its protocol byte for byte: the reply is the request with a..z upper-cased (Python's
 * `bytes.upper()`), an empty datagram gets an empty reply. Fixed here:
 * - it binds loopback unless told `--host` (the original bound every interface);
 * - it finds addresses to show with `Deno.networkInterfaces()`; the original "connected" a UDP
 *   socket to 8.8.8.8, which fails on a machine with no default route;
 * - no truncation: the original's `recvfrom(2048)` cut longer datagrams, ours takes the largest
 *   UDP payload (65,507 bytes);
 * - bytes that are not UTF-8 are printed safely instead of raising `UnicodeDecodeError`;
 * - Ctrl-C (not Ctrl-Z, which only suspends) closes the socket and exits 0.
 */
import { hashAddr, serverBanner, stripBrackets } from "../lib/address.ts";
import { asciiUpper, printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { listenUdp } from "../lib/datagram.ts";
import { closeQuietly, explain, requireUnstableNet, runMain, withContext } from "../lib/errors.ts";
import { flushLog, type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

/** The textbook's port. */
export const DEFAULT_PORT = 12000;

const USAGE =
  `usage: deno run --allow-net examples/udp_server.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}]
  --host, -H  address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default ${DEFAULT_PORT})`;

/**
 * `socket(AF_INET, SOCK_DGRAM)` plus `bind((host, port))` in one call. The family follows the
 * address: `127.0.0.1` makes an IPv4 socket, `::1` an IPv6 one.
 */
export function bind(hostname = "127.0.0.1", port = DEFAULT_PORT): Deno.DatagramConn {
  requireUnstableNet();
  try {
    return listenUdp(hostname, port);
  } catch (err) {
    throw withContext(`cannot bind UDP ${hostname} port ${port}`, err);
  }
}

/** Answers datagrams until `signal` aborts, then closes the socket. */
export async function serve(
  socket: Deno.DatagramConn,
  { signal, log = stdoutLogger }: { signal?: AbortSignal; log?: Logger } = {},
): Promise<void> {
  // One buffer for every datagram (no allocation per packet), large enough that nothing is cut.
  const buf = new Uint8Array(65536);
  const stop = () => socket.close();
  signal?.addEventListener("abort", stop, { once: true });
  try {
    while (!signal?.aborted) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        // recvfrom(): wait for the next datagram; we learn the sender's address with it.
        [data, from] = (await socket.receive(buf)) as [Uint8Array, Deno.NetAddr];
      } catch (err) {
        if (signal?.aborted || err instanceof Deno.errors.BadResource) break;
        log(`receive failed: ${explain(err)}`);
        continue;
      }
      log(`Received from ${hashAddr(from)}: ${printable(data)}`);
      // sendto(): reply to the sender. Upper-casing in place reuses the same buffer.
      await socket.send(asciiUpper(data), from).catch((err) =>
        log(`could not reply to ${hashAddr(from)}: ${explain(err)}`)
      );
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    closeQuietly(socket);
    flushLog();
  }
}

if (import.meta.main) {
  await runMain("udp_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: String(DEFAULT_PORT) },
      alias: { H: "host", p: "port" },
    });
    const socket = bind(stripBrackets(cli.string("host")!), cli.port());
    // getsockname(): the address and port the OS actually gave us (useful with --port 0).
    for (const line of serverBanner(socket.addr as Deno.NetAddr)) console.log(line);
    await untilShutdown((signal) => serve(socket, { signal }));
    console.log("Server stopped.");
  });
}

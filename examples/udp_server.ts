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
import { bindUdp, serveDatagrams } from "../lib/datagram.ts";
import { runMain } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
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
  return bindUdp(hostname, port);
}

/** Answers datagrams until `signal` aborts, then closes the socket. */
export function serve(
  socket: Deno.DatagramConn,
  { signal, log = stdoutLogger }: { signal?: AbortSignal; log?: Logger } = {},
): Promise<void> {
  // serveDatagrams loops on recvfrom(): each datagram arrives whole, with its sender's address,
  // in one reused 64 KiB buffer (the original's recvfrom(2048) cut anything longer).
  return serveDatagrams(socket, (data, from) => {
    log(`Received from ${hashAddr(from)}: ${printable(data)}`);
    // The reply, upper-cased in place (no copy); serveDatagrams sendto()s it to the sender.
    return asciiUpper(data);
  }, { signal, log });
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

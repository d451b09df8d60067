/**
 * @module An IPv6 datagram server that shows exactly what arrives: the bytes of each message,
 * and the peer's socket address as the bytes of a C `struct sockaddr_in6`.
 *
 * Run it:
 *
 * ```sh
 * deno run --allow-net examples/ipv6_server.ts [--host ::1] [--port 55555]
 * ```
 *
 * Try it, in two terminals (a datagram that is exactly `STOP` stops the server):
 *
 * ```text
 * $ deno run --allow-net examples/ipv6_server.ts
 * Listening on [::1]:55555 (send STOP to stop, or press Ctrl+C)
 * received 5 bytes:
 * 0x68 ('h') 0x65 ('e') 0x6c ('l') 0x6c ('l') 0x6f ('o')
 * received from [::1]:43210 message: hello
 * the socket address of the peer is (28 bytes):
 * 0xa 0x0 0xa8 0xca 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x0 0x0 0x0 0x0
 *   family 0a 00 (AF_INET6 = 10, this host's byte order) | port a8 ca (43210, network byte order) | flow info 0 | address ::1 | scope id 0
 *
 * $ deno run --allow-net examples/ipv6_client.ts
 * sent 5 bytes to [::1]:55555
 * ```
 *
 * Follows `002_b26497df760d23fc.txt` (CNP3 new edition): the C programs that `bind` and
 * `recvfrom` on an IPv6 datagram socket and print `received N bytes:`, each byte as
 * `0x68 ('h')`, and the peer's socket address as raw bytes; joined with `simpleserverudp.py` of
 * `000_860ab8cd1e472fb1.txt` (`received from <addr> message: <text>`, `STOP` stops it).
 *
 * The socket address is reconstructed: Deno hands us only the peer's host and port, so the 28
 * bytes are laid out as Linux's kernel fills a `sockaddr_in6` (family AF_INET6 = 10 in the host's
 * byte order, port and address in network byte order, flow info and scope id 0 here). macOS
 * and the BSDs differ: their struct starts with a length byte (28) and a one-byte family (30).
 * With `--host ::` the socket takes IPv4 too (Linux's dual stack): an IPv4 peer appears as
 * `::ffff:a.b.c.d`, an IPv4-mapped IPv6 address. Fixed here: loopback unless `--host`; no
 * truncation; Ctrl-C exits 0.
 */
import { hostPort, ipv6Bytes, isWildcard, stripBrackets } from "../lib/address.ts";
import { printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { bindUdp, serveDatagrams } from "../lib/datagram.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";
import { hex } from "../lib/wire.ts";

/** The C example's port. */
export const DEFAULT_PORT = 55555;
/** Linux's AF_INET6. */
export const AF_INET6_LINUX = 10;

const USAGE =
  `usage: deno run --allow-net examples/ipv6_server.ts [--host ::1] [--port ${DEFAULT_PORT}]
  --host, -H  IPv6 address to bind (:: for every address, IPv4 included; default ::1)
  --port, -p  port to bind (0 lets the OS choose; default ${DEFAULT_PORT})`;

/** The 28 bytes of the `sockaddr_in6` that Linux's `recvfrom()` would fill for `peer`. */
export function sockaddrIn6(peer: Deno.NetAddr): Uint8Array {
  const bytes = new Uint8Array(28);
  const view = new DataView(bytes.buffer);
  new Uint16Array(bytes.buffer, 0, 1)[0] = AF_INET6_LINUX; // sin6_family: the host's byte order
  view.setUint16(2, peer.port); // sin6_port: network byte order, as htons() leaves it
  view.setUint32(4, 0); // sin6_flowinfo: Deno does not report it
  bytes.set(ipv6Bytes(peer.hostname), 8); // sin6_addr: 16 bytes, network byte order
  new Uint32Array(bytes.buffer, 24, 1)[0] = 0; // sin6_scope_id, host order: 0 (not link-local)
  return bytes;
}

/** The lines printed for one datagram. */
export function dump(data: Uint8Array, peer: Deno.NetAddr): string[] {
  const chars = [...data].map((b) =>
    `0x${b.toString(16)} ('${b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."}')`
  );
  const sa = sockaddrIn6(peer);
  return [
    `received ${data.length} bytes:`,
    chars.join(" "),
    `received from ${hostPort(peer)} message: ${printable(data)}`,
    `the socket address of the peer is (${sa.length} bytes):`,
    [...sa].map((b) => `0x${b.toString(16)}`).join(" "),
    `  family ${hex(sa.subarray(0, 2))} (AF_INET6 = 10, this host's byte order) | port ${
      hex(sa.subarray(2, 4))
    } ` +
    `(${peer.port}, network byte order) | flow info 0 | address ${peer.hostname} | scope id 0`,
  ];
}

/** Prints every datagram until `STOP` arrives or `signal` aborts; then closes the socket. */
export async function serve(
  socket: Deno.DatagramConn,
  { signal, log = stdoutLogger }: { signal?: AbortSignal; log?: Logger } = {},
): Promise<"stopped" | "aborted"> {
  const stop = new AbortController();
  const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  // recvfrom() in a loop (lib/datagram.ts); this server never replies.
  await serveDatagrams(socket, (data, from) => {
    for (const line of dump(data, from)) log(line);
    if (new TextDecoder().decode(data) === "STOP") {
      log("Stopping server");
      stop.abort();
    }
    return null;
  }, { signal: both, log });
  return stop.signal.aborted ? "stopped" : "aborted";
}

if (import.meta.main) {
  await runMain("ipv6_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "::1", port: `${DEFAULT_PORT}` },
      alias: { H: "host", p: "port" },
    });
    const host = stripBrackets(cli.string("host")!);
    if (!host.includes(":")) {
      throw new UserError(
        `${host} is not an IPv6 address: this server makes an AF_INET6 socket (try ::1 or ::)`,
      );
    }
    // socket(AF_INET6, SOCK_DGRAM, 0) and bind() to [host]:port.
    const socket = bindUdp(host, cli.port());
    console.log(
      `Listening on ${hostPort(socket.addr as Deno.NetAddr)} (send STOP to stop, or press Ctrl+C)`,
    );
    if (isWildcard(host)) {
      console.log(
        "Bound to ::, so IPv4 datagrams arrive too (Linux's dual stack): IPv4 peers show as ::ffff:a.b.c.d",
      );
    }
    await untilShutdown((signal) => serve(socket, { signal }).then(() => {}));
  });
}

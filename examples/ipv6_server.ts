/**
 * @module An IPv6 datagram server that shows exactly what arrives: the bytes of each message, and
 * the peer's socket address as the bytes of a C `struct sockaddr_in6`.
 *
 * ```sh
 * deno run --allow-net examples/ipv6_server.ts [--host ::1] [--port 55555]
 * ```
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
 * Source: `002_b26497df760d23fc.txt`, the C `bind` + `recvfrom` that print `received N bytes:`,
 * each byte, and the peer's address as raw bytes; and simpleserverudp.py, which
 * `000_860ab8cd1e472fb1.txt` includes (`received from ... message:`, `STOP`). Deno gives only
 * host and port, so the 28 bytes are rebuilt as Linux fills them (macOS starts with a length
 * byte). With `--host ::` it takes IPv4 too, as `::ffff:a.b.c.d`: the document's line 78 says
 * one socket cannot serve both stacks, which is out of date on Linux.
 */
import { hostPort, ipv6Bytes, isWildcard, stripBrackets } from "../lib/address.ts";
import { hex, printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import {
  closeQuietly,
  explain,
  requireUnstableNet,
  runMain,
  UserError,
  withContext,
} from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

/** Linux's AF_INET6. */
export const AF_INET6_LINUX = 10;

const USAGE =
  `Prints each datagram that reaches an IPv6 socket, byte by byte, with the sender's sockaddr_in6.
usage: deno run --allow-net examples/ipv6_server.ts [options]
  --host, -H  IPv6 address to bind (:: for every address, IPv4 included; default ::1)
  --port, -p  port to bind (0 lets the OS choose; default 55555)`;

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

/** How many bytes of a datagram are shown one by one (the C loop prints all of them). */
export const SHOWN_BYTES = 64;

/** The lines printed for one datagram. */
export function dump(data: Uint8Array, peer: Deno.NetAddr): string[] {
  // Changed: a 64 KiB datagram would print 650 KB on one line; the first 64 bytes show how it works.
  const chars = [...data.subarray(0, SHOWN_BYTES)].map((b) =>
    `0x${b.toString(16)} ('${b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."}')`
  );
  if (data.length > SHOWN_BYTES) chars.push(`... and ${data.length - SHOWN_BYTES} more bytes`);
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

/** Opens an AF_INET6 datagram socket on `[hostname]:port` (port 0: the OS picks one). */
export function bind(hostname = "::1", port = 55555): Deno.DatagramConn {
  requireUnstableNet();
  if (!hostname.includes(":")) {
    throw new UserError(
      `${hostname} is not an IPv6 address: this server makes an AF_INET6 socket (try ::1 or ::)`,
    );
  }
  try {
    // socket(AF_INET6, SOCK_DGRAM, 0) + bind() to a sockaddr_in6.
    return Deno.listenDatagram({ transport: "udp", hostname, port });
  } catch (err) {
    throw withContext(`cannot bind UDP ${hostPort({ hostname, port })}`, err);
  }
}

/** Prints every datagram until `STOP` arrives or `signal` aborts; then closes the socket. */
export async function serve(
  socket: Deno.DatagramConn,
  { signal, log = stdoutLogger }: { signal?: AbortSignal; log?: Logger } = {},
): Promise<"stopped" | "aborted"> {
  // A pending receive() ends only when its socket closes: Ctrl-C closes it.
  signal?.addEventListener("abort", () => closeQuietly(socket), { once: true });
  const buf = new Uint8Array(65536);
  try {
    while (!signal?.aborted) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        // recvfrom(): the bytes, and the sender's address (which C gets as a sockaddr_in6).
        [data, from] = (await socket.receive(buf)) as [Uint8Array, Deno.NetAddr];
      } catch (err) {
        if (signal?.aborted || err instanceof Deno.errors.BadResource) break;
        log(`receive failed: ${explain(err)}`);
        continue;
      }
      for (const line of dump(data, from)) log(line);
      if (new TextDecoder().decode(data) === "STOP") {
        log("Stopping server");
        return "stopped";
      }
    }
    return "aborted";
  } finally {
    // close()
    closeQuietly(socket);
  }
}

if (import.meta.main) {
  await runMain("ipv6_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "::1", port: `55555` },
      alias: { H: "host", p: "port" },
    });
    const host = stripBrackets(cli.string("host")!);
    const socket = bind(host, cli.port());
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

/**
 * @module An IPv6 datagram server that shows what arrives: each byte, and the sender's sockaddr_in6.
 *
 * ```text
 * $ deno run --allow-net examples/ipv6_server.ts
 * Listening on [::1]:55555 (send STOP to stop, or press Ctrl+C)
 * received 5 bytes:
 * 0x68 ('h') 0x65 ('e') 0x6c ('l') 0x6c ('l') 0x6f ('o')
 * received from [::1]:43210 message: hello
 * the socket address of the peer is (28 bytes):
 * 0xa 0x0 0xa8 0xca 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x1 0x0 0x0 0x0 0x0
 *   family 0a 00 (AF_INET6, host order) | port a8 ca (43210, network order) | flowinfo 0 | address ::1 | scope 0
 *
 * $ deno run --allow-net examples/ipv6_client.ts
 * sent 5 bytes to [::1]:55555
 * ```
 * Source: Bonaventure, CNP3: the C `recvfrom` program (which does not compile as printed) and
 * simpleserverudp.py (`STOP`). Deno gives host and port only, so the 28 bytes are rebuilt as Linux
 * fills them. With `--host ::` IPv4 arrives too (the course says one socket cannot; Linux can).
 */
import { hostPort, ipv6Bytes, isWildcard } from "../lib/address.ts";
import { hex, printable } from "../lib/bytes.ts";
import { hostPortFlags, parseCli, UsageError } from "../lib/cli.ts";
import { closeQuietly, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Prints each datagram that reaches an IPv6 socket, byte by byte, and its sender.
usage: deno run --allow-net examples/ipv6_server.ts [options]
  --host, -H  IPv6 address to bind (:: for every address, IPv4 included; default ::1)
  --port, -p  port to bind (0 lets the OS choose; default 55555)`;

/** The 28 bytes of the `sockaddr_in6` that Linux's `recvfrom()` would fill for `peer`. */
export function sockaddrIn6(peer: Deno.NetAddr): Uint8Array {
  const bytes = new Uint8Array(28);
  new Uint16Array(bytes.buffer, 0, 1)[0] = 10; // sin6_family AF_INET6 (Linux; macOS 30), host order
  new DataView(bytes.buffer).setUint16(2, peer.port); // sin6_port, network order (htons)
  bytes.set(ipv6Bytes(peer.hostname), 8); // sin6_addr: 16 bytes, network byte order
  // sin6_flowinfo (bytes 4-7) and sin6_scope_id (24-27) stay 0: Deno does not report them.
  return bytes;
}

/** The lines for one datagram: each byte as the C loop prints it (the first 64 only), and more. */
export function dump(data: Uint8Array, peer: Deno.NetAddr): string[] {
  const chars = [...data.subarray(0, 64)].map((b) =>
    `0x${b.toString(16)} ('${b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."}')`
  );
  if (data.length > 64) chars.push(`... and ${data.length - 64} more bytes`);
  const sa = sockaddrIn6(peer);
  return [
    `received ${data.length} bytes:`,
    chars.join(" "),
    `received from ${hostPort(peer)} message: ${printable(data)}`,
    `the socket address of the peer is (${sa.length} bytes):`,
    [...sa].map((b) => `0x${b.toString(16)}`).join(" "),
    `  family ${hex(sa.subarray(0, 2))} (AF_INET6, host order) | port ${hex(sa.subarray(2, 4))} ` +
    `(${peer.port}, network order) | flowinfo 0 | address ${peer.hostname} | scope 0`,
  ];
}

/** socket(AF_INET6, SOCK_DGRAM, 0) + bind() to a sockaddr_in6 (port 0: the OS picks one). */
export function bind(hostname = "::1", port = 55555): Deno.DatagramConn {
  if (!hostname.includes(":")) throw new UsageError(`${hostname} is not IPv6 (try ::1 or ::)`);
  const where = `bind UDP ${hostPort({ hostname, port })}`;
  return tryTo(where, () => Deno.listenDatagram({ transport: "udp", hostname, port }));
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
    while (true) {
      // recvfrom(): the bytes, and the sender's address (which C gets as a sockaddr_in6).
      const [data, from] = (await socket.receive(buf)) as [Uint8Array, Deno.NetAddr];
      for (const line of dump(data, from)) log(line);
      if (new TextDecoder().decode(data) === "STOP") return (log("Stopping server"), "stopped");
    }
  } catch (err) {
    if (signal?.aborted) return "aborted"; // Ctrl-C closed the socket
    throw err;
  } finally {
    closeQuietly(socket); // close(): the port is free again
  }
}

if (import.meta.main) {
  await runMain("ipv6_server", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(55555, {}, "::1"));
    const socket = bind(cli.host(), cli.port());
    console.log(`Listening on ${hostPort(socket.addr)} (send STOP to stop, or press Ctrl+C)`);
    if (isWildcard(cli.host())) console.log("Bound to ::, so IPv4 arrives too, as ::ffff:a.b.c.d");
    await untilShutdown((signal) => serve(socket, { signal }));
  });
}

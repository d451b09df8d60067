/**
 * @module An IPv6 datagram client: make an AF_INET6 socket and `sendto()` one message to an IPv6
 * socket address.
 *
 * ```text
 * $ deno run --allow-net examples/ipv6_server.ts
 * Listening on [::1]:55555 (send STOP to stop, or press Ctrl+C)
 * received 5 bytes:
 * 0x68 ('h') 0x65 ('e') 0x6c ('l') 0x6c ('l') 0x6f ('o')
 * ...
 *
 * $ deno run --allow-net examples/ipv6_client.ts
 * sent 5 bytes to [::1]:55555
 * ```
 * Source: Bonaventure, CNP3: the C program that fills a `sockaddr_in6` (`htons(55555)`,
 * `inet_pton` of `::1`) and sends `hello` with `sendto()`. It never checks `inet_pton`: given
 * `127.0.0.1` it sends to `::`. Here an IPv4 address is refused with the way an AF_INET6 socket
 * reaches it, `::ffff:127.0.0.1`; a name is resolved to its IPv6 addresses only.
 */
import { hostPort, isIPv4Literal, localAddressFor, stripBrackets } from "../lib/address.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { getaddrinfo } from "../lib/resolve.ts";

const USAGE = `Sends one datagram over an IPv6 socket to the IPv6 server.
usage: deno run --allow-net examples/ipv6_client.ts [options] [MESSAGE]
  --host, -H  the server's IPv6 address or a name with an IPv6 address (default ::1)
  --port, -p  the server's port (default 55555)
  MESSAGE     what to send (default hello; STOP stops ipv6_server.ts)`;

/** `sendto()` one datagram to an IPv6 server; returns the address it went to. */
export async function send(host: string, port: number, message: string): Promise<Deno.NetAddr> {
  if (isIPv4Literal(stripBrackets(host))) {
    throw new UserError(
      `${host} is an IPv4 address: inet_pton(AF_INET6, "${host}") fails; an AF_INET6 socket ` +
        `reaches that host as ::ffff:${host} (try --host ::ffff:${host})`,
    );
  }
  // getaddrinfo(host, AF_INET6): only IPv6 addresses will do for an AF_INET6 socket.
  const [{ address }] = await getaddrinfo(host, 6);
  const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
  // socket(AF_INET6, SOCK_DGRAM, 0) on port 0: the kernel picks our port, as at C's sendto().
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: localAddressFor(address),
    port: 0,
  });
  try {
    // sendto(): the message, to the server's sockaddr_in6.
    await socket.send(new TextEncoder().encode(message), server);
  } finally {
    // close()
    socket.close();
  }
  return server;
}

if (import.meta.main) {
  await runMain("ipv6_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      ...hostPortFlags(55555, {}, "::1"),
      maxPositionals: Infinity,
    });
    const port = cli.port();
    if (port === 0) throw new UserError("port 0 is not a server's port: give --port");
    const message = cli.positionals.length > 0 ? cli.positionals.join(" ") : "hello";
    const server = await send(cli.host(), port, message);
    console.log(`sent ${new TextEncoder().encode(message).length} bytes to ${hostPort(server)}`);
  });
}

/**
 * @module An IPv6 datagram client: make an AF_INET6 socket and `sendto()` one message to an
 * IPv6 socket address.
 *
 * Run it (start examples/ipv6_server.ts first):
 *
 * ```sh
 * deno run --allow-net examples/ipv6_client.ts [--host ::1] [--port 55555] [MESSAGE=hello]
 * ```
 *
 * Try it, in two terminals:
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
 * $ deno run --allow-net examples/ipv6_client.ts STOP
 * sent 4 bytes to [::1]:55555
 * ```
 *
 * Follows `002_b26497df760d23fc.txt` (CNP3 new edition): the C program that fills a
 * `sockaddr_in6` (`sin6_family = AF_INET6`, `sin6_port = htons(55555)`, `inet_pton` of `::1`)
 * and sends `hello` with `sendto()`; and simpleclientip6.py of `000_860ab8cd1e472fb1.txt`. A
 * host name is resolved to IPv6 addresses only (getaddrinfo with AF_INET6). An IPv4 address is
 * refused with an explanation: an AF_INET6 socket cannot send to an AF_INET address (the C
 * program's `inet_pton` would simply fail). Fixed here: one clear line for every failure.
 */
import { hostPort } from "../lib/address.ts";
import { parseCli } from "../lib/cli.ts";
import { clientSocketFor } from "../lib/datagram.ts";
import { requireUnstableNet, runMain, UserError } from "../lib/errors.ts";
import { getaddrinfo } from "../lib/resolve.ts";
import { DEFAULT_PORT } from "./ipv6_server.ts";

const USAGE =
  `usage: deno run --allow-net examples/ipv6_client.ts [--host ::1] [--port ${DEFAULT_PORT}] [MESSAGE=hello]
  --host, -H  the server's IPv6 address or a name with an IPv6 address (default ::1)
  --port, -p  the server's port (default ${DEFAULT_PORT})`;

/** `sendto()` one datagram to an IPv6 server; returns the address it went to. */
export async function send(host: string, port: number, message: string): Promise<Deno.NetAddr> {
  // getaddrinfo(host, AF_INET6): only IPv6 addresses will do for an AF_INET6 socket.
  const [{ address }] = await getaddrinfo(host, 6);
  const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
  // socket(AF_INET6, SOCK_DGRAM, 0), then sendto(): the kernel picks our port.
  const socket = clientSocketFor(server);
  try {
    await socket.send(new TextEncoder().encode(message), server);
  } finally {
    socket.close();
  }
  return server;
}

if (import.meta.main) {
  await runMain("ipv6_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "::1", port: `${DEFAULT_PORT}` },
      alias: { H: "host", p: "port" },
      maxPositionals: Infinity,
    });
    const port = cli.port();
    if (port === 0) throw new UserError("port 0 is not a server's port: give --port");
    const message = cli.positionals.length > 0 ? cli.positionals.join(" ") : "hello";
    requireUnstableNet();
    const server = await send(cli.string("host")!, port, message);
    console.log(`sent ${new TextEncoder().encode(message).length} bytes to ${hostPort(server)}`);
  });
}

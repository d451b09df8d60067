/**
 * @module UDP uppercase server: one socket, no connections; each datagram is answered, upper-cased,
 * at the address it came from.
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
 * Returned from server: UDP IS LAZY
 * ```
 * Source: Kurose & Ross, *Computer Networking*, section 2.7: UDPServer.py (port 12000 is the
 * book's; the course's version binds port 0). Fixed: loopback unless `--host`; no cut at
 * `recvfrom(2048)`; bytes that are not UTF-8 printed safely; Ctrl-C (Ctrl-Z only suspends) exits.
 */
import { hashAddr, hostPort, serverBanner } from "../lib/address.ts";
import { asciiUpper, printable } from "../lib/bytes.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { closeQuietly, explain, keepServing, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Sends each datagram back upper-cased to whoever sent it.
usage: deno run --allow-net examples/udp_server.ts [options]
  --host, -H  address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default 12000)`;

/** Opens the server's socket on `hostname`:`port` (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 12000): Deno.DatagramConn {
  // socket(AF_INET, SOCK_DGRAM) + bind((host, port)) in one call; ::1 makes an AF_INET6 socket.
  const where = `bind UDP ${hostPort({ hostname, port })}`;
  return tryTo(where, () => Deno.listenDatagram({ transport: "udp", hostname, port }));
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
        // Stopped: the socket is closed. Anything else ends only this receive (lib/errors.ts).
        if (await keepServing(err, log, "receive")) continue;
        break;
      }
      // A line per datagram, written at once (Python buffers print() in a pipe; we do not).
      log(`Received from ${hashAddr(from)}: ${printable(data)}`);
      // sendto(): the reply, upper-cased in place (Python's bytes.upper()), back to the sender.
      try {
        await socket.send(asciiUpper(data), from);
      } catch (err) {
        log(`could not reply to ${hashAddr(from)}: ${explain(err)}`);
      }
    }
  } finally {
    // close(): the port is free again.
    closeQuietly(socket);
  }
}

if (import.meta.main) {
  await runMain("udp_server", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(12000));
    const socket = bind(cli.host(), cli.port());
    // getsockname(): the address and port we really got (port 0 becomes a real one).
    for (const line of serverBanner(socket.addr as Deno.NetAddr)) console.log(line);
    await untilShutdown((signal) => serve(socket, { signal }));
    console.log("Server stopped.");
  });
}

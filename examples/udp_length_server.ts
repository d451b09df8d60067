/**
 * @module A UDP server that may "lose" requests on purpose, to show why a UDP client needs a
 * timeout: it answers each datagram with its length, or drops it.
 *
 * ```text
 * $ deno run --allow-net examples/udp_length_server.ts --drop 0.5 --seed 8
 * Listening at 127.0.0.1:1060, dropping 50% of requests (Ctrl+C to quit)
 * Pretending to drop packet from 127.0.0.1#53401
 * The client at 127.0.0.1#53401 says Send this message!
 *
 * $ deno run --allow-net examples/udp_backoff_client.ts
 * Waiting up to 0.1 seconds for a reply
 * Waiting up to 0.2 seconds for a reply
 * The server says The msg was 18 bytes long
 * ```
 * Source: Di Valerio, "SOCKET" lecture slides: the UDP server (127.0.0.1, port 1060, `MAX =
 * 65535`, `The msg was N bytes long`); `--drop` is from Rhodes & Goerzen's book (`udp_remote.py`
 * pretends to drop half the packets). Added: `--seed` makes the losses reproducible; Ctrl-C exits.
 */
import { hashAddr, hostPort } from "../lib/address.ts";
import { printable } from "../lib/bytes.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { closeQuietly, explain, keepServing, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { randomSource } from "../lib/random.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `Answers each datagram with its length, dropping some on purpose with --drop.
usage: deno run --allow-net examples/udp_length_server.ts [options]
  --host, -H  address to bind (default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default 1060)
  --drop P    share of requests to drop, 0 to 1 (default 0)
  --seed N    make the dropping reproducible (default: unseeded)`;

/** Opens the server's socket (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 1060): Deno.DatagramConn {
  // socket(AF_INET, SOCK_DGRAM) + bind(('127.0.0.1', 1060))
  const where = `bind UDP ${hostPort({ hostname, port })}`;
  return tryTo(where, () => Deno.listenDatagram({ transport: "udp", hostname, port }));
}

/** Share of requests to drop (0..1), its seed, a stop, and where the lines go. */
export type LengthOptions = { drop?: number; seed?: number; signal?: AbortSignal; log?: Logger };

/** Answers (or drops) datagrams until `signal` aborts, then closes the socket. */
export async function serve(socket: Deno.DatagramConn, options: LengthOptions = {}): Promise<void> {
  const { drop = 0, signal, log = stdoutLogger } = options;
  const random = randomSource(options.seed);
  // A pending receive() ends only when its socket closes: Ctrl-C closes it.
  signal?.addEventListener("abort", () => closeQuietly(socket), { once: true });
  const buf = new Uint8Array(65535); // the slides' MAX: the largest datagram fits
  try {
    while (!signal?.aborted) {
      let data: Uint8Array, from: Deno.NetAddr;
      try {
        // recvfrom(MAX): one datagram and its sender's address.
        [data, from] = (await socket.receive(buf)) as [Uint8Array, Deno.NetAddr];
      } catch (err) {
        // Stopped: the socket is closed. Anything else ends only this receive (lib/errors.ts).
        if (await keepServing(err, log, "receive")) continue;
        break;
      }
      // udp_remote.py: "if random.random() < 0.5: print('Pretending to drop packet ...')".
      if (random() < drop) {
        log(`Pretending to drop packet from ${hashAddr(from)}`);
        continue;
      }
      log(`The client at ${hashAddr(from)} says ${printable(data)}`);
      // sendto(): the reply goes back to the address the request came from.
      const reply = new TextEncoder().encode(`The msg was ${data.length} bytes long`);
      try {
        await socket.send(reply, from);
      } catch (err) {
        log(`could not reply to ${hashAddr(from)}: ${explain(err)}`);
      }
    }
  } finally {
    // close()
    closeQuietly(socket);
  }
}

if (import.meta.main) {
  await runMain("udp_length_server", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(1060, { drop: "0", seed: "" }));
    const drop = cli.number("drop", 0, 1);
    const seed = cli.string("seed") === "" ? undefined : Math.floor(cli.number("seed"));
    const socket = bind(cli.host(), cli.port());
    const dropping = drop > 0 ? `, dropping ${Math.round(drop * 100)}% of requests` : "";
    const at = hostPort(socket.addr);
    console.log(`Listening at ${at}${dropping} (Ctrl+C to quit)`);
    await untilShutdown((signal) => serve(socket, { drop, seed, signal }));
  });
}

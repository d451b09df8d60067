/**
 * @module A UDP server that may "lose" requests on purpose, to show why a UDP client needs a
 * timeout: it answers each datagram with its length, or drops it.
 *
 * Run it (1060 is the port of the slides and of Rhodes & Goerzen's book):
 *
 * ```sh
 * deno run --allow-net examples/udp_length_server.ts [--host 127.0.0.1] [--port 1060] [--drop 0.5] [--seed 1]
 * ```
 *
 * Try it, in two terminals:
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
 *
 * Follows `004_6f4c6afd96850594.txt` (lecture slides "SOCKET", after Rhodes & Goerzen): the UDP
 * server on port 1060 that prints `The client at ... says ...` and replies `The msg was N bytes
 * long`; `--drop` is the book's `udp_remote.py`, which pretends to drop half the packets.
 * Fixed here: loopback unless `--host`; `recvfrom(65535)` without truncation in a reused
 * buffer; non-UTF-8 bytes printed safely; `--seed` makes the losses reproducible; Ctrl-C exits 0.
 */
import { hashAddr, hostPort, stripBrackets } from "../lib/address.ts";
import { printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { bindUdp, serveDatagrams } from "../lib/datagram.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { randomSource } from "../lib/random.ts";
import { untilShutdown } from "../lib/signals.ts";

/** The slides' port. */
export const DEFAULT_PORT = 1060;

const USAGE =
  `usage: deno run --allow-net examples/udp_length_server.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}] [--drop P] [--seed N]
  --host, -H  address to bind (default 127.0.0.1)
  --port, -p  port to bind (0 lets the OS choose; default ${DEFAULT_PORT})
  --drop P    share of requests to drop, 0 to 1 (default 0)
  --seed N    make the dropping reproducible`;

/** Options for {@link serve}. */
export interface LengthOptions {
  /** Share of requests to drop, 0..1. */
  drop?: number;
  /** Seed for the dropping. */
  seed?: number;
  signal?: AbortSignal;
  log?: Logger;
}

/** Answers (or drops) datagrams until `signal` aborts, then closes the socket. */
export function serve(socket: Deno.DatagramConn, options: LengthOptions = {}): Promise<void> {
  const { drop = 0, signal, log = stdoutLogger } = options;
  const random = randomSource(options.seed);
  // The same recvfrom()/sendto() loop as udp_server.ts; only what is done with a datagram differs.
  return serveDatagrams(socket, (data, from) => {
    // The book's udp_remote.py: "if random.random() < 0.5: print('Pretending to drop ...')".
    if (random() < drop) {
      log(`Pretending to drop packet from ${hashAddr(from)}`);
      return null;
    }
    log(`The client at ${hashAddr(from)} says ${printable(data)}`);
    return new TextEncoder().encode(`The msg was ${data.length} bytes long`);
  }, { signal, log });
}

if (import.meta.main) {
  await runMain("udp_length_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: `${DEFAULT_PORT}`, drop: "0", seed: undefined },
      alias: { H: "host", p: "port" },
    });
    const drop = cli.number("drop", 0, 1);
    const seed = cli.string("seed") === undefined ? undefined : Math.floor(cli.number("seed"));
    // socket(AF_INET, SOCK_DGRAM) + bind()
    const socket = bindUdp(stripBrackets(cli.string("host")!), cli.port());
    const dropping = drop > 0 ? `, dropping ${Math.round(drop * 100)}% of requests` : "";
    console.log(
      `Listening at ${hostPort(socket.addr as Deno.NetAddr)}${dropping} (Ctrl+C to quit)`,
    );
    await untilShutdown((signal) => serve(socket, { drop, seed, signal }));
  });
}

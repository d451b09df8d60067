/**
 * @module A UDP client that expects loss: wait a little, resend, wait twice as long, and give
 * up at a limit (exponential backoff), on a socket "connected" to one server.
 *
 * Run it (start examples/udp_length_server.ts first, ideally with `--drop 0.5`):
 *
 * ```sh
 * deno run --allow-net examples/udp_backoff_client.ts [--host 127.0.0.1] [--port 1060] [--initial 0.1] [--max 2.0] [MESSAGE]
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
 * With no server at all it waits 0.1, 0.2, 0.4, 0.8 and 1.6 s, five sends, and then prints
 * `udp_backoff_client: Maybe the server is down ...` and exits 1.
 *
 * Follows `004_6f4c6afd96850594.txt` (lecture slides "SOCKET", after Rhodes & Goerzen): delay
 * 0.1 s doubling after each silence, giving up once the next wait would exceed 2.0 s ("Maybe the
 * server is down"), on a UDP socket with `connect()`. Connected UDP: lib/datagram.ts
 * ({@link ConnectedDatagram}) explains what the kernel's `connect()` does for UDP and gives the
 * same semantics here, where Deno has no `connect()` for datagrams. Fixed here: a reply that
 * arrives just after a timeout is still taken (the original could miss it between `settimeout`
 * and the resend only by luck of timing; a naive Deno port loses it for sure), and the give-up
 * line says the other likely cause: without a kernel-connected socket, an ICMP "port
 * unreachable" never surfaces, so a closed port looks exactly like a lost packet.
 */
import { hashAddr, hostPort } from "../lib/address.ts";
import { parseCli, UsageError } from "../lib/cli.ts";
import { backoffSchedule, ConnectedDatagram, NoReplyError } from "../lib/datagram.ts";
import { requireUnstableNet, runMain, UserError } from "../lib/errors.ts";
import { getaddrinfo } from "../lib/resolve.ts";
import { DEFAULT_PORT } from "./udp_length_server.ts";

/** The slides' message. */
export const DEFAULT_MESSAGE = "Send this message!";

const USAGE =
  `usage: deno run --allow-net examples/udp_backoff_client.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}] [MESSAGE]
  --host, -H      the server's address or name (default 127.0.0.1)
  --port, -p      the server's port (default ${DEFAULT_PORT})
  --initial SEC   the first wait (default 0.1)
  --max SEC       give up when the next wait would exceed this (default 2.0)`;

/** Options for {@link ask}. */
export interface BackoffOptions {
  /** First wait in ms (default 100). */
  initialMs?: number;
  /** Largest wait in ms (default 2000). */
  maxMs?: number;
  /** Called before each wait. */
  onWait?: (waitMs: number) => void;
  /** Called for a datagram from someone other than the server. */
  onIgnored?: (from: Deno.NetAddr) => void;
}

/** Sends `message` to `server` with backoff; returns the reply, or throws NoReplyError. */
export async function ask(server: Deno.NetAddr, message: string, options: BackoffOptions = {}) {
  const { initialMs = 100, maxMs = 2000, onWait, onIgnored } = options;
  // "connect()": fix the peer once; send() needs no address, strangers' datagrams are ignored.
  const sock = new ConnectedDatagram(server, (d) => onIgnored?.(d.from));
  try {
    // send(), then recv() with a timeout: 0.1 s, 0.2 s, 0.4 s... resending after each silence.
    const waits = backoffSchedule(initialMs, maxMs);
    const reply = await sock.request(
      new TextEncoder().encode(message),
      waits,
      (_, ms) => onWait?.(ms),
    );
    return new TextDecoder().decode(reply.data);
  } finally {
    sock.close();
  }
}

if (import.meta.main) {
  await runMain("udp_backoff_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: `${DEFAULT_PORT}`, initial: "0.1", max: "2.0" },
      alias: { H: "host", p: "port" },
      maxPositionals: Infinity,
    });
    const initialMs = cli.number("initial", 0.001, 60) * 1000;
    const maxMs = cli.number("max", 0.001, 3600) * 1000;
    if (maxMs < initialMs) throw new UsageError("--max is below --initial: nothing would be sent");
    const port = cli.port();
    requireUnstableNet();
    const [{ address }] = await getaddrinfo(cli.string("host")!);
    const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
    const message = cli.positionals.length > 0 ? cli.positionals.join(" ") : DEFAULT_MESSAGE;
    try {
      const reply = await ask(server, message, {
        initialMs,
        maxMs,
        onWait: (ms) => console.log(`Waiting up to ${ms / 1000} seconds for a reply`),
        onIgnored: (from) =>
          console.log(`Ignoring a datagram from ${hashAddr(from)}: not the server`),
      });
      console.log(`The server says ${reply}`);
    } catch (err) {
      if (!(err instanceof NoReplyError)) throw err;
      throw new UserError(
        `Maybe the server is down: no reply from ${hostPort(server)} after ${err.attempts} ` +
          `sends (or nothing listens on that port: this socket never hears ICMP "port unreachable")`,
      );
    }
  });
}

/**
 * @module A UDP client that expects loss: wait a little, resend, wait twice as long, and give up
 * at a limit (exponential backoff), talking to one server as a connected UDP socket would.
 *
 * ```sh
 * deno run --allow-net examples/udp_backoff_client.ts [--host 127.0.0.1] [--port 1060] [--initial 0.1] [--max 2.0] [MESSAGE]
 * ```
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
 * Source: `004_6f4c6afd96850594.txt`, the slides' `settimeout()` client: delay 0.1 s, doubled
 * after each silence, `Maybe the server is down` once it would exceed 2.0 s (five sends). The
 * slides' socket is connected, so the kernel queues a late reply and their next `recv()` takes
 * it; Deno has no `connect()` for UDP, so this keeps that: one pending receive across resends
 * (a naive port would lose the late reply), and only the server's datagrams count.
 */
import { hashAddr, hostPort, localAddressFor, sameAddress } from "../lib/address.ts";
import { terminalSafe } from "../lib/bytes.ts";
import { parseCli, UsageError } from "../lib/cli.ts";
import { timedOut, within } from "../lib/deadline.ts";
import { requireUnstableNet, runMain, UserError } from "../lib/errors.ts";
import { getaddrinfo } from "../lib/resolve.ts";

const USAGE =
  `Sends a datagram and waits for the reply, doubling the wait after each silence (backoff).
usage: deno run --allow-net examples/udp_backoff_client.ts [options] [MESSAGE]
  --host, -H      the server's address or name (default 127.0.0.1)
  --port, -p      the server's port (default 1060)
  --initial SEC   the first wait (default 0.1)
  --max SEC       give up when the next wait would exceed this (default 2.0)
  MESSAGE         what to send (default "Send this message!")`;

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

/** No reply after every wait of the backoff. */
export class NoReplyError extends Error {
  /** @param attempts how many times the message was sent */
  constructor(readonly attempts: number) {
    super(`no reply after ${attempts} sends`);
    this.name = "NoReplyError";
  }
}

/** Sends `message` to `server` with backoff; returns the reply, or throws NoReplyError. */
export async function ask(
  server: Deno.NetAddr,
  message: string,
  { initialMs = 100, maxMs = 2000, onWait, onIgnored }: BackoffOptions = {},
): Promise<string> {
  // socket(AF_INET, SOCK_DGRAM). The slides' connect() only records the peer in the kernel (no
  // packet is sent); here the peer is `server`, and datagrams from anyone else are ignored.
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: localAddressFor(server.hostname),
    port: 0,
  });
  const data = new TextEncoder().encode(message);
  // One receive stays pending across the resends, as the kernel's queue does for the slides.
  let pending = socket.receive();
  try {
    let sends = 0;
    for (let delay = initialMs; delay <= maxMs; delay *= 2) {
      // send(): to the one peer.
      await socket.send(data, server);
      sends++;
      onWait?.(delay);
      const end = performance.now() + delay;
      // recv() with settimeout(delay): a silent wait doubles the delay (exponential backoff).
      for (let got; (got = await within(pending, end - performance.now(), "").catch(timedOut));) {
        pending = socket.receive();
        const from = got[1] as Deno.NetAddr;
        if (sameAddress(from, server)) return new TextDecoder().decode(got[0]);
        onIgnored?.(from); // a connected socket would never have delivered it
      }
    }
    throw new NoReplyError(sends);
  } finally {
    pending.catch(() => {}); // the receive still pending ends with the socket
    // close()
    socket.close();
  }
}

if (import.meta.main) {
  await runMain("udp_backoff_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: "1060", initial: "0.1", max: "2.0" },
      alias: { H: "host", p: "port" },
      maxPositionals: Infinity,
    });
    const initialMs = cli.number("initial", 0.001, 60) * 1000;
    const maxMs = cli.number("max", 0.001, 3600) * 1000;
    if (maxMs < initialMs) throw new UsageError("--max is below --initial: nothing would be sent");
    const port = cli.port();
    if (port === 0) throw new UsageError("bad --port 0: the server's port is needed");
    requireUnstableNet();
    const [{ address }] = await getaddrinfo(cli.string("host")!);
    const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
    const message = cli.positionals.length > 0 ? cli.positionals.join(" ") : "Send this message!";
    const reply = await ask(server, message, {
      initialMs,
      maxMs,
      onWait: (ms) => console.log(`Waiting up to ${ms / 1000} seconds for a reply`),
      onIgnored: (from) =>
        console.log(`Ignoring a datagram from ${hashAddr(from)}: not the server`),
    }).catch((err) => {
      if (!(err instanceof NoReplyError)) throw err;
      throw new UserError(
        `Maybe the server is down: no reply from ${hostPort(server)} after ${err.attempts} ` +
          `sends (or nothing listens on that port: this socket never hears ICMP "port unreachable")`,
      );
    });
    console.log(`The server says ${terminalSafe(reply)}`); // escapes stay escaped
  });
}

/**
 * @module A UDP client that expects loss: wait a little, resend, wait twice as long, and give up
 * at a limit (exponential backoff).
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
 * Source: Di Valerio, "SOCKET" lecture slides (after Rhodes & Goerzen): the `settimeout()` client,
 * 0.1 s doubled after each silence, `Maybe the server is down` past 2.0 s (five sends, about 3.1 s
 * of waiting). As there, the one socket stays open across resends, so a late reply is still
 * taken. The slides' socket is connected; this one ignores datagrams from anyone but the server.
 */
import { hostPort, localAddressFor, sameAddress } from "../lib/address.ts";
import { terminalSafe } from "../lib/bytes.ts";
import { hostPortFlags, parseCli, UsageError } from "../lib/cli.ts";
import { timedOut, within } from "../lib/deadline.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { getaddrinfo } from "../lib/resolve.ts";

const USAGE = `Sends a datagram and waits for the reply, doubling the wait after each silence.
usage: deno run --allow-net examples/udp_backoff_client.ts [options] [MESSAGE]
  --host, -H      the server's address or name (default 127.0.0.1)
  --port, -p      the server's port (default 1060)
  --initial SEC   the first wait (default 0.1)
  --max SEC       give up when the next wait would exceed this (default 2.0)
  MESSAGE         what to send (default "Send this message!")`;

/** The first and the largest wait in ms, and a call before each wait. */
export type BackoffOptions = { initialMs?: number; maxMs?: number; onWait?: (ms: number) => void };

/** No reply after every wait of the backoff. */
export class NoReplyError extends UserError {}

/** Sends `message` to `server` with backoff; returns the reply, or throws NoReplyError. */
export async function ask(
  server: Deno.NetAddr,
  message: string,
  { initialMs = 100, maxMs = 2000, onWait }: BackoffOptions = {},
): Promise<string> {
  // socket(AF_INET, SOCK_DGRAM). The slides' connect() only records the peer in the kernel (it
  // sends no packet); Deno has no connect() for UDP, so replies are checked against `server`.
  const hostname = localAddressFor(server.hostname);
  const socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
  const data = new TextEncoder().encode(message);
  // One receive stays pending across the resends: a reply that comes late is still taken.
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
        if (sameAddress(got[1] as Deno.NetAddr, server)) return new TextDecoder().decode(got[0]);
      }
    }
    throw new NoReplyError(
      `Maybe the server is down: no reply from ${hostPort(server)} after ${sends} sends (or ` +
        `nothing listens on that port: this socket never hears ICMP "port unreachable")`,
    );
  } finally {
    pending.catch(() => {}); // the receive still pending ends with the socket
    // close()
    socket.close();
  }
}

if (import.meta.main) {
  await runMain("udp_backoff_client", USAGE, async () => {
    const flags = hostPortFlags(1060, { initial: "0.1", max: "2.0" });
    const cli = parseCli(Deno.args, { ...flags, maxPositionals: Infinity });
    const initialMs = cli.number("initial", 0.001, 60) * 1000;
    const maxMs = cli.number("max", 0.001, 3600) * 1000;
    if (maxMs < initialMs) throw new UsageError("--max is below --initial: nothing would be sent");
    const port = cli.port();
    if (port === 0) throw new UsageError("bad --port 0: the server's port is needed");
    // getaddrinfo(): the server's address, if a name was given.
    const [{ address }] = await getaddrinfo(cli.host());
    const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
    const message = cli.positionals.length > 0 ? cli.positionals.join(" ") : "Send this message!";
    const onWait = (ms: number) => console.log(`Waiting up to ${ms / 1000} seconds for a reply`);
    const reply = await ask(server, message, { initialMs, maxMs, onWait });
    console.log(`The server says ${terminalSafe(reply)}`); // escapes stay escaped
  });
}

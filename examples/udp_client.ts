/**
 * @module UDP uppercase client: send a datagram, wait for the reply, and give up after a timeout
 * instead of waiting forever for a datagram that was lost.
 *
 * ```sh
 * deno run --allow-net examples/udp_client.ts [--host 127.0.0.1] [--port 12000] [--timeout 1] [--retries 2] [WORDS...]
 * ```
 *
 * ```text
 * $ deno run --allow-net examples/udp_server.ts
 * serverIP: 127.0.0.1
 * serverPort: 12000
 * Press Ctrl+C to quit. Listening...
 * Received from 127.0.0.1#53309: udp is lazy
 *
 * $ deno run --allow-net examples/udp_client.ts --host 127.0.0.1 --port 12000
 * I'm configured to send UDP packets to 127.0.0.1 on port 12000
 * Press Ctrl+C to quit.
 * Input lowercase text: udp is lazy
 * Returned from server: UDP IS LAZY
 * ```
 *
 * Source: `003_7590de73a228964a.txt`, UDPClient.py: same flags (`-ip` works), same lines, a new
 * socket per line. Fixed: a lost datagram hung it forever; here each wait has a timeout and a
 * bounded number of resends; a reply that comes just after a timeout is still taken; only the
 * server's datagram counts; end of input exits 0 instead of a traceback.
 */
import { localAddressFor, sameAddress } from "../lib/address.ts";
import { terminalSafe } from "../lib/bytes.ts";
import { parseCli, UsageError } from "../lib/cli.ts";
import { timedOut, within } from "../lib/deadline.ts";
import { requireUnstableNet, runMain, UserError } from "../lib/errors.ts";
import { forEachInputLine } from "../lib/lines.ts";
import { getaddrinfo } from "../lib/resolve.ts";

/** The largest payload one UDP datagram can carry over IPv4 (65,527 over IPv6). */
export const MAX_DATAGRAM = 65507;

const USAGE =
  `Sends each line (or WORDS) as a datagram to the UDP uppercase server and prints the reply.
usage: deno run --allow-net examples/udp_client.ts [options] [WORDS...]
  --host, --ipaddress, -ip  the server's address or name (default 127.0.0.1)
  --port, -p                the server's port (default 12000)
  --timeout SEC             how long to wait for each reply (default 1)
  --retries N               how many times to resend after a silent wait (default 2)
  WORDS                     send these as one message and exit; without them, read lines`;

/** Nobody answered: every send was followed by a silent wait. */
export class NoReplyError extends Error {
  /** @param attempts how many datagrams were sent */
  constructor(readonly attempts: number) {
    super(`no reply after ${attempts} attempt${attempts === 1 ? "" : "s"}`);
    this.name = "NoReplyError";
  }
}

/** Sends `message` to `server` and returns the reply; throws {@link NoReplyError}. */
export async function uppercase(
  server: Deno.NetAddr,
  message: Uint8Array,
  { timeoutMs = 1000, retries = 2, onSilence }: {
    timeoutMs?: number;
    retries?: number;
    /** Called when a wait ended with no reply and another send follows (attempt n of m). */
    onSilence?: (next: number, attempts: number) => void;
  } = {},
): Promise<Uint8Array> {
  if (message.length > MAX_DATAGRAM) {
    throw new UserError(`a message of ${message.length} bytes does not fit one UDP datagram`);
  }
  // socket(AF_INET, SOCK_DGRAM), with port 0: the OS picks ours, as the first sendto() would.
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: localAddressFor(server.hostname),
    port: 0,
  });
  // A receive() cannot be cancelled, so one stays pending across the resends: a reply that
  // arrives just after a timeout is taken by the next wait instead of being lost.
  let reply = socket.receive();
  try {
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      // sendto(): the datagram goes to the server's address; no connection is made.
      await socket.send(message, server);
      const end = performance.now() + timeoutMs;
      // recvfrom() with a timeout (Python's settimeout). Datagrams from others are not replies.
      for (let got; (got = await within(reply, end - performance.now(), "").catch(timedOut));) {
        reply = socket.receive();
        if (sameAddress(got[1] as Deno.NetAddr, server)) return got[0];
      }
      if (attempt <= retries) onSilence?.(attempt + 1, retries + 1);
    }
    throw new NoReplyError(retries + 1);
  } finally {
    reply.catch(() => {}); // the receive still pending ends with the socket
    // close()
    socket.close();
  }
}

if (import.meta.main) {
  await runMain("udp_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: "12000", timeout: "1", retries: "2" },
      alias: { ipaddress: "host", ip: "host", p: "port" },
      maxPositionals: Infinity,
    });
    const [host, port] = [cli.string("host")!, cli.port()];
    if (port === 0) throw new UsageError("bad --port 0: the server's port is needed");
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const retries = Math.floor(cli.number("retries", 0, 100));
    requireUnstableNet();
    // getaddrinfo(): the server's address, if a name was given.
    const [{ address }] = await getaddrinfo(host);
    const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
    console.log(`I'm configured to send UDP packets to ${host} on port ${port}`);
    console.log("Press Ctrl+C to quit.");
    const ask = async (line: string) => {
      // A wait of a second or more says what it waits for, on stderr.
      const t0 = performance.now();
      const onSilence = (next: number, attempts: number) => {
        const waited = performance.now() - t0;
        if (waited >= 950) {
          console.error(
            `no reply yet after ${
              (waited / 1000).toFixed(1)
            } s; sending again (attempt ${next} of ${attempts})`,
          );
        }
      };
      const reply = await uppercase(server, new TextEncoder().encode(line), {
        timeoutMs,
        retries,
        onSilence,
      })
        .catch((err) => {
          if (!(err instanceof NoReplyError)) throw err;
          throw new UserError(
            `${err.message} to ${host} port ${port} (${timeoutMs / 1000} s each): is the ` +
              `server running there? An unconnected UDP socket cannot tell a lost datagram ` +
              `from a closed port`,
          );
        });
      console.log(`Returned from server: ${terminalSafe(reply)}`); // escapes stay escaped
    };
    if (cli.positionals.length > 0) return await ask(cli.positionals.join(" "));
    await forEachInputLine("Input lowercase text: ", ask);
  });
}

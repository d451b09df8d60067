/**
 * @module UDP uppercase client: send a datagram, wait for the reply, resend after a timeout.
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
 * Source: Kurose & Ross, *Computer Networking*, section 2.7: UDPClient.py (same flags, `-ip` too).
 * Fixed: a lost datagram hung it forever; here each wait has a timeout and a bounded number of
 * resends; only the server's datagram counts; end of input exits 0 instead of a traceback.
 */
import { hostPort, localAddressFor, sameAddress } from "../lib/address.ts";
import { terminalSafe } from "../lib/bytes.ts";
import { hostPortFlags, parseCli, UsageError } from "../lib/cli.ts";
import { timedOut, within } from "../lib/deadline.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { forEachInputLine } from "../lib/lines.ts";
import { getaddrinfo } from "../lib/resolve.ts";

const USAGE = `Sends each line (or WORDS) to the UDP uppercase server; prints the reply.
usage: deno run --allow-net examples/udp_client.ts [options] [WORDS...]
  --host, --ipaddress, -ip  the server's address or name (default 127.0.0.1)
  --port, -p                the server's port (default 12000)
  --timeout SEC             how long to wait for each reply (default 1)
  --retries N               how many times to resend after a silent wait (default 2)
  WORDS                     send these as one message and exit; without them, read lines`;

/** Nobody answered: every send was followed by a silent wait. */
export class NoReplyError extends UserError {}

/** Sends `message` to `server` and returns the reply; throws {@link NoReplyError}. */
export async function uppercase(
  server: Deno.NetAddr,
  message: Uint8Array,
  { timeoutMs = 1000, retries = 2, onSilence = (_next: number, _of: number) => {} } = {},
): Promise<Uint8Array> {
  // socket(AF_INET, SOCK_DGRAM) bound to port 0: the OS picks ours, as C's first sendto() does.
  const hostname = localAddressFor(server.hostname);
  const socket = Deno.listenDatagram({ transport: "udp", hostname, port: 0 });
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
      if (attempt <= retries) onSilence(attempt + 1, retries + 1);
    }
    const each = `${timeoutMs / 1000} s each`;
    throw new NoReplyError(
      `no reply after ${retries + 1} attempt(s) to ${hostPort(server)} (${each}): is the server ` +
        "running? An unconnected UDP socket cannot tell a lost datagram from a closed port",
    );
  } finally {
    reply.catch(() => {}); // the receive still pending ends with the socket
    // close()
    socket.close();
  }
}

if (import.meta.main) {
  await runMain("udp_client", USAGE, async () => {
    const flags = hostPortFlags(12000, { timeout: "1", retries: "2" });
    const cli = parseCli(Deno.args, { ...flags, maxPositionals: Infinity });
    const [host, port] = [cli.host(), cli.port()];
    if (port === 0) throw new UsageError("bad --port 0: the server's port is needed");
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const retries = Math.floor(cli.number("retries", 0, 100));
    // getaddrinfo(): the server's address, if a name was given.
    const [{ address }] = await getaddrinfo(host);
    const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
    console.log(`I'm configured to send UDP packets to ${host} on port ${port}`);
    if (cli.positionals.length === 0) console.log("Press Ctrl+C to quit."); // reading lines
    const onSilence = (next: number, of: number) =>
      console.error(`no reply in ${timeoutMs / 1000} s; sending again (attempt ${next} of ${of})`);
    const ask = async (line: string) => {
      const options = { timeoutMs, retries, onSilence };
      const reply = await uppercase(server, new TextEncoder().encode(line), options);
      console.log(`Returned from server: ${terminalSafe(reply)}`); // escapes stay escaped
    };
    if (cli.positionals.length > 0) return await ask(cli.positionals.join(" "));
    await forEachInputLine("Input lowercase text: ", ask);
  });
}

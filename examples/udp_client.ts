/**
 * @module UDP uppercase client: send a datagram, wait for the reply, and give up after a
 * timeout instead of waiting forever for a datagram that was lost.
 *
 * Run it (start examples/udp_server.ts first):
 *
 * ```sh
 * deno run --allow-net examples/udp_client.ts --host 127.0.0.1 --port 12000 [--timeout 1] [--retries 2] [WORDS...]
 * ```
 *
 * Try it, in two terminals (type a line, press Enter; Ctrl-D or Ctrl-C ends):
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
 * Piped input works a line at a time (`printf 'a\nb\n' | deno run ...`), and words given as
 * arguments are sent as one datagram: `... udp_client.ts --port 12000 udp is lazy`.
 *
 * Follows `003_7590de73a228964a.txt` (Kurose & Ross 2.7), UDPClient.py: same flags
 * (`--ipaddress`/`-ip` is accepted for `--host`), same lines, a fresh socket per line, the line
 * sent without its newline. Fixed here:
 * - a lost datagram no longer hangs the client forever: each send waits `--timeout` seconds and
 *   is repeated `--retries` times, then one line says so and the exit code is 1;
 * - a reply that arrives just after a timeout is still taken (lib/datagram.ts explains how);
 * - only a datagram from the server counts as its reply;
 * - end of input (Ctrl-D, or the end of a pipe) exits 0 instead of ending in a traceback.
 */
import { parseCli, UsageError } from "../lib/cli.ts";
import { clientSocketFor, DatagramReceiver, NoReplyError, request } from "../lib/datagram.ts";
import { requireUnstableNet, runMain, UserError } from "../lib/errors.ts";
import { forEachInputLine } from "../lib/lines.ts";
import { getaddrinfo } from "../lib/resolve.ts";
import { DEFAULT_PORT } from "./udp_server.ts";

/** The largest payload one UDP datagram can carry over IPv4. */
export const MAX_DATAGRAM = 65507;

const USAGE =
  `usage: deno run --allow-net examples/udp_client.ts --host 127.0.0.1 --port ${DEFAULT_PORT} [WORDS...]
  --host, --ipaddress, -ip  the server's address or name (default 127.0.0.1)
  --port, -p                the server's port (default ${DEFAULT_PORT})
  --timeout SECONDS         how long to wait for each reply (default 1)
  --retries N               how many times to resend after a silent wait (default 2)
  WORDS                     send these as one message and exit; without them, read lines`;

/** Options for {@link uppercase}. */
export interface AskOptions {
  /** Wait for each reply, in ms (default 1000). */
  timeoutMs?: number;
  /** Resends after a silent wait (default 2). */
  retries?: number;
}

/**
 * Sends `message` to the server and returns its reply. A fresh socket per message, as in the
 * original, so a late duplicate reply to one line can never be taken as the reply to the next.
 */
export async function uppercase(
  server: Deno.NetAddr,
  message: Uint8Array,
  { timeoutMs = 1000, retries = 2 }: AskOptions = {},
): Promise<Uint8Array> {
  if (message.length > MAX_DATAGRAM) {
    throw new UserError(`a message of ${message.length} bytes does not fit one UDP datagram`);
  }
  // socket(AF_INET or AF_INET6, SOCK_DGRAM): the family must match the server's address.
  const rx = new DatagramReceiver(clientSocketFor(server));
  try {
    // sendto() and recvfrom(), with a timeout on each wait and a bounded number of resends.
    const waits = Array.from({ length: retries + 1 }, () => timeoutMs);
    return (await request(rx, message, server, { waits })).data;
  } finally {
    rx.close();
  }
}

if (import.meta.main) {
  await runMain("udp_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: String(DEFAULT_PORT), timeout: "1", retries: "2" },
      alias: { ipaddress: "host", ip: "host", p: "port" },
      maxPositionals: Infinity,
    });
    const host = cli.string("host")!;
    const port = cli.port();
    if (port === 0) throw new UsageError("bad --port 0: the server's port is needed");
    const options = {
      timeoutMs: cli.number("timeout", 0.001, 3600) * 1000,
      retries: Math.floor(cli.number("retries", 0, 100)),
    };
    requireUnstableNet();
    const [{ address }] = await getaddrinfo(host);
    const server: Deno.NetAddr = { transport: "udp", hostname: address, port };
    console.log(`I'm configured to send UDP packets to ${host} on port ${port}`);
    console.log("Press Ctrl+C to quit.");

    const ask = async (line: string) => {
      try {
        const reply = await uppercase(server, new TextEncoder().encode(line), options);
        console.log(`Returned from server: ${new TextDecoder().decode(reply)}`);
      } catch (err) {
        if (!(err instanceof NoReplyError)) throw err;
        throw new UserError(
          `${err.message} (${options.timeoutMs / 1000} s each): is the server running on ` +
            `that host and port? UDP cannot tell a lost datagram from a closed port`,
        );
      }
    };
    if (cli.positionals.length > 0) return await ask(cli.positionals.join(" "));
    await forEachInputLine("Input lowercase text: ", ask);
  });
}

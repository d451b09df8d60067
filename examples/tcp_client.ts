/**
 * @module TCP uppercase client: connect, send, say "done sending" with a half-close, and read the
 * reply until the server closes.
 *
 * ```text
 * $ deno run --allow-net examples/tcp_server.ts
 * serverIP: 127.0.0.1
 * serverPort: 12000
 * Press Ctrl+C to quit. Listening...
 * Received from 127.0.0.1#53310: tcp is reliable
 *
 * $ deno run --allow-net examples/tcp_client.ts --port 12000
 * Input lowercase sentence: tcp is reliable
 * Returned from server: TCP IS RELIABLE
 * ```
 * Source: Kurose & Ross, *Computer Networking*, section 2.7: TCPClient.py (it works with
 * TCPServer.py too). Fixed: one `recv(1024)` kept at most 1,024 bytes of the reply, this reads
 * until EOF, with a limit; it half-closes to mark the end; it reads while it writes (writing all
 * first deadlocks once both sockets' buffers fill); a timeout; one line when nothing listens.
 */
import { hostPort } from "../lib/address.ts";
import { terminalSafe } from "../lib/bytes.ts";
import { hostPortFlags, parseCli, UsageError } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { ignoreGone, runMain, withContext } from "../lib/errors.ts";
import { forEachInputLine } from "../lib/lines.ts";

/** The largest reply accepted (the server's reply is as long as the request). */
export const MAX_REPLY = 64 << 20;

const USAGE = `Sends each line (or WORDS) to the TCP uppercase server and prints the reply.
usage: deno run --allow-net examples/tcp_client.ts [options] [WORDS...]
  --host, -H       the server's address or name (default 127.0.0.1)
  --port, -p       the server's port (default 12000)
  --timeout SEC    limit for the whole exchange: connect, send, reply (default 10)
  WORDS            send these as one message and exit; without them, read lines`;

/** Sends `message` on a new connection and returns the whole reply. */
export async function uppercase(
  server: { hostname: string; port: number },
  message: Uint8Array,
  { timeoutMs = 10_000, maxReply = MAX_REPLY } = {},
): Promise<Uint8Array> {
  // One deadline for the whole exchange: a server that drips a byte a second gets no longer.
  const end = performance.now() + timeoutMs;
  const late = `no complete reply in ${timeoutMs / 1000} s`;
  // socket() + connect(): connect() sends the SYN and returns once the handshake is done.
  const connecting = (signal: AbortSignal) => Deno.connect({ ...server, signal });
  const conn = await within(connecting, timeoutMs, late).catch((err) => {
    throw withContext(`cannot connect to ${hostPort(server)}`, err);
  });
  try {
    // sendall(), then shutdown(SHUT_WR): "that is all". It runs while the reply is read.
    const sending = (async () => {
      for (let off = 0; off < message.length;) {
        off += await within(conn.write(message.subarray(off)), end - performance.now(), late);
      }
      await conn.closeWrite().catch(ignoreGone); // a server that already closed is fine
    })();
    sending.catch(() => {}); // a failure is thrown by `await sending` below, or lost with the read's
    // recv() until EOF, straight into one buffer that doubles as needed (no copy per chunk).
    let reply = new Uint8Array(Math.min(64 * 1024, maxReply + 1));
    let len = 0;
    for (
      let n;
      (n = await within(conn.read(reply.subarray(len)), end - performance.now(), late));
    ) {
      if ((len += n) > maxReply) throw new Error(`the reply is over ${maxReply} bytes`);
      if (len === reply.length) {
        const bigger = new Uint8Array(Math.min(len * 2, maxReply + 1));
        bigger.set(reply);
        reply = bigger;
      }
    }
    await sending;
    return reply.subarray(0, len);
  } finally {
    // close()
    conn.close();
  }
}

if (import.meta.main) {
  await runMain("tcp_client", USAGE, async () => {
    const flags = hostPortFlags(12000, { timeout: "10" });
    const cli = parseCli(Deno.args, { ...flags, maxPositionals: Infinity });
    const server = { hostname: cli.host(), port: cli.port() };
    if (server.port === 0) throw new UsageError("bad --port 0: the server's port is needed");
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const ask = async (line: string) => {
      const reply = await uppercase(server, new TextEncoder().encode(line), { timeoutMs });
      // The reply is printed safely: a server's escape sequences never reach the terminal.
      console.log(`Returned from server: ${terminalSafe(reply)}`);
    };
    if (cli.positionals.length > 0) return await ask(cli.positionals.join(" "));
    await forEachInputLine("Input lowercase sentence: ", ask);
  });
}

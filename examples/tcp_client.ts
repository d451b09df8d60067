/**
 * @module TCP uppercase client: connect, send, say "done sending" with a half-close, and read
 * the reply until the server closes.
 *
 * Run it (start examples/tcp_server.ts first):
 *
 * ```sh
 * deno run --allow-net examples/tcp_client.ts [--host 127.0.0.1] [--port 12000] [--timeout 10] [WORDS...]
 * ```
 *
 * Try it, in two terminals (type a line, press Enter; Ctrl-D ends):
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
 *
 * Words given as arguments are sent as one message: `... tcp_client.ts --port 12000 hi there`.
 *
 * Follows `003_7590de73a228964a.txt` (Kurose & Ross 2.7; the course's TCPClient.py): one
 * connection per line, the line sent without its newline. It also works with the course's
 * TCPServer.py (one recv, reply, close). Fixed here:
 * - the original sent, did one `recv(1024)` and printed it: a longer reply was cut, and a reply
 *   arriving in two segments was cut too. This reads until EOF, with a size limit;
 * - it half-closes after sending (`shutdown(SHUT_WR)`), so a streaming server knows the message
 *   is complete; that is how TCP marks the end of a message without a length prefix;
 * - it reads while it writes: a client that reads only after sending everything deadlocks with a
 *   streaming server once both directions' socket buffers fill (about 7 MB here);
 * - a timeout on connect and on each read, and one clear line when nothing listens.
 */
import { stripBrackets } from "../lib/address.ts";
import { parseCli, UsageError } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { forEachInputLine } from "../lib/lines.ts";
import { closeWrite, readToEnd, writeAll } from "../lib/stream.ts";
import { connectTcp } from "../lib/tcp.ts";
import { DEFAULT_PORT } from "./tcp_server.ts";

/** The largest reply accepted (the server's reply is as long as the request). */
export const MAX_REPLY = 64 * 1024 * 1024;

const USAGE =
  `usage: deno run --allow-net examples/tcp_client.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}] [WORDS...]
  --host, -H       the server's address or name (default 127.0.0.1)
  --port, -p       the server's port (default ${DEFAULT_PORT})
  --timeout SEC    limit for connecting and for each read (default 10)
  WORDS            send these as one message and exit; without them, read lines`;

/** Sends `message` on a new connection and returns the whole reply. */
export async function uppercase(
  server: { hostname: string; port: number },
  message: Uint8Array,
  { timeoutMs = 10_000, maxReply = MAX_REPLY } = {},
): Promise<Uint8Array> {
  // socket() + connect(): the three-way handshake happens here.
  const conn = await connectTcp(server.hostname, server.port, timeoutMs);
  try {
    // sendall() then shutdown(SHUT_WR), while the reply is read at the same time.
    const sending = writeAll(conn, message).then(() => closeWrite(conn));
    const [reply] = await Promise.all([readToEnd(conn, maxReply, { timeoutMs }), sending]);
    return reply;
  } finally {
    conn.close();
  }
}

if (import.meta.main) {
  await runMain("tcp_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: String(DEFAULT_PORT), timeout: "10" },
      alias: { H: "host", p: "port" },
      maxPositionals: Infinity,
    });
    const server = { hostname: stripBrackets(cli.string("host")!), port: cli.port() };
    if (server.port === 0) throw new UsageError("bad --port 0: the server's port is needed");
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const ask = async (line: string) => {
      const reply = await uppercase(server, new TextEncoder().encode(line), { timeoutMs });
      console.log(`Returned from server: ${new TextDecoder().decode(reply)}`);
    };
    if (cli.positionals.length > 0) return await ask(cli.positionals.join(" "));
    await forEachInputLine("Input lowercase sentence: ", ask);
  });
}

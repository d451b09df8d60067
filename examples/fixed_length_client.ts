/**
 * @module Fixed-length messages over TCP, the client: send exactly the 16 bytes the server
 * expects, then read the reply until the server closes.
 *
 * Run it (start examples/fixed_length_server.ts first):
 *
 * ```sh
 * deno run --allow-net examples/fixed_length_client.ts [--host 127.0.0.1] [--port 1060] [--timeout 10]
 * ```
 *
 * Try it, in two terminals:
 *
 * ```text
 * $ deno run --allow-net examples/fixed_length_server.ts
 * Listening at 127.0.0.1:1060 (Ctrl+C to quit)
 * The incoming sixteen-octet message says 'Hi there, server'
 * Reply sent, socket closed
 *
 * $ deno run --allow-net examples/fixed_length_client.ts
 * The server said 'Hello World!'
 * ```
 *
 * Follows `004_6f4c6afd96850594.txt` (lecture slides "SOCKET", after Rhodes & Goerzen's
 * client): it sends `Hi there, server`, which is exactly 16 bytes, with `sendall`. The reply has
 * no agreed length, so the client reads until EOF (the server closes after replying), with a
 * size limit and a timeout on each read.
 */
import { stripBrackets } from "../lib/address.ts";
import { pyRepr } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { readToEnd, writeAll } from "../lib/stream.ts";
import { connectTcp } from "../lib/tcp.ts";
import { DEFAULT_PORT, MESSAGE_LENGTH } from "./fixed_length_server.ts";

/** The book's greeting: 16 bytes, the agreed length. */
export const GREETING = "Hi there, server";

const USAGE =
  `usage: deno run --allow-net examples/fixed_length_client.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}]
  --host, -H      the server's address (default 127.0.0.1)
  --port, -p      the server's port (default ${DEFAULT_PORT})
  --timeout SEC   limit for connecting and for each read (default 10)`;

/** Sends the 16-byte greeting and returns the server's reply. */
export async function greet(
  server: { hostname: string; port: number },
  { timeoutMs = 10_000 } = {},
): Promise<Uint8Array> {
  const message = new TextEncoder().encode(GREETING);
  if (message.length !== MESSAGE_LENGTH) throw new Error("the greeting must be 16 bytes");
  // socket() + connect(), then sendall(): all 16 bytes, however many write() calls it takes.
  const conn = await connectTcp(server.hostname, server.port, timeoutMs);
  try {
    await writeAll(conn, message);
    // recv() until EOF: the reply's end is the server's close. 4 KiB is plenty for this protocol.
    return await readToEnd(conn, 4096, { timeoutMs });
  } finally {
    conn.close();
  }
}

if (import.meta.main) {
  await runMain("fixed_length_client", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: `${DEFAULT_PORT}`, timeout: "10" },
      alias: { H: "host", p: "port" },
    });
    const server = { hostname: stripBrackets(cli.string("host")!), port: cli.port() };
    const reply = await greet(server, { timeoutMs: cli.number("timeout", 0.001, 3600) * 1000 });
    console.log(`The server said ${pyRepr(reply)}`);
  });
}

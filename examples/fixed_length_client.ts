/**
 * @module Fixed-length messages over TCP, the client: send exactly the 16 bytes the server
 * expects, then read the reply until the server closes.
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
 * Source: Rhodes & Goerzen, *Foundations of Python Network Programming*: the client's 16-byte
 * `Hi there, server`, sent with `sendall`. The slides' server is not its pair: the book's client
 * reads exactly 16 bytes back and fails (EOFError) on the 12-byte `Hello World!`. The reply has
 * no agreed length, so this reads until EOF, with a size limit and one deadline for the exchange.
 */
import { hostPort } from "../lib/address.ts";
import { pyRepr } from "../lib/bytes.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { runMain, withContext } from "../lib/errors.ts";

/** The book's greeting: 16 bytes, the agreed length. */
export const GREETING = "Hi there, server";

const USAGE = `Sends exactly the 16 bytes the fixed-length server expects and prints its reply.
usage: deno run --allow-net examples/fixed_length_client.ts [options]
  --host, -H      the server's address (default 127.0.0.1)
  --port, -p      the server's port (default 1060)
  --timeout SEC   limit for the whole exchange: connect, send, reply (default 10)`;

/** Sends the 16-byte greeting and returns the server's reply. */
export async function greet(
  server: { hostname: string; port: number },
  { timeoutMs = 10_000 } = {},
): Promise<Uint8Array> {
  const end = performance.now() + timeoutMs;
  const late = `the exchange took longer than ${timeoutMs / 1000} s`;
  // socket() + connect()
  const conn = await within((signal) => Deno.connect({ ...server, signal }), timeoutMs, late)
    .catch((err) => {
      throw withContext(`cannot connect to ${hostPort(server)}`, err);
    });
  try {
    // sendall(): all 16 bytes, however many write() calls it takes.
    const message = new TextEncoder().encode(GREETING);
    for (let off = 0; off < message.length;) {
      off += await within(conn.write(message.subarray(off)), end - performance.now(), late);
    }
    // recv() until EOF: the reply ends when the server closes. 4 KiB is plenty for it.
    const reply = new Uint8Array(4096);
    let len = 0;
    for (
      let n;
      (n = await within(conn.read(reply.subarray(len)), end - performance.now(), late));
    ) {
      if ((len += n) === reply.length) throw new Error("the reply is over 4 KiB");
    }
    return reply.subarray(0, len);
  } finally {
    // close()
    conn.close();
  }
}

if (import.meta.main) {
  await runMain("fixed_length_client", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(1060, { timeout: "10" }));
    const server = { hostname: cli.host(), port: cli.port() };
    const reply = await greet(server, { timeoutMs: cli.number("timeout", 0.001, 3600) * 1000 });
    console.log(`The server said ${pyRepr(reply)}`);
  });
}

/**
 * @module Echo client: send a message, half-close to say "that is all", read the echo to EOF.
 *
 * ```text
 * $ deno run --allow-net examples/echo_server.ts
 * making a server on 127.0.0.1:10000
 * ...
 *
 * $ deno run --allow-net examples/echo_client.ts "Four score and seven years ago our fathers did stuff"
 * connecting to 127.0.0.1 port 10000
 * sending "Four score and seven years ago our fathers did stuff"
 * received "Four score and s"
 * ...
 * closing socket
 * Four score and seven years ago our fathers did stuff
 * ```
 * Source: UW Python certificate, "TCP/IP and Sockets": the echo exercise, its skeleton's `client()`
 * and test messages. The end is marked by `shutdown(SHUT_WR)`, never guessed from a short read;
 * `shutdown` sends a FIN, not the "0-byte message" the course says. Also: timeouts.
 */
import { hostPort } from "../lib/address.ts";
import { printable, terminalSafe } from "../lib/bytes.ts";
import { hostPortFlags, parseCli, UsageError } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { ignoreGone, runMain, withContext } from "../lib/errors.ts";
import { type Logger } from "../lib/log.ts";

const USAGE = `Sends a message to an echo server, half-closes, and prints the echo that comes back.
usage: deno run --allow-net examples/echo_client.ts [options] MESSAGE
  --host, -H      the server's address (default 127.0.0.1)
  --port, -p      the server's port (default 10000)
  --timeout SEC   limit for the whole exchange: connect, send, echo (default 10)
  MESSAGE         the words to send, as one message`;

/** The server, a limit in ms for the whole exchange, bytes per read (16), where lines go. */
export type ClientOptions = { host?: string; port?: number; timeoutMs?: number; chunk?: number };

/** Sends `msg` to the echo server and returns what comes back; logs as the skeleton does. */
export async function client(
  msg: string,
  { host = "127.0.0.1", port = 10000, timeoutMs = 10_000, chunk = 16 }: ClientOptions = {},
  log: Logger = (line) => console.error(line),
): Promise<string> {
  // One deadline for the whole exchange: a server that drips a byte a second gets no longer.
  const end = performance.now() + timeoutMs, late = `no complete echo in ${timeoutMs / 1000} s`;
  log(`connecting to ${host} port ${port}`);
  // socket() + connect(), within the timeout.
  const connecting = (signal: AbortSignal) => Deno.connect({ hostname: host, port, signal });
  const conn = await within(connecting, timeoutMs, late).catch((err) => {
    throw withContext(`cannot connect to ${hostPort({ hostname: host, port })}`, err);
  });
  try {
    log(`sending "${printable(new TextEncoder().encode(msg))}"`); // escapes stay escaped
    // sendall(), then shutdown(SHUT_WR): "that is the whole message". Reading goes on meanwhile,
    // or a long message deadlocks once both sides' buffers are full.
    const message = new TextEncoder().encode(msg);
    const sending = (async () => {
      for (let off = 0; off < message.length;) {
        off += await within(conn.write(message.subarray(off)), end - performance.now(), late);
      }
      await conn.closeWrite().catch(ignoreGone); // a server that already closed is fine
    })();
    sending.catch(() => {}); // its failure is thrown by `await sending` below
    // recv(16) until EOF, into one buffer as long as the message (and one read more, to notice
    // a server that sends more); the first 20 reads are logged.
    const echo = new Uint8Array(message.length + chunk);
    let total = 0;
    for (let reads = 1;; reads++) {
      const into = echo.subarray(total, total + chunk);
      const n = await within(conn.read(into), end - performance.now(), late);
      if (n === null) break;
      if (reads <= 20) log(`received "${printable(into.subarray(0, n))}"`);
      if ((total += n) > message.length) throw new Error("the server sent more than it was sent");
    }
    await sending;
    return new TextDecoder().decode(echo.subarray(0, total));
  } finally {
    log("closing socket");
    // close()
    conn.close();
  }
}

if (import.meta.main) {
  await runMain("echo_client", USAGE, async () => {
    const flags = hostPortFlags(10000, { timeout: "10" });
    const cli = parseCli(Deno.args, { ...flags, maxPositionals: Infinity });
    if (cli.positionals.length === 0) throw new UsageError("no MESSAGE given");
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const options = { host: cli.host(), port: cli.port(), timeoutMs };
    const echo = await client(cli.positionals.join(" "), options);
    console.log(terminalSafe(echo)); // a server's escape sequences are printed escaped
  });
}

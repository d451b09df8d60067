/**
 * @module Echo client: send a message, half-close to say "that is all", and collect the echo until
 * the server closes.
 *
 * ```sh
 * deno run --allow-net examples/echo_client.ts [--host 127.0.0.1] [--port 10000] [--timeout 10] MESSAGE
 * ```
 *
 * ```text
 * $ deno run --allow-net examples/echo_server.ts
 * making a server on 127.0.0.1:10000
 * waiting for a connection
 * ...
 *
 * $ deno run --allow-net examples/echo_client.ts "Four score and seven years ago our fathers did stuff"
 * connecting to 127.0.0.1 port 10000
 * sending "Four score and seven years ago our fathers did stuff"
 * received "Four score and s"
 * received "even years ago o"
 * received "ur fathers did s"
 * received "tuff"
 * closing socket
 * Four score and seven years ago our fathers did stuff
 * ```
 *
 * Source: the exercise of `001_e066542f0be65e1e.txt`; `client(msg)`, the log lines on stderr and
 * the test messages are the course's companion skeleton. The end of the message is marked by
 * `shutdown(SHUT_WR)`, never guessed from a short read (echo_server.ts says why that hangs). The
 * document's line 574 is wrong: `shutdown` sends no 0-byte message; the peer's `recv` returns 0
 * bytes once the FIN arrives. Also fixed: timeouts, a reply longer than the message (an error,
 * not memory), and one line when nothing listens.
 */
import { hostPort, stripBrackets } from "../lib/address.ts";
import { printable, terminalSafe } from "../lib/bytes.ts";
import { parseCli, UsageError } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { ignoreGone, runMain, withContext } from "../lib/errors.ts";
import { type Logger } from "../lib/log.ts";

const USAGE = `Sends a message to an echo server, half-closes, and prints the echo that comes back.
usage: deno run --allow-net examples/echo_client.ts [options] MESSAGE
  --host, -H      the server's address (default 127.0.0.1)
  --port, -p      the server's port (default 10000)
  --timeout SEC   limit for the whole exchange: connect, send, echo (default 10)
  MESSAGE         the words to send, as one message`;

/** Options for {@link client}. */
export interface ClientOptions {
  /** The server's address (default 127.0.0.1). */
  host?: string;
  /** The server's port (default 10000). */
  port?: number;
  /** Limit for the whole exchange (connect, send, echo), in ms (default 10 s). */
  timeoutMs?: number;
  /** Bytes per read (default 16, as the exercise's skeleton). */
  chunk?: number;
  /** Where the log lines go (default: stderr). */
  log?: Logger;
}

/** Sends `msg` to the echo server and returns what comes back. */
export async function client(msg: string, options: ClientOptions = {}): Promise<string> {
  const { host = "127.0.0.1", port = 10000, timeoutMs = 10_000, chunk = 16 } = options;
  const { log = (line: string) => console.error(line) } = options;
  log(`connecting to ${host} port ${port}`);
  // One deadline for the whole exchange: a server that drips a byte a second gets no longer.
  const end = performance.now() + timeoutMs;
  const late = `no complete echo in ${timeoutMs / 1000} s`;
  // socket() + connect(), within the timeout.
  const conn = await within(
    (signal) => Deno.connect({ hostname: host, port, signal }),
    timeoutMs,
    `no answer to the connection request in ${timeoutMs / 1000} s`,
  ).catch((err) => {
    throw withContext(`cannot connect to ${hostPort({ hostname: host, port })}`, err);
  });
  try {
    log(`sending "${msg}"`);
    // sendall(), then shutdown(SHUT_WR): "this is the whole message". Reading goes on meanwhile.
    const message = new TextEncoder().encode(msg);
    const sending = (async () => {
      for (let off = 0; off < message.length;) {
        off += await within(conn.write(message.subarray(off)), end - performance.now(), late);
      }
      await conn.closeWrite().catch(ignoreGone); // a server that already closed is fine
    })();
    sending.catch(() => {}); // its failure is thrown by `await sending` below
    // recv(16) until EOF: the server closes once it has echoed everything. An echo is as long
    // as the message, so the reads go into one buffer of that size (plus one read, to notice a
    // server that sends more); the first 20 reads are logged.
    const echo = new Uint8Array(message.length + chunk);
    let total = 0, reads = 0;
    while (true) {
      const into = echo.subarray(total, total + chunk);
      const n = await within(conn.read(into), end - performance.now(), late);
      if (n === null) break;
      if (++reads <= 20) log(`received "${printable(into.subarray(0, n))}"`);
      total += n;
      if (total > message.length) {
        throw new Error(`the server sent more than the ${message.length} bytes it was sent`);
      }
    }
    if (reads > 20) log(`received ${reads - 20} more chunks (not shown)`);
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
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: "10000", timeout: "10" },
      alias: { H: "host", p: "port" },
      maxPositionals: Infinity,
    });
    if (cli.positionals.length === 0) throw new UsageError("no MESSAGE given");
    const echo = await client(cli.positionals.join(" "), {
      host: stripBrackets(cli.string("host")!),
      port: cli.port(),
      timeoutMs: cli.number("timeout", 0.001, 3600) * 1000,
    });
    console.log(terminalSafe(echo)); // a server's escape sequences are printed escaped
  });
}

/**
 * @module A web server on the bare socket API: read an HTTP request from a TCP connection,
 * answer 404 to GET and HEAD and 501 to any other method, close.
 *
 * Run it:
 *
 * ```sh
 * deno run --allow-net examples/http_server.ts [--host 127.0.0.1] [--port 8080] [--timeout 10]
 * ```
 *
 * Try it, in two terminals (or with a browser at http://127.0.0.1:8080/):
 *
 * ```text
 * $ deno run --allow-net examples/http_server.ts
 * Listening on http://127.0.0.1:8080/ (Ctrl+C to quit)
 * 127.0.0.1#53320 GET /index.html -> 404
 * 127.0.0.1#53322 POST / -> 501
 *
 * $ curl -i http://127.0.0.1:8080/index.html
 * HTTP/1.1 404 Not Found
 * Date: Mon, 23 Nov 2026 10:00:00 GMT
 * Server: Dummy-HTTP-Server
 * Content-Type: text/plain; charset=utf-8
 * Content-Length: 44
 * Connection: close
 *
 * Not Found: this server has no pages at all.
 * ```
 *
 * Follows `000_860ab8cd1e472fb1.txt` (Bonaventure, CNP3), simplehttpserver.py: the same lesson
 * (HTTP is bytes on a TCP connection: a request line, headers, an empty line) and the same
 * answers (404 for GET, 501 otherwise, `Server: Dummy-HTTP-Server`, then close). The document
 * calls its server "far from production quality"; fixed here:
 * - a client that closed before sending a newline made the original spin at full CPU forever;
 *   here EOF ends that exchange (and every read has a deadline: a silent client gets 408);
 * - one connection at a time became many at once, with a cap; a slow client blocks no one;
 * - the head is read up to its empty line with an 8 KiB limit (431 beyond), and the request line
 *   is parsed strictly (400 if malformed): `GETX` and `get` are other methods (501), not GET;
 * - HEAD gets the GET answer without a body: RFC 9110 requires general-purpose servers to
 *   support GET and HEAD, where the original answered 501;
 * - `Date` in IMF-fixdate (GMT), plus `Content-Type`, `Content-Length` and `Connection: close`;
 *   the request target is never echoed into the response;
 * - the response is written whole, then the connection is closed gracefully (FIN, not RST).
 */
import { hashAddr, hostPort, stripBrackets } from "../lib/address.ts";
import { printable } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { parseHead, readHead, response } from "../lib/http.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { serveConnections } from "../lib/server.ts";
import { untilShutdown } from "../lib/signals.ts";
import { lingeringClose, writeAll } from "../lib/stream.ts";
import { listenTcp } from "../lib/tcp.ts";

/** The original's port. */
export const DEFAULT_PORT = 8080;
/** The most bytes a request head may have. */
export const HEAD_LIMIT = 8 * 1024;

const BODY: Record<number, string> = {
  400: "Bad Request: the request line or a header field is malformed.\n",
  404: "Not Found: this server has no pages at all.\n",
  408: "Request Timeout: the request did not arrive in time.\n",
  431: "Request Header Fields Too Large: the request head is over 8 KiB.\n",
  501: "Not Implemented: this server only knows GET and HEAD.\n",
  505: "HTTP Version Not Supported: this server speaks HTTP/1.x.\n",
};

const USAGE =
  `usage: deno run --allow-net examples/http_server.ts [--host 127.0.0.1] [--port ${DEFAULT_PORT}]
  --host, -H          address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p          port to bind (0 lets the OS choose; default ${DEFAULT_PORT})
  --timeout SEC       time a client has to send its request head (default 10)
  --max-connections N clients served at once; more wait in the queue (default 512)`;

/** One connection: read the head, answer, close. */
export async function handle(
  conn: Deno.Conn,
  peer: Deno.NetAddr,
  { timeoutMs = 10_000, log = stdoutLogger }: { timeoutMs?: number; log?: Logger } = {},
): Promise<void> {
  // recv() until the empty line that ends the head, within 8 KiB and the deadline.
  const got = await readHead(conn, HEAD_LIMIT, timeoutMs);
  let status: number, what: string, headOnly = false, linger = true;
  if (got.kind === "eof" || (got.kind === "timeout" && got.received === 0)) {
    // EOF before a full line: the original spun here forever. Nothing to answer; just close.
    return log(`${hashAddr(peer)} closed or idle before sending a request`);
  } else if (got.kind !== "head") {
    [status, what] = got.kind === "timeout"
      ? [408, "(head unfinished)"]
      : [431, "(head too large)"];
  } else {
    const req = parseHead(got.head);
    if ("reason" in req) [status, what] = [req.status, `(${req.reason})`];
    else {
      // GET and HEAD: 404, there are no pages; any other method: 501, as in the original.
      headOnly = req.method === "HEAD";
      status = req.method === "GET" || headOnly ? 404 : 501;
      // Nothing read past the head and no body announced: close at once, no lingering needed.
      linger = got.extra > 0 ||
        req.headers.some(([n]) => n === "content-length" || n === "transfer-encoding");
      what = `${req.method} ${printable(new TextEncoder().encode(req.target), 100)}`;
    }
  }
  // send() the whole response, then close. If request bytes may still be unread (a body, a
  // pipelined request), close gracefully: FIN first, then drain, so the kernel sends no reset.
  await writeAll(conn, response(status, BODY[status], headOnly), timeoutMs);
  if (linger) await lingeringClose(conn);
  log(`${hashAddr(peer)} ${what} -> ${status}`);
}

/** Serves until `signal` aborts: each connection gets its own {@link handle} task. */
export function serve(
  listener: Deno.Listener,
  options: { timeoutMs?: number; log?: Logger; signal?: AbortSignal; maxConnections?: number } = {},
): Promise<void> {
  return serveConnections(listener, (conn, peer) => handle(conn, peer, options), options);
}

if (import.meta.main) {
  await runMain("http_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: {
        host: "127.0.0.1",
        port: `${DEFAULT_PORT}`,
        timeout: "10",
        "max-connections": "512",
      },
      alias: { H: "host", p: "port" },
    });
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const maxConnections = cli.number("max-connections", 1, 100_000);
    // socket(AF_INET or AF_INET6, SOCK_STREAM), bind(), listen().
    const listener = listenTcp(stripBrackets(cli.string("host")!), cli.port());
    console.log(`Listening on http://${hostPort(listener.addr)}/ (Ctrl+C to quit)`);
    await untilShutdown((signal) => serve(listener, { signal, timeoutMs, maxConnections }));
  });
}

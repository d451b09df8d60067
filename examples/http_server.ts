/**
 * @module A web server on the bare socket API: read an HTTP request head from a TCP connection,
 * answer 404 to GET and HEAD and 501 to any other method, close.
 *
 * ```sh
 * deno run --allow-net examples/http_server.ts [--host 127.0.0.1] [--port 8080] [--timeout 10]
 * ```
 *
 * ```text
 * $ deno run --allow-net examples/http_server.ts
 * Listening on http://127.0.0.1:8080/ (Ctrl+C to quit)
 * 127.0.0.1#53320 GET /index.html -> 404
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
 * In a browser, http://127.0.0.1:8080/ shows that text, and the log shows two more lines: a
 * `GET /favicon.ico -> 404` (the browser asks for the tab's icon) and a connection `closed
 * without sending a request` (a spare the browser opened in advance, then did not need).
 *
 * Source: `000_860ab8cd1e472fb1.txt`, simplehttpserver.py (404 for GET, 501 otherwise, `Server:
 * Dummy-HTTP-Server`, close). Fixed: a client that closed before a newline made it spin at full
 * CPU; a client that sends nothing is closed after `--timeout` without a response, a partial head
 * gets 408; many clients at once, capped; 8 KiB head limit (431); a strict request line (400;
 * `GETX` and `get` are not GET but 501); HEAD answered like GET (RFC 9110); `Date` in GMT,
 * `Content-Length`; the request is never echoed; FIN, not a reset, after the response.
 */
import { indexOfNeedle } from "@std/bytes";
import { STATUS_TEXT } from "@std/http/status";
import { hashAddr, hostPort, stripBrackets } from "../lib/address.ts";
import { parseCli } from "../lib/cli.ts";
import { Deadlines, sleep, within } from "../lib/deadline.ts";
import { Inflight } from "../lib/inflight.ts";
import { acceptRetryMs, closeQuietly, explain, runMain, withContext } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

/** The most bytes a request head may have. */
export const HEAD_LIMIT = 8 * 1024;

const USAGE = `An HTTP server on a raw TCP socket: 404 for GET and HEAD, 501 for any other method.
usage: deno run --allow-net examples/http_server.ts [options]
  --host, -H           address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p           port to bind (0 lets the OS choose; default 8080)
  --timeout SEC        time a client has to send its request head (default 10)
  --max-connections N  clients served at once; more wait in the queue (default 512)`;

/** The body of every status this server sends; the reason phrase is std's STATUS_TEXT. */
const BODY: Record<number, string> = {
  400: "the request line or a header field is malformed.",
  404: "this server has no pages at all.",
  408: "the request did not arrive in time.",
  431: "the request head is over 8 KiB.",
  501: "this server only knows GET and HEAD.",
  505: "this server speaks HTTP/1.x.",
};

/** Options for {@link serve} and {@link handle}. */
export interface HttpOptions {
  /** The time a client has to send its request head, in ms (default 10 s). */
  timeoutMs?: number;
  /** Clients served at once (default 512). */
  maxConnections?: number;
  /** Where the one line per request goes. */
  log?: Logger;
  /** Stops the server. */
  signal?: AbortSignal;
}

/** A parsed request line, or the status to answer and why. */
export type RequestLine = { method: string; target: string; version: string } | {
  status: number;
  reason: string;
};

// token = 1*tchar (RFC 9110 5.6.2), tchar as a table: TCHAR[byte] is 1 for a byte a token may
// hold. The method is checked with it here, a field name byte by byte in parseHead.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789") TCHAR[c.charCodeAt(0)] = 1;
for (let b = 0x41; b <= 0x5a; b++) TCHAR[b] = TCHAR[b + 0x20] = 1; // A-Z, a-z

/** Whether `text` is a token: one or more tchars. */
function isToken(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (TCHAR[text.charCodeAt(i)] !== 1) return false;
  return text.length > 0;
}

/** `method SP request-target SP HTTP-version`, strictly (RFC 9112 section 3). */
export function parseRequestLine(line: string): RequestLine {
  // Exactly two spaces (found with indexOf: a request costs no array of parts).
  const sp1 = line.indexOf(" "), sp2 = sp1 < 0 ? -1 : line.indexOf(" ", sp1 + 1);
  if (sp2 < 0 || line.indexOf(" ", sp2 + 1) >= 0) {
    return { status: 400, reason: "the request line is not METHOD SP TARGET SP VERSION" };
  }
  const method = line.slice(0, sp1), target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method)) return { status: 400, reason: "the method is not a token" };
  // request-target: visible ASCII, no spaces (RFC 9112 3.2).
  if (!/^[\x21-\x7e]+$/.test(target)) {
    return { status: 400, reason: "the target is not visible ASCII" };
  }
  if (!/^HTTP\/\d\.\d$/.test(version)) {
    return { status: 400, reason: "the version is not HTTP/x.y" };
  }
  if (version[5] !== "1") return { status: 505, reason: `${version} is not spoken here` };
  return { method, target, version };
}

/** A parsed head: the request line and whether a body follows it, or the status to answer. */
export type Head = { method: string; target: string; version: string; body: boolean } | {
  status: number;
  reason: string;
};

/** Bytes as text, Latin-1: one byte, one character, nothing rejected. */
const latin1 = (bytes: Uint8Array) => String.fromCharCode.apply(null, bytes as unknown as number[]);

/** Whether the bytes `from` to `to` spell `name` (lower-case), in any case. */
function isName(head: Uint8Array, from: number, to: number, name: string): boolean {
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    if ((head[from + i] | 0x20) !== name.charCodeAt(i)) return false; // 0x20: the case bit
  }
  return true;
}

/**
 * The request line, and whether a body follows, or the 400 RFC 9112 asks for: space before a
 * colon, obsolete line folding, a bare CR, an ambiguous body length, an HTTP/1.1 request without
 * exactly one Host. Only the request line becomes text: the fields are checked as bytes, and
 * only a Content-Length or Transfer-Encoding value is decoded (a server reads every request's
 * head: strings for every field were most of its garbage).
 */
export function parseHead(head: Uint8Array): Head {
  let end = head.indexOf(0x0a); // \n
  if (end < 0) end = head.length;
  const line = parseRequestLine(
    latin1(head.subarray(0, end > 0 && head[end - 1] === 0x0d ? end - 1 : end)),
  );
  if ("status" in line) return line;
  let hosts = 0, length: string | undefined, lastCoding: string | undefined;
  while (end < head.length) {
    // The next line, without the \r of its \r\n (a bare \n ends a line too).
    const start = end + 1;
    end = head.indexOf(0x0a, start);
    if (end < 0) end = head.length;
    const stop = end > start && head[end - 1] === 0x0d ? end - 1 : end;
    // field-name ":" field-value: the name is a token right up to the colon.
    let colon = start;
    while (colon < stop && TCHAR[head[colon]]) colon++;
    if (colon === start || colon === stop || head[colon] !== 0x3a) {
      const folded = head[start] === 0x20 || head[start] === 0x09; // SP or HTAB first
      return { status: 400, reason: folded ? "obsolete line folding" : "a bad field" };
    }
    for (let i = colon; i < stop; i++) {
      if (head[i] === 0x0d) return { status: 400, reason: "a bare CR in a field" };
    }
    // The body's length (RFC 9112 6.3): one Content-Length value, or Transfer-Encoding ending
    // in chunked, never both. A server that guesses here can be fooled into request smuggling.
    if (isName(head, start, colon, "host")) hosts++;
    else if (isName(head, start, colon, "content-length")) {
      for (const v of latin1(head.subarray(colon + 1, stop)).split(",")) {
        const n = v.trim();
        if (!/^\d+$/.test(n) || (length !== undefined && length !== n)) {
          return { status: 400, reason: "a bad or ambiguous Content-Length" };
        }
        length = n;
      }
    } else if (isName(head, start, colon, "transfer-encoding")) {
      lastCoding = latin1(head.subarray(colon + 1, stop)).split(",").pop()!.trim();
    }
  }
  if (lastCoding !== undefined && length !== undefined) {
    return { status: 400, reason: "both Content-Length and Transfer-Encoding" };
  }
  if (lastCoding !== undefined && lastCoding.toLowerCase() !== "chunked") {
    return { status: 400, reason: "a Transfer-Encoding that does not end in chunked" };
  }
  if (line.version === "HTTP/1.1" && hosts !== 1) {
    return { status: 400, reason: `HTTP/1.1 needs exactly one Host field (got ${hosts})` };
  }
  const body = length !== undefined || lastCoding !== undefined;
  return { method: line.method, target: line.target, version: line.version, body };
}

/** The `Date` format, IMF-fixdate (RFC 9110 5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`. */
export const imfDate = (date: Date): string => date.toUTCString();

const responses = new Map<number, Uint8Array>();
let responsesSecond = 0;

/** A whole response (no body for HEAD), built once per status and second, then reused. */
export function response(status: number, headOnly = false): Uint8Array {
  const second = Math.floor(Date.now() / 1000);
  if (second !== responsesSecond) (responses.clear(), responsesSecond = second);
  const key = headOnly ? -status : status;
  let bytes = responses.get(key);
  if (bytes === undefined) {
    const [reason, text] = [STATUS_TEXT[status], BODY[status]];
    const body = `${reason}: ${text}\n`;
    const head = `HTTP/1.1 ${status} ${reason}\r\nDate: ${imfDate(new Date(second * 1000))}\r\n` +
      `Server: Dummy-HTTP-Server\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    bytes = new TextEncoder().encode(headOnly ? head : head + body);
    responses.set(key, bytes);
  }
  return bytes;
}

/** One connection: read the head, answer, close (the caller need not, even when it throws). */
export async function handle(
  conn: Deno.Conn,
  options: HttpOptions = {},
  clock?: Deadlines,
): Promise<void> {
  const { timeoutMs = 10_000, log = stdoutLogger } = options;
  // One deadline for the whole head, on the server's one clock (or a clock of its own). Deno
  // cannot cancel a read: for a client that sends nothing, the clock closes the socket, which
  // ends the read; once part of a head is in, reads race the deadline, so a 408 can be sent.
  const own = clock ? undefined : new Deadlines(tickFor(timeoutMs));
  const deadline = (clock ?? own!).start(timeoutMs, conn);
  // recv() until the empty line that ends the head, into one buffer of at most 8 KiB, reused
  // from connection to connection (allocating 8 KiB per request is most of the garbage).
  const buf = spare.pop() ?? new Uint8Array(HEAD_LIMIT + 4);
  let len = 0, headEnd = -1, lost = false; // lost: a read lost the race and is still pending
  try {
    while (headEnd < 0 && len < buf.length && !lost) {
      let n: number | null | "late" | -1;
      try {
        n = len === 0
          ? await conn.read(buf)
          : await Promise.race([conn.read(buf.subarray(len)), deadline.late]);
      } catch (err) {
        if (!deadline.passed) throw err;
        n = -1; // the clock closed the socket
      }
      // EOF (the original spun here forever), or silence before a single byte: just close.
      // Browsers do both: they open a spare connection in advance and may never use it.
      if (n === null || n === -1) return void log(silence(conn, n, len, timeoutMs));
      if (n === "late") lost = true;
      else {
        const from = Math.max(0, len - 3); // the empty line may straddle two reads
        len += n;
        headEnd = endOfHead(buf.subarray(0, len), from);
      }
    }
    deadline.done(); // the head is in, or late: the clock must not close the socket mid-answer
    const { status, headOnly, pending, what } = answer(buf, len, lost ? -1 : headEnd);
    // send() the whole response, looping over partial writes. No deadline needed: under 300
    // bytes always fit the socket's send buffer (4 KiB at least), whatever the peer does, so
    // write() never waits for it to read.
    const bytes = response(status, headOnly);
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    if (pending) await linger(conn);
    log`${conn.remoteAddr as Deno.NetAddr} ${what} -> ${status}`;
  } catch (err) {
    if (!options.signal?.aborted) log`${conn.remoteAddr as Deno.NetAddr}: ${explain(err)}`;
  } finally {
    deadline.done();
    own?.stop();
    // close()
    closeQuietly(conn);
    if (!lost && spare.length < 64) spare.push(buf);
  }
}

/** The log line for a client that closed, or was closed for silence, before its whole head. */
function silence(conn: Deno.Conn, n: null | -1, len: number, timeoutMs: number): string {
  const peer = hashAddr(conn.remoteAddr as Deno.NetAddr);
  if (n === -1) {
    const sent = len === 0 ? "nothing" : "only part of its request head";
    return `${peer} sent ${sent} in ${timeoutMs / 1000} s: closed, with no response`;
  }
  return len === 0
    ? `${peer} closed without sending a request (a browser's unused spare, maybe)`
    : `${peer} closed in the middle of its request head`;
}

/** What to answer to the `len` bytes read: the status, and whether more bytes may follow. */
function answer(buf: Uint8Array, len: number, headEnd: number) {
  let status = 431, what = "(head too large)", headOnly = false, pending = len > 0;
  if (headEnd < 0 && len < buf.length) [status, what] = [408, "(head unfinished)"];
  else if (headEnd >= 0 && headEnd <= HEAD_LIMIT) {
    const req = parseHead(buf.subarray(0, headEnd));
    if ("status" in req) [status, what] = [req.status, `(${req.reason})`];
    else {
      // GET and HEAD: 404, there are no pages; any other method: 501, as in the original.
      headOnly = req.method === "HEAD";
      status = req.method === "GET" || headOnly ? 404 : 501;
      // The target is visible ASCII (parseRequestLine checked): only its length needs a bound.
      what = `${req.method} ${
        req.target.length > 100 ? `${req.target.slice(0, 100)}…` : req.target
      }`;
      // Nothing read past the head and no body announced: close at once, no draining needed.
      pending = req.body;
      for (let i = headEnd; i < len && !pending; i++) {
        pending = buf[i] !== 0x0d && buf[i] !== 0x0a;
      }
    }
  }
  return { status, headOnly, pending, what };
}

/**
 * A lingering close: shutdown(SHUT_WR), then drop what the client still sends, before close().
 * Closing with unread bytes makes the kernel send a reset, which can destroy the response in
 * flight.
 */
async function linger(conn: Deno.Conn): Promise<void> {
  await conn.closeWrite().catch(() => {});
  const sink = new Uint8Array(16 * 1024);
  const drained = performance.now() + 1000; // at most 64 KiB and 1 s in all
  for (
    let seen = 0, n;
    seen < 65536 &&
    (n = await within(conn.read(sink), drained - performance.now(), "").catch(() => 0));
  ) {
    seen += n;
  }
}

const LF_LF = new Uint8Array([0x0a, 0x0a]);
const LF_CRLF = new Uint8Array([0x0a, 0x0d, 0x0a]);

/** Where the empty line after the head starts (`\r\n\r\n` or a bare `\n\n`), or -1. */
function endOfHead(buf: Uint8Array, from: number): number {
  // The last field line ends in \n (after an optional \r); the empty line is \n or \r\n.
  const a = indexOfNeedle(buf, LF_LF, from), b = indexOfNeedle(buf, LF_CRLF, from);
  const i = a < 0 ? b : b < 0 ? a : Math.min(a, b);
  return i > 0 && buf[i - 1] === 0x0d ? i - 1 : i;
}

/** Head buffers of finished connections, for the next ones. */
const spare: Uint8Array[] = [];

/** How often the deadline clock looks: a twentieth of the timeout, from 5 to 100 ms. */
const tickFor = (timeoutMs: number) => Math.min(100, Math.max(5, timeoutMs / 20));

/** Opens the listening socket (port 0: the OS picks one). */
export function bind(hostname = "127.0.0.1", port = 8080): Deno.TcpListener {
  try {
    // socket(AF_INET6 or AF_INET, SOCK_STREAM) + bind() + listen(), in one call.
    return Deno.listen({ hostname, port });
  } catch (err) {
    throw withContext(`cannot listen on TCP ${hostPort({ hostname, port })}`, err);
  }
}

/** Accepts clients until `options.signal` aborts, each in its own task; then closes all. */
export async function serve(listener: Deno.Listener, options: HttpOptions = {}): Promise<void> {
  const { signal, maxConnections = 512, log = stdoutLogger } = options;
  const clients = new Inflight(); // who is being served: for the cap, and for the stop
  // One clock for every connection's deadline: a timer per read costs more than the read.
  const clock = new Deadlines(tickFor(options.timeoutMs ?? 10_000));
  // A pending accept() ends only when the listener closes: Ctrl-C closes it.
  const stopped = new Promise<void>((resolve) =>
    signal?.addEventListener("abort", () => resolve(closeQuietly(listener)), { once: true })
  );
  while (!signal?.aborted) {
    // At the cap, accept nobody until a client leaves: newcomers wait in the listen() queue.
    if (clients.size >= maxConnections) {
      await Promise.race([stopped, clients.slot()]);
      continue;
    }
    let conn: Deno.Conn;
    try {
      // accept(): the original served one connection at a time; here each gets its own task.
      conn = await listener.accept();
    } catch (err) {
      if (signal?.aborted || err instanceof Deno.errors.BadResource) break;
      // A client that reset while queued is gone: take the next at once. Out of descriptors or
      // memory: say so and pause briefly, or the loop would spin.
      const pause = acceptRetryMs(err);
      if (pause > 0) {
        log`accept failed: ${explain(err)}`;
        await sleep(pause);
      }
      continue;
    }
    const served = clients.add(conn);
    served.task = handle(conn, options, clock).finally(() => served.done());
  }
  // Stopping: clients in progress get 2 s to finish, then their sockets are closed.
  closeQuietly(listener);
  await clients.settle(2000);
  for (const conn of clients.conns()) closeQuietly(conn); // close(): those still talking
  await clients.settle(Infinity);
  clock.stop();
}

if (import.meta.main) {
  await runMain("http_server", USAGE, async () => {
    const cli = parseCli(Deno.args, {
      strings: { host: "127.0.0.1", port: "8080", timeout: "10", "max-connections": "512" },
      alias: { H: "host", p: "port" },
    });
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    const maxConnections = cli.number("max-connections", 1, 100_000);
    const listener = bind(stripBrackets(cli.string("host")!), cli.port());
    console.log(`Listening on http://${hostPort(listener.addr)}/ (Ctrl+C to quit)`);
    await untilShutdown((signal) => serve(listener, { signal, timeoutMs, maxConnections }));
  });
}

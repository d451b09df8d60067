/**
 * @module A web server on the bare socket API: read an HTTP request head from a TCP connection,
 * answer 404 to GET and HEAD and 501 to any other method, close.
 *
 * ```text
 * $ deno run --allow-net examples/http_server.ts
 * Listening on http://127.0.0.1:8080/ (Ctrl+C to quit)
 * 127.0.0.1#53320 GET /index.html -> 404
 *
 * $ curl -i http://127.0.0.1:8080/index.html
 * HTTP/1.1 404 Not Found
 * ...
 * Not Found: this server has no pages at all.
 * ```
 * Source: Bonaventure, *Computer Networking: Principles, Protocols and Practice*:
 * simplehttpserver.py. Fixed: a client that closed before a newline made it spin at full CPU;
 * `GETX` was taken for GET; one client at a time. Added from RFC 9112: an 8 KiB head limit (431),
 * a head deadline (408), a strict request line (400, 505), and a lingering close after the reply.
 * A client that never reads holds its own connection here (see hardened_tcp_server.ts).
 */
import { hashAddr, hostPort } from "../lib/address.ts";
import { hostPortFlags, parseCli } from "../lib/cli.ts";
import { onTimeout, within } from "../lib/deadline.ts";
import { closeQuietly, explain, keepServing, runMain, tryTo } from "../lib/errors.ts";
import { type Logger, stdoutLogger } from "../lib/log.ts";
import { untilShutdown } from "../lib/signals.ts";

const USAGE = `An HTTP server on a raw TCP socket: 404 for GET and HEAD, 501 for any other method.
usage: deno run --allow-net examples/http_server.ts [options]
  --host, -H     address to bind (0.0.0.0 or :: for every interface; default 127.0.0.1)
  --port, -p     port to bind (0 lets the OS choose; default 8080)
  --timeout SEC  time a client has to send its request head (default 10)`;

export type HttpOptions = { timeoutMs?: number; log?: Logger; signal?: AbortSignal };
/** Each status this server sends: its reason phrase (RFC 9110) and the body's text. */
const STATUS: Record<number, [string, string]> = {
  400: ["Bad Request", "the request line or a header field is malformed."],
  404: ["Not Found", "this server has no pages at all."],
  408: ["Request Timeout", "the request did not arrive in time."],
  431: ["Request Header Fields Too Large", "the request head is over 8 KiB."],
  501: ["Not Implemented", "this server only knows GET and HEAD."],
  505: ["HTTP Version Not Supported", "this server speaks HTTP/1.x."],
};

/** A request's method and target, or the status to answer and why. */
export type Head = { method: string; target: string } | { status: number; reason: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 5.6.2: a method, a field name

/** The head without its empty line: the request, or a 400 that RFC 9112 makes a MUST. */
export function parseHead(head: string): Head {
  const [line, ...fields] = head.split(/\r?\n/);
  // method SP request-target SP HTTP-version, strictly (RFC 9112 3).
  const [method, target, version, more] = line.split(" ");
  if (more !== undefined || version === undefined) return { status: 400, reason: "request line" };
  if (!TOKEN.test(method)) return { status: 400, reason: "the method is not a token" };
  if (!/^[\x21-\x7e]+$/.test(target)) return { status: 400, reason: "a bad target" };
  if (!/^HTTP\/\d\.\d$/.test(version)) return { status: 400, reason: "not HTTP/x.y" };
  if (version[5] !== "1") return { status: 505, reason: `${version} is not spoken here` };
  let hosts = 0, lengths = new Set<string>(), coding: string | undefined;
  for (const field of fields) {
    // name ":" value, the name a token up to the colon (a space before it is a 400, 5.1).
    const colon = field.indexOf(":");
    if (colon < 0 || !TOKEN.test(field.slice(0, colon))) {
      return { status: 400, reason: "bad field" };
    }
    const name = field.slice(0, colon).toLowerCase(), value = field.slice(colon + 1).trim();
    if (name === "host") hosts++;
    if (name === "content-length") lengths = new Set([...lengths, ...value.split(/ *, */)]);
    if (name === "transfer-encoding") coding = value.split(",").pop()!.trim().toLowerCase();
  }
  // The body's length (6.3): one Content-Length number, or a Transfer-Encoding ending in chunked.
  if (lengths.size > 1 || [...lengths].some((n) => !/^\d+$/.test(n))) {
    return { status: 400, reason: "a bad or conflicting Content-Length" };
  }
  if (coding !== undefined && coding !== "chunked") {
    return { status: 400, reason: "a Transfer-Encoding that does not end in chunked" };
  }
  // Host (3.2): exactly one in HTTP/1.1, never more than one in any version.
  if (hosts > 1 || (version === "HTTP/1.1" && hosts === 0)) {
    return { status: 400, reason: `${hosts} Host fields` };
  }
  return { method, target };
}

/** A response: status line, fields (Date as IMF-fixdate, RFC 9110 5.6.7), a body but for HEAD. */
export function response(status: number, headOnly = false): Uint8Array {
  const [reason, text] = STATUS[status];
  const body = `${reason}: ${text}\n`;
  const head = `HTTP/1.1 ${status} ${reason}\r\nDate: ${new Date().toUTCString()}\r\n` +
    `Server: Dummy-HTTP-Server\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return new TextEncoder().encode(headOnly ? head : head + body);
}

/** One connection: read the head, answer, linger, and leave close() to the caller. */
export async function handle(conn: Deno.Conn, timeoutMs = 10_000, log = stdoutLogger) {
  const buf = new Uint8Array(8 * 1024), end = performance.now() + timeoutMs;
  let len = 0, text = "", reading: Promise<number | null> | undefined;
  // recv() until the empty line that ends the head, at most 8 KiB, within the deadline.
  while (!/\r?\n\r?\n/.test(text) && len < buf.length) {
    reading = conn.read(buf.subarray(len));
    const n = await within(reading, end - performance.now(), "late").catch(onTimeout(-1));
    // EOF (the original spun here forever), or silence from a browser's unused spare: close.
    if (n === null) return log(`${hashAddr(conn.remoteAddr)} closed before a whole head`);
    if (n < 0 && len === 0) return log(`${hashAddr(conn.remoteAddr)} sent nothing: closed`);
    if (n < 0) break; // part of a head, then the deadline: 408 below
    len += n;
    reading = undefined;
    text = new TextDecoder("latin1").decode(buf.subarray(0, len)); // a byte, a character
  }
  const blank = /\r?\n\r?\n/.exec(text); // the empty line that ends the head
  let req: Head = { status: 431, reason: "head too large" };
  if (reading) req = { status: 408, reason: "head unfinished" };
  else if (blank) req = parseHead(text.slice(0, blank.index));
  // GET and HEAD: 404, there are no pages; any other method: 501, as in the original.
  const status = "status" in req ? req.status : ["GET", "HEAD"].includes(req.method) ? 404 : 501;
  // sendall(): the whole response, looping over partial writes.
  const bytes = response(status, "method" in req && req.method === "HEAD");
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
  const what = "method" in req ? `${req.method} ${req.target.slice(0, 100)}` : `(${req.reason})`;
  log(`${hashAddr(conn.remoteAddr)} ${what} -> ${status}`);
  // The lingering close (RFC 9112 9.6) if the client may still send (a body, bytes past the head):
  // close() with unread bytes sends a reset that can destroy the reply. shutdown(SHUT_WR), drain.
  const body = /^(content-length|transfer-encoding):/im.test(text);
  if (blank && blank.index + blank[0].length === len && !body) return;
  await conn.closeWrite().catch(() => {});
  const drainEnd = performance.now() + 1000;
  const drain = () => within(reading ?? conn.read(buf), drainEnd - performance.now(), "");
  while (await drain().catch(() => 0)) reading = undefined;
}

/** Accepts clients, each in its own task, until `signal` aborts; then closes them. */
export async function serve(
  listener: Deno.Listener,
  { signal, timeoutMs = 10_000, log = stdoutLogger }: HttpOptions = {},
): Promise<void> {
  // A pending accept() ends only when the listener closes: Ctrl-C closes it.
  signal?.addEventListener("abort", () => closeQuietly(listener), { once: true });
  const clients = new Map<Deno.Conn, Promise<void>>();
  while (true) {
    let conn: Deno.Conn;
    try {
      // accept(): the original served one connection at a time; here each gets its own task.
      conn = await listener.accept();
    } catch (err) {
      // Stopped: the listener is closed. A reset in the queue, or EMFILE: go on (lib/errors.ts).
      if (await keepServing(err, log)) continue;
      break;
    }
    const task = handle(conn, timeoutMs, log)
      .catch((err) => log(`${hashAddr(conn.remoteAddr)}: ${explain(err)}`))
      .finally(() => (closeQuietly(conn), clients.delete(conn))); // close(), whatever happened
    clients.set(conn, task);
  }
  for (const conn of clients.keys()) closeQuietly(conn); // stopped: end the exchanges left
  await Promise.all(clients.values());
}

if (import.meta.main) {
  await runMain("http_server", USAGE, async () => {
    const cli = parseCli(Deno.args, hostPortFlags(8080, { timeout: "10" }));
    const timeoutMs = cli.number("timeout", 0.001, 3600) * 1000;
    // socket(AF_INET6 or AF_INET, SOCK_STREAM) + bind() + listen(), in one call.
    const addr = { hostname: cli.host(), port: cli.port() };
    const listener = tryTo(`listen on TCP ${hostPort(addr)}`, () => Deno.listen(addr));
    console.log(`Listening on http://${hostPort(listener.addr)}/ (Ctrl+C to quit)`);
    await untilShutdown((signal) => serve(listener, { signal, timeoutMs }));
  });
}

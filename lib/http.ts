/**
 * Just enough HTTP/1.1 to answer a request correctly from a raw socket: read the head with a
 * size limit and a deadline, parse the request line strictly (RFC 9112), and build responses
 * with the headers RFC 9110 expects.
 *
 * @module
 */
import { deadline } from "./deadline.ts";
import type { Reader } from "./stream.ts";

/** A parsed request line: `GET /index.html HTTP/1.1`. */
export interface RequestLine {
  /** The method, case-sensitive (`get` is not `GET`). */
  method: string;
  /** The request target, as sent. */
  target: string;
  /** `HTTP/1.1`, `HTTP/1.0`, ... */
  version: string;
}

/** A request head: the request line and the header fields (names lower-cased). */
export interface RequestHead extends RequestLine {
  /** Header fields in order, names lower-cased; repeated fields appear repeatedly. */
  headers: [string, string][];
}

/** Why a request cannot be answered normally: the status to send and a reason for the log. */
export interface HttpError {
  /** 400, 431, 505, ... */
  status: number;
  /** What was wrong, for the log. */
  reason: string;
}

/** The reason phrases of the statuses this server sends (RFC 9110 section 15). */
export const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  505: "HTTP Version Not Supported",
};

// token = 1*tchar (RFC 9110 5.6.2); request-target: visible ASCII, no spaces (RFC 9112 3.2).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TARGET = /^[\x21-\x7e]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;

/**
 * Parses `method SP request-target SP HTTP-version` strictly: exactly two single spaces, a token
 * method, a target of visible ASCII, and `HTTP/x.y`.
 *
 * @param line the first line of the request, without its line ending
 * @returns the parts, or the 400 to send
 */
export function parseRequestLine(line: string): RequestLine | HttpError {
  const parts = line.split(" ");
  if (parts.length !== 3) {
    return { status: 400, reason: "the request line is not METHOD SP TARGET SP VERSION" };
  }
  const [method, target, version] = parts;
  if (!TOKEN.test(method)) return { status: 400, reason: "the method is not a token" };
  if (!TARGET.test(target)) {
    return { status: 400, reason: "the request target is not visible ASCII" };
  }
  const v = VERSION.exec(version);
  if (!v) return { status: 400, reason: "the version is not HTTP/x.y" };
  if (v[1] !== "1") return { status: 505, reason: `${version} is not spoken here` };
  return { method, target, version };
}

/**
 * Parses a whole head (request line and header fields, without the empty line). Lines end in
 * CRLF; a bare LF is accepted too (RFC 9112 section 2.2 allows it). Rejects what RFC 9112 says
 * to reject with 400: whitespace before a field's colon, obsolete line folding, and an HTTP/1.1
 * request without exactly one Host field.
 *
 * @param head the head's bytes (ISO-8859-1, as HTTP defines them)
 * @returns the request, or the error to send
 */
export function parseHead(head: Uint8Array): RequestHead | HttpError {
  const text = latin1.decode(head);
  const lines = text.split(/\r?\n/);
  const line = parseRequestLine(lines[0]);
  if ("status" in line) return line;
  const headers: [string, string][] = [];
  for (const field of lines.slice(1)) {
    if (/^[ \t]/.test(field)) return { status: 400, reason: "obsolete line folding" };
    const colon = field.indexOf(":");
    const name = field.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) return { status: 400, reason: "a malformed header field" };
    headers.push([name.toLowerCase(), field.slice(colon + 1).trim()]);
  }
  const hosts = headers.filter(([n]) => n === "host").length;
  if (line.version === "HTTP/1.1" && hosts !== 1) {
    return {
      status: 400,
      reason: `an HTTP/1.1 request needs exactly one Host field (got ${hosts})`,
    };
  }
  return { ...line, headers };
}

const latin1 = new TextDecoder("latin1");

/** What {@link readHead} found. */
export type HeadResult =
  | { kind: "head"; head: Uint8Array; extra: number }
  | { kind: "eof"; received: number }
  | { kind: "too-large" }
  | { kind: "timeout"; received: number };

/**
 * Reads a request head up to the empty line that ends it, within `limit` bytes and before
 * `timeoutMs` has passed in all (a client trickling one byte a second does not get more time).
 * Whatever follows the head (a body, a pipelined request) is left for later or never read.
 *
 * @param r the connection
 * @param limit the most bytes the head may have (8 KiB is usual)
 * @param timeoutMs the time the whole head may take
 * @returns the head (without the empty line), or what went wrong
 */
export async function readHead(r: Reader, limit: number, timeoutMs: number): Promise<HeadResult> {
  // One deadline for the whole head, on the shared coarse clock (see lib/deadline.ts).
  const time = deadline(timeoutMs);
  try {
    let buf = new Uint8Array(Math.min(1024, limit + 4));
    let len = 0;
    while (true) {
      if (len === buf.length) {
        if (len >= limit + 4) return { kind: "too-large" };
        const bigger = new Uint8Array(Math.min(buf.length * 4, limit + 4));
        bigger.set(buf);
        buf = bigger;
      }
      const reading = r.read(buf.subarray(len));
      reading.catch(() => {}); // if the deadline wins, the caller closes the connection
      const n = await Promise.race([reading, time.expired]);
      if (n === "timeout") return { kind: "timeout", received: len };
      if (n === null) return { kind: "eof", received: len };
      const from = Math.max(0, len - 2);
      len += n;
      const [end, endLength] = endOfHead(buf, from, len);
      if (end >= 0) {
        if (end > limit) return { kind: "too-large" };
        // Bytes read past the empty line: a body or a pipelined request, left unanswered.
        return { kind: "head", head: buf.subarray(0, end), extra: len - end - endLength };
      }
    }
  } finally {
    time.cancel();
  }
}

/**
 * Where the empty line that ends a head starts, and how many bytes the line ending before it
 * and the empty line take (`\r\n\r\n`: 4, `\n\n`: 2, mixed: 3). `[-1, 0]` if not found yet.
 */
function endOfHead(buf: Uint8Array, from: number, len: number): [number, number] {
  for (let i = buf.indexOf(0x0a, from); i >= 0 && i < len; i = buf.indexOf(0x0a, i + 1)) {
    const cr = i > 0 && buf[i - 1] === 0x0d ? 1 : 0; // the line before ends in \r\n or \n
    if (i + 1 < len && buf[i + 1] === 0x0a) return [i - cr, cr + 2];
    if (i + 2 < len && buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return [i - cr, cr + 3];
  }
  return [-1, 0];
}

/**
 * The `Date` header's format, IMF-fixdate (RFC 9110 section 5.6.7): always GMT, e.g.
 * `Sun, 06 Nov 1994 08:49:37 GMT`. The original printed local time without a zone.
 *
 * @param date the moment
 * @returns the formatted date
 */
export function imfDate(date: Date): string {
  return date.toUTCString(); // ECMAScript defines toUTCString as exactly this format
}

const encoder = new TextEncoder();
const cache = new Map<string, Uint8Array>();
let cacheSecond = -1;

/**
 * A complete response: status line, `Date`, `Server`, `Content-Type`, `Content-Length`,
 * `Connection: close`, and a one-line plain-text body (omitted for HEAD, with the same headers).
 * Built once per status and second, then reused: the bytes are the same for everyone.
 *
 * @param status the status code (a key of {@link STATUS_TEXT})
 * @param body the body's text (a single line; never the request's own bytes)
 * @param headOnly true for a HEAD request: headers as for GET, no body
 * @param server the `Server` field
 * @returns the bytes to write
 */
export function response(
  status: number,
  body: string,
  headOnly = false,
  server = "Dummy-HTTP-Server",
): Uint8Array {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cacheSecond) {
    cache.clear();
    cacheSecond = second;
  }
  const key = `${status} ${headOnly} ${server} ${body}`;
  let bytes = cache.get(key);
  if (bytes === undefined) {
    const payload = encoder.encode(body);
    const head = `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
      `Date: ${imfDate(new Date(second * 1000))}\r\n` +
      `Server: ${server}\r\n` +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${payload.length}\r\n` +
      "Connection: close\r\n\r\n";
    const h = encoder.encode(head);
    bytes = new Uint8Array(h.length + (headOnly ? 0 : payload.length));
    bytes.set(h);
    if (!headOnly) bytes.set(payload, h.length);
    cache.set(key, bytes);
  }
  return bytes;
}

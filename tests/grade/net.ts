/**
 * The grader's side of each conversation: a TCP or UDP exchange that never throws on a slow,
 * silent or rude peer but reports what happened, and the small servers a student's client is
 * graded against. Loopback only.
 */
import { asciiUpper } from "../../lib/bytes.ts";
import { closeQuietly } from "../../lib/errors.ts";
import { sleep, TimeoutError, within } from "../../lib/deadline.ts";

/** A check failed: the message is the one or two sentences shown to the student. */
export class Failed extends Error {
  /** @param detail what was sent, what came back or did not, and which lesson explains it */
  constructor(detail: string) {
    super(detail);
    this.name = "Failed";
  }
}

/** A check could not be run here (e.g. no /proc): shown as skipped, not as failed. */
export class Skipped extends Error {
  /** @param why the reason */
  constructor(why: string) {
    super(why);
    this.name = "Skipped";
  }
}

/** Where the program under test listens, or where the grader's server listens. */
export interface Target {
  /** 127.0.0.1 or ::1. */
  host: string;
  /** The port. */
  port: number;
}

export const enc = new TextEncoder();
const dec = new TextDecoder();

/** `n bytes`, with thousands separators: `102,400 bytes`. */
export function bytes(n: number): string {
  return `${n.toLocaleString("en-US")} byte${n === 1 ? "" : "s"}`;
}

/** A short, safe picture of some bytes for a failure message: `"HELLO"` or `"Four sc…" (52 bytes)`. */
export function show(data: Uint8Array): string {
  const text = JSON.stringify(dec.decode(data.subarray(0, 40)));
  return data.length > 40 ? `${text.slice(0, -1)}…" (${bytes(data.length)})` : text;
}

/** The first index where `a` and `b` differ, or -1 when equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * Where `got` first differs from `want`, with up to 8 bytes either side in hex on both sides
 * (the differing byte in brackets): `they differ at byte 52: expected … 61 [62] 63, got … 61 [e2] 80`.
 */
export function whereDiffer(got: Uint8Array, want: Uint8Array): string {
  const at = firstDifference(got, want);
  const from = Math.max(0, at - 8);
  const hex = (b: Uint8Array) => {
    const part = [...b.subarray(from, at + 9)].map((x, i) => {
      const h = x.toString(16).padStart(2, "0");
      return from + i === at ? `[${h}]` : h;
    });
    if (at >= b.length) part.push("[end]");
    return (from > 0 ? "… " : "") + part.join(" ") + (at + 9 < b.length ? " …" : "");
  };
  return `they differ at byte ${at}: expected ${hex(want)}, got ${hex(got)}`;
}

/** `count` bytes of lowercase letters and spaces, the same every time. */
export function lowercaseText(count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = i % 7 === 6 ? 0x20 : 0x61 + ((i * 7 + (i >> 5)) % 26);
  return out;
}

export { sleep };

/** What one TCP exchange gave. */
export interface Talk {
  /** Every byte received. */
  reply: Uint8Array;
  /** The peer closed its side (read returned EOF). */
  eof: boolean;
  /** The peer reset the connection. */
  reset: boolean;
  /** Milliseconds from connect to the end of reading. */
  ms: number;
}

/** How to run one TCP exchange. */
export interface TalkOptions {
  /** How long connecting may take, in ms (default 3000). */
  connectMs?: number;
  /** Pause between the parts, in ms (default 0). */
  pauseMs?: number;
  /** Half-close after the last part (default true). */
  halfClose?: boolean;
  /** Stop reading once this many bytes arrived (default: read to EOF). */
  want?: number;
  /** How long to read at most, from the first byte sent (default 3 s). */
  waitMs?: number;
  /** Called with the open connection before anything is sent. */
  before?: (conn: Deno.Conn) => void;
}

/** Connects, with one line of explanation when that fails. */
export async function connect(t: Target, ms = 3000): Promise<Deno.TcpConn> {
  try {
    return await within(
      (signal) => Deno.connect({ hostname: t.host, port: t.port, signal }),
      ms,
      `no answer in ${ms / 1000} s`,
    );
  } catch (err) {
    const why = err instanceof Deno.errors.ConnectionRefused
      ? "refused: nothing listens there (did the program exit?)"
      : (err as Error).message;
    throw new Failed(`could not connect to ${t.host} port ${t.port}: ${why}.`);
  }
}

/**
 * Sends `parts` (with pauses between them), optionally half-closes, and reads what comes back
 * until EOF, a reset, `want` bytes or `waitMs`. Reading runs while writing, so a peer that
 * answers early is never blocked by a full buffer.
 */
export async function talk(
  t: Target,
  parts: Uint8Array[],
  options: TalkOptions = {},
): Promise<Talk> {
  const { pauseMs = 0, halfClose = true, want = Infinity, waitMs = 3000 } = options;
  const conn = await connect(t, options.connectMs);
  options.before?.(conn);
  const t0 = performance.now();
  let stop = false;
  const writing = (async () => {
    for (let i = 0; i < parts.length && !stop; i++) {
      if (i > 0 && pauseMs > 0) await sleep(pauseMs);
      for (let off = 0; off < parts[i].length && !stop;) {
        off += await conn.write(parts[i].subarray(off));
      }
    }
    if (halfClose && !stop) await conn.closeWrite();
  })().catch(() => {}); // a peer that closed early: what it sent is the evidence
  const got = await readFor(conn, t0 + waitMs + pauseMs * parts.length, want);
  stop = true;
  conn.close();
  await writing;
  return { ...got, ms: performance.now() - t0 };
}

/** The most bytes the grader keeps from one peer: far more than any check sends (100 KiB). */
export const MAX_KEPT = 4 << 20;

/**
 * Reads until EOF, a reset, `want` bytes, {@link MAX_KEPT} bytes (a program that floods the
 * grader), or the time `end` (a performance.now() value).
 */
export async function readFor(
  conn: Deno.Conn,
  end: number,
  want = Infinity,
): Promise<{ reply: Uint8Array; eof: boolean; reset: boolean }> {
  let reply = new Uint8Array(64 * 1024);
  let len = 0, eof = false, reset = false;
  while (len < Math.min(want, MAX_KEPT)) {
    if (len === reply.length) {
      const bigger = new Uint8Array(len * 2);
      bigger.set(reply);
      reply = bigger;
    }
    const pending = conn.read(reply.subarray(len));
    pending.catch(() => {}); // after a timeout it fails when the connection closes
    try {
      const n = await within(pending, end - performance.now(), "");
      if (n === null) {
        eof = true;
        break;
      }
      len += n;
    } catch (err) {
      if (err instanceof TimeoutError) break;
      reset = true; // ECONNRESET, or the connection was closed under the read
      break;
    }
  }
  return { reply: reply.subarray(0, len), eof, reset };
}

/** Sends one datagram from a fresh socket and waits `waitMs` for one reply. */
export async function udpAsk(
  t: Target,
  payload: Uint8Array,
  waitMs = 2000,
): Promise<{ reply: Uint8Array; from: Deno.NetAddr } | null> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: t.host, port: 0 });
  const pending = socket.receive();
  pending.catch(() => {});
  try {
    await socket.send(payload, { transport: "udp", hostname: t.host, port: t.port });
    const [reply, from] = await within(pending, waitMs, "");
    return { reply, from: from as Deno.NetAddr };
  } catch (err) {
    if (err instanceof TimeoutError) return null;
    throw new Failed(`sending ${show(payload)} failed: ${(err as Error).message}.`);
  } finally {
    socket.close();
  }
}

/** How the grader's TCP server treats each client. */
export interface PeerOptions {
  /** Answer only after the client's half-close (default: upper-case and send as data arrives). */
  afterEof?: boolean;
  /** Upper-case (tcp) or echo unchanged (echo). */
  upper: boolean;
  /** Send the answer in pieces of this many bytes... */
  pieceBytes?: number;
  /** ...with this pause between them, in ms. */
  pieceMs?: number;
  /** Give up on a client after this long with no EOF, in ms (default 3 s); then close. */
  idleMs?: number;
}

/** What the grader's server saw of one client. */
export interface Seen {
  /** Everything the client sent. */
  data: Uint8Array;
  /** The client half-closed (or closed) its side. */
  eof: boolean;
}

/**
 * The grader's TCP server for client exercises: runs `body` with its address, then stops and
 * returns what each client sent.
 */
export async function withTcpPeer(
  options: PeerOptions,
  body: (t: Target) => Promise<void>,
): Promise<Seen[]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: Seen[] = [];
  const tasks: Promise<void>[] = [];
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const s: Seen = { data: new Uint8Array(0), eof: false };
      seen.push(s);
      tasks.push(
        peer(conn, s, options).catch(() => {}).finally(() => {
          conns.delete(conn);
          closeQuietly(conn); // the grader may have closed it already, at the end below
        }),
      );
    }
  })().catch(() => {});
  try {
    await body({ host: "127.0.0.1", port: listener.addr.port });
  } finally {
    listener.close();
    await serving;
    for (const conn of conns) closeQuietly(conn); // wakes their pending reads
    await Promise.all(tasks);
  }
  return seen;
}

async function peer(conn: Deno.Conn, s: Seen, o: PeerOptions): Promise<void> {
  const send = async (data: Uint8Array) => {
    const answer = o.upper ? asciiUpper(data, new Uint8Array(data.length)) : data.slice();
    const piece = o.pieceBytes ?? answer.length;
    for (let off = 0; off < answer.length; off += piece) {
      if (off > 0 && o.pieceMs) await sleep(o.pieceMs);
      const part = answer.subarray(off, off + piece);
      for (let w = 0; w < part.length;) w += await conn.write(part.subarray(w));
    }
  };
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  let end = performance.now() + (o.idleMs ?? 3000);
  // The client's own run is bounded in time (the grader stops it); its bytes are bounded here.
  try {
    for (let kept = 0; kept < MAX_KEPT;) {
      const pending = conn.read(buf);
      pending.catch(() => {});
      const n = await within(pending, end - performance.now(), "").catch(() => undefined);
      if (n === undefined) break; // the client said nothing more in time: give up, close
      if (n === null) {
        s.eof = true;
        break;
      }
      const data = buf.slice(0, n);
      chunks.push(data);
      kept += n;
      end = performance.now() + (o.idleMs ?? 3000);
      if (!o.afterEof) await send(data); // throws if the client has gone: what it sent still counts
    }
  } finally {
    s.data = joinBytes(chunks);
  }
  if (o.afterEof && s.eof) await send(s.data);
}

/** The grader's UDP server: upper-cases each datagram back to its sender, dropping the first `drop`. */
export async function withUdpPeer(
  drop: number,
  body: (t: Target) => Promise<void>,
): Promise<Uint8Array[]> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const seen: Uint8Array[] = [];
  const serving = (async () => {
    while (true) {
      const [data, from] = await socket.receive();
      if (seen.length < 1000) seen.push(data); // a client that floods: the first 1,000 are enough
      if (seen.length > drop) {
        await socket.send(asciiUpper(data, new Uint8Array(data.length)), from);
      }
    }
  })().catch(() => {});
  try {
    await body({ host: "127.0.0.1", port: (socket.addr as Deno.NetAddr).port });
  } finally {
    socket.close();
    await serving;
  }
  return seen;
}

/** The text of some bytes (invalid UTF-8 shown as U+FFFD). */
export function text(data: Uint8Array): string {
  return dec.decode(data);
}

/** The arrays, one after the other, in one new array. */
export function joinBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) (out.set(p, off), off += p.length);
  return out;
}

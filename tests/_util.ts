/** In-process test helpers: a server on port 0 for the length of one test, always stopped. */
import { sleep, within } from "../lib/deadline.ts";
import { type Logger } from "../lib/log.ts";

/** Log lines collected by a server under test. */
export type Lines = string[];

/**
 * Runs `serve` on `listener` with a collecting logger, calls `body`, then aborts and waits for
 * the server to finish, so every socket is closed before the test ends (the sanitizers check).
 */
export async function withServer<L extends { addr: Deno.Addr }>(
  listener: L,
  serve: (listener: L, opts: { signal: AbortSignal; log: Logger }) => Promise<void>,
  body: (addr: Deno.NetAddr, log: Lines) => Promise<void>,
): Promise<Lines> {
  const log: Lines = [];
  const stop = new AbortController();
  const serving = serve(listener, { signal: stop.signal, log: (l: string) => void log.push(l) });
  try {
    await body(listener.addr as Deno.NetAddr, log);
  } finally {
    stop.abort();
    await serving;
  }
  return log;
}

export { sleep };

/** Waits until `pred()` holds, polling; throws after `timeoutMs`. */
export async function until(
  pred: () => boolean,
  what: string | (() => string),
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    }
    await sleep(5);
  }
}

/** Python's bytes.upper(), a byte at a time: the reference the fast version must match. */
export function upperReference(b: Uint8Array): Uint8Array {
  return b.map((x) => (x >= 0x61 && x <= 0x7a ? x - 32 : x));
}

/**
 * A client that writes up to 64 MiB and never reads: both socket buffers fill and the server's
 * writes stall. `close()` ends it (closing with unread data sends a reset).
 */
export async function neverReads(port: number): Promise<{ close(): Promise<void> }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const block = new Uint8Array(1 << 20);
  const writing = (async () => {
    for (let i = 0; i < 64; i++) await conn.write(block);
  })().catch(() => {}); // ends when either side closes
  return {
    async close() {
      try {
        conn.close();
      } catch { /* closed */ }
      await writing;
    },
  };
}

/** `Deno.listen` on TCP with an optional backlog, for tests that need a listener of their own. */
export function listenTcp(hostname: string, port: number, backlog?: number): Deno.TcpListener {
  return Deno.listen({ hostname, port, transport: "tcp", tcpBacklog: backlog });
}

/** sendall(): writes every byte, looping over partial writes. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/** Reads until EOF (at most `limit` bytes), giving up after `timeoutMs` in all. */
export async function readToEnd(conn: Deno.Conn, limit: number, timeoutMs = 10_000) {
  const buf = new Uint8Array(limit + 1);
  let len = 0;
  const end = performance.now() + timeoutMs;
  for (let n; (n = await within(conn.read(buf.subarray(len)), end - performance.now(), "EOF"));) {
    if ((len += n) > limit) throw new Error(`more than ${limit} bytes`);
  }
  return buf.subarray(0, len);
}

/** In-process test helpers: a server on port 0 for the length of one test, always stopped. */
import { idle as deadlinesIdle } from "../lib/deadline.ts";

/** Log lines collected by a server under test. */
export type Lines = string[];

/**
 * Runs `serve` on `listener` with a collecting logger, calls `body`, then aborts and waits for
 * the server to finish, so every socket is closed before the test ends (the sanitizers check).
 */
export async function withServer<L extends { addr: Deno.Addr }>(
  listener: L,
  serve: (listener: L, opts: { signal: AbortSignal; log: (l: string) => void }) => Promise<void>,
  body: (addr: Deno.NetAddr, log: Lines) => Promise<void>,
): Promise<Lines> {
  const log: Lines = [];
  const stop = new AbortController();
  const serving = serve(listener, { signal: stop.signal, log: (l) => log.push(l) });
  try {
    await body(listener.addr as Deno.NetAddr, log);
  } finally {
    stop.abort();
    await serving;
    await deadlinesIdle(); // the shared deadline clock stops within one tick
  }
  return log;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

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

/**
 * The accept loop every TCP example shares: many peers at once, one task each, a cap on how
 * many, and a clean stop.
 *
 * The documents' servers handle one connection at a time (`while 1: accept(); ...`), so one
 * silent client blocks everyone. Here each accepted connection gets its own task; a peer's
 * failure (reset, garbage, timeout) is logged and ends only that peer's exchange. At the cap,
 * the loop stops accepting until a connection ends: new peers wait in the kernel's backlog (the
 * `listen(backlog)` queue) instead of exhausting memory or file descriptors. On abort (Ctrl-C,
 * SIGTERM) it stops accepting, lets exchanges in progress finish for a bounded time, closes what
 * is left, and returns.
 *
 * @module
 */
import { hashAddr } from "./address.ts";
import { closeQuietly, explain } from "./errors.ts";
import { flushLog, type Logger, stdoutLogger } from "./log.ts";

/** Handles one connection. Return (or throw) when done; the connection is closed after. */
export type ConnectionHandler = (conn: Deno.Conn, peer: Deno.NetAddr) => Promise<void>;

/** Options for {@link serveConnections}. */
export interface ServeOptions {
  /** Stops the server. */
  signal?: AbortSignal;
  /** Most connections handled at once (default 512). */
  maxConnections?: number;
  /** After abort, how long exchanges may still run before being closed, in ms (default 2000). */
  graceMs?: number;
  /** Where per-peer failures are logged (default: stdout). */
  log?: Logger;
}

/**
 * Accepts connections on `listener` until `signal` aborts, running `handler` for each in its own
 * task. Closes the listener and every connection before it returns.
 *
 * @param listener a listening socket
 * @param handler what to do with one connection
 * @param options signal, connection cap, grace period, logger
 */
export async function serveConnections(
  listener: Deno.Listener,
  handler: ConnectionHandler,
  { signal, maxConnections = 512, graceMs = 2000, log = stdoutLogger }: ServeOptions = {},
): Promise<void> {
  const active = new Map<Deno.Conn, Promise<void>>();
  let slotFreed: (() => void) | undefined;
  const stop = () => {
    closeQuietly(listener);
    slotFreed?.();
  };
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();

  try {
    while (!signal?.aborted) {
      if (active.size >= maxConnections) {
        // At the cap: do not accept; wait until a connection ends (or the server stops).
        await new Promise<void>((resolve) => slotFreed = resolve);
        continue;
      }
      let conn: Deno.Conn;
      try {
        // accept(): the next connection from the queue the kernel keeps for this socket.
        conn = await listener.accept();
      } catch (err) {
        if (signal?.aborted || err instanceof Deno.errors.BadResource) break;
        // Out of file descriptors and the like: say so, breathe, try again.
        log(`accept failed: ${explain(err)}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const peer = conn.remoteAddr as Deno.NetAddr;
      const task = handler(conn, peer)
        .catch((err) => {
          // Connections closed by our own shutdown end with BadResource/Interrupted: not news.
          const ours = signal?.aborted &&
            (err instanceof Deno.errors.BadResource || err instanceof Deno.errors.Interrupted);
          if (!ours) log(`${hashAddr(peer)}: ${explain(err)}`);
        })
        .finally(() => {
          closeQuietly(conn);
          active.delete(conn);
          slotFreed?.();
          slotFreed = undefined;
        });
      active.set(conn, task);
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    closeQuietly(listener);
    // Let exchanges in progress finish, for a while; then close them, which ends their reads.
    if (active.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise((r) => timer = setTimeout(r, graceMs));
      await Promise.race([Promise.all(active.values()), grace]);
      clearTimeout(timer);
      for (const conn of active.keys()) closeQuietly(conn);
      await Promise.all(active.values());
    }
    flushLog();
  }
}

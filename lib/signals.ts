/**
 * Ctrl-C and SIGTERM as an `AbortSignal`: servers stop on the signal, close their sockets and
 * exit 0, instead of dying mid-write.
 *
 * @module
 */
import { flushLog } from "./log.ts";

/** A signal that aborts on SIGINT or SIGTERM, and the means to stop listening. */
export interface ShutdownSignal {
  /** Aborted when SIGINT or SIGTERM arrives. */
  signal: AbortSignal;
  /** Removes the OS signal listeners (call once the server has stopped). */
  dispose(): void;
}

/**
 * Listens for SIGINT (Ctrl-C) and SIGTERM and aborts the returned signal on the first. SIGTERM
 * is not available on Windows and is skipped there.
 *
 * @returns the signal and a dispose function
 */
export function onShutdown(): ShutdownSignal {
  const controller = new AbortController();
  const handler = () => controller.abort(new Error("interrupted"));
  const added: Deno.Signal[] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, handler);
      added.push(sig);
    } catch {
      // not supported on this OS
    }
  }
  return {
    signal: controller.signal,
    dispose() {
      for (const sig of added) Deno.removeSignalListener(sig, handler);
    },
  };
}

/**
 * Runs a server until Ctrl-C or SIGTERM: `run` gets a signal that aborts on either. When it
 * returns, the OS signal listeners are removed and the log's last lines are written.
 *
 * @param run the server, which must stop when its signal aborts
 */
export async function untilShutdown(run: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const shutdown = onShutdown();
  try {
    await run(shutdown.signal);
  } finally {
    shutdown.dispose();
    flushLog();
  }
}

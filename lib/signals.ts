/**
 * Ctrl-C and SIGTERM as an `AbortSignal`: servers stop on the signal, close their sockets and
 * exit 0, instead of dying mid-write.
 *
 * @module
 */
import { flushLog } from "./log.ts";

/**
 * Runs a server until Ctrl-C (SIGINT) or SIGTERM: `run` gets a signal that aborts on the first
 * of them (SIGTERM is skipped where the OS has none, as on Windows). When `run` returns, the OS
 * signal listeners are removed and the log's last lines are written.
 *
 * @param run the server, which must stop when its signal aborts
 */
export async function untilShutdown(run: (signal: AbortSignal) => Promise<void>): Promise<void> {
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
  try {
    await run(controller.signal);
  } finally {
    for (const sig of added) Deno.removeSignalListener(sig, handler);
    flushLog();
  }
}

/** Ctrl-C and SIGTERM as an `AbortSignal`: servers close their sockets and exit 0. @module */
/**
 * Runs a server until Ctrl-C (SIGINT) or SIGTERM: `run` gets a signal that aborts on the first
 * of them (SIGTERM is skipped where the OS has none, as on Windows). The signal listeners stay
 * until the process exits (`runMain` exits right after): a Ctrl-C that lands while a server is
 * already stopping by itself (an ipv6_server sent STOP) then changes nothing, where without a
 * listener it would kill the process with code 130.
 */
export async function untilShutdown(run: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const controller = new AbortController();
  const handler = () => controller.abort(new Error("interrupted"));
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, handler);
    } catch {
      // not supported on this OS
    }
  }
  await run(controller.signal);
}

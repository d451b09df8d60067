/**
 * Opening TCP sockets: the listening side and the connecting side, with errors that say which
 * address failed.
 *
 * @module
 */
import { hostPort } from "./address.ts";
import { withContext } from "./errors.ts";

/**
 * `socket()` + `bind()` + `listen()`: a TCP listening socket. `Deno.listen` does all three and
 * sets `SO_REUSEADDR`, so a restarted server can bind while old connections linger in TIME_WAIT.
 *
 * @param hostname the local address (`127.0.0.1`, `::1`, `0.0.0.0`, `::`)
 * @param port the local port (0: the OS picks)
 * @param backlog the `listen()` queue length (default: Deno's)
 * @returns the listener; a failure says `cannot listen on <host>:<port>` with a hint
 */
export function listenTcp(hostname: string, port: number, backlog?: number): Deno.TcpListener {
  try {
    return Deno.listen({ hostname, port, transport: "tcp", tcpBacklog: backlog });
  } catch (err) {
    throw withContext(`cannot listen on TCP ${hostPort({ hostname, port })}`, err);
  }
}

/**
 * `socket()` + `connect()`, giving up after `timeoutMs` (the kernel's own limit is minutes).
 *
 * @param hostname the server's address or name
 * @param port the server's port
 * @param timeoutMs how long to wait for the handshake (default 10 s)
 * @returns the connection; a failure says `cannot connect to <host>:<port>` with a hint
 */
export async function connectTcp(
  hostname: string,
  port: number,
  timeoutMs = 10_000,
): Promise<Deno.TcpConn> {
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Deno.errors.TimedOut("connect timed out")),
    timeoutMs,
  );
  try {
    return await Deno.connect({ hostname, port, transport: "tcp", signal: abort.signal });
  } catch (err) {
    const cause = abort.signal.aborted ? abort.signal.reason : err;
    throw withContext(`cannot connect to ${hostPort({ hostname, port })}`, cause);
  } finally {
    clearTimeout(timer);
  }
}

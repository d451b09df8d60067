/**
 * Expected failures become one line that says what went wrong and what to do.
 *
 * Two tiers, as in tokio's examples and Beej's guide: a peer's misbehaviour ends that peer's
 * exchange with a log line (the servers handle that themselves); a setup failure (bad flag, port
 * in use, no permission, nobody listening) ends the program through {@link runMain} with one
 * line prefixed by the program's name and a non-zero exit code. No stack traces for those.
 *
 * @module
 */
import { HelpRequested, UsageError } from "./cli.ts";
import { flushLog } from "./log.ts";

/** A failure whose message is already written for the user (no hint is added). */
export class UserError extends Error {
  /**
   * Makes the error.
   *
   * @param message the whole line to print after the program's name
   * @param options `cause`: the underlying error, kept for debugging
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
  }
}

/**
 * Adds context to a failure from the network (`cannot bind 127.0.0.1:12000`), keeping the
 * original as `cause` so {@link explain} can add the right hint.
 *
 * @param context what was being attempted
 * @param err the error thrown
 * @returns an Error whose message is `context` and whose cause is `err`
 */
export function withContext(context: string, err: unknown): Error {
  return new Error(context, { cause: err });
}

/** One hint per kind of failure a student meets while learning sockets. */
function hint(err: unknown): string {
  const e = Deno.errors;
  if (err instanceof e.AddrInUse) {
    return "address already in use: another program (maybe an earlier run) has this port; " +
      "stop it or choose another --port (0 lets the OS pick a free one)";
  }
  if (err instanceof e.NotCapable || err instanceof e.PermissionDenied) {
    const msg = err.message;
    if (/net access/i.test(msg)) {
      return "no network permission: run again with --allow-net (see the run line in the " +
        "file's header)";
    }
    return `permission denied: ${msg} (see the run line in the file's header)`;
  }
  if (err instanceof e.ConnectionRefused) {
    return "connection refused: nothing listens there; is the server running, on that host " +
      "and port?";
  }
  if (err instanceof e.AddrNotAvailable) {
    return "address not available: this machine has no such address; use 127.0.0.1, ::1, " +
      "0.0.0.0 or :: (or one of this host's addresses)";
  }
  if (err instanceof e.ConnectionReset) return "connection reset by the peer";
  if (err instanceof e.TimedOut) return `timed out: ${err.message}`;
  if (err instanceof e.NotFound) return `not found: ${(err as Error).message}`;
  if (err instanceof Error && /os error 97|family not supported/i.test(err.message)) {
    return "address family not supported: an IPv4 socket cannot reach an IPv6 address or the " +
      "other way round";
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Turns an error into the one line a user should read: the context chain joined by `: `, ending
 * with a hint for the root cause.
 *
 * @param err anything thrown
 * @returns one line, without the program's name
 */
export function explain(err: unknown): string {
  if (err instanceof UserError || err instanceof UsageError) return err.message;
  if (err instanceof Error && err.cause !== undefined && !isDenoError(err)) {
    return `${err.message}: ${explain(err.cause)}`;
  }
  return hint(err);
}

function isDenoError(err: Error): boolean {
  return Object.values(Deno.errors).some((cls) => err instanceof cls);
}

/**
 * Closes a socket (or anything closable) that may already be closed, ignoring `BadResource`.
 *
 * @param resource the socket, listener or connection
 */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}

/**
 * How long a server's accept loop pauses after `accept()` failed with `err`. A connection that
 * died in the queue (the client reset or aborted before it was accepted: ENOTCONN, ECONNABORTED,
 * ECONNRESET, EPROTO) says nothing about the next one: 0, take it at once. Anything else, such
 * as running out of file descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), would fail
 * again at once: a short pause, so the loop does not spin.
 *
 * @param err what `accept()` threw
 * @returns the pause in ms: 0, or 50
 */
export function acceptRetryMs(err: unknown): number {
  const e = Deno.errors;
  const gone = err instanceof e.NotConnected || err instanceof e.ConnectionAborted ||
    err instanceof e.ConnectionReset || (err instanceof Error && /os error 71\b/.test(err.message));
  return gone ? 0 : 50;
}

/**
 * For `.catch()` after `closeWrite()`: a peer that already closed or reset the connection leaves
 * nothing to shut down (ENOTCONN), and what it did shows in the next read. Anything else is
 * rethrown.
 *
 * @param err what `closeWrite()` rejected with
 */
export function ignoreGone(err: unknown): void {
  if (!(err instanceof Deno.errors.NotConnected || err instanceof Deno.errors.BadResource)) {
    throw err;
  }
}

/** Is UDP available? `Deno.listenDatagram` exists only with the unstable `net` feature. */
export function requireUnstableNet(): void {
  if (typeof Deno.listenDatagram !== "function") {
    throw new UserError(
      "UDP sockets need Deno's unstable net API: run from the repository folder (its deno.json " +
        "enables it) or add --unstable-net to the deno run line",
    );
  }
}

/**
 * Runs a script's CLI: calls `main`, turns expected failures into one line on stderr and an
 * exit code (2 for usage errors, 1 for everything else). `--help` prints the whole `usage` plus
 * a line for `--help` itself (exit 0); a usage error prints the error, then `usage` from its
 * `usage:` line on.
 *
 * @param name the program's name, the prefix of every error line (`udp_client`)
 * @param usage one sentence on what the program does, then `usage: ...` and a line per
 *   argument and flag
 * @param main the program; its resolved number (if any) is the exit code
 */
export async function runMain(
  name: string,
  usage: string,
  main: () => Promise<number | void> | number | void,
): Promise<never> {
  let code = 0;
  const synopsis = usage.slice(Math.max(0, usage.indexOf("usage: ")));
  try {
    code = (await main()) ?? 0;
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(withHelpLine(usage));
    } else if (err instanceof UsageError) {
      console.error(`${name}: ${err.message}`);
      console.error(synopsis);
      code = 2;
    } else {
      console.error(`${name}: ${explain(err)}`);
      code = 1;
    }
  }
  flushLog();
  Deno.exit(code);
}

/** `usage` plus `  --help, -h  print this help`, aligned with the other flags' descriptions. */
function withHelpLine(usage: string): string {
  const flag = usage.split("\n").map((l) => l.match(/^( {2}\S.*? {2,})\S/)).find(Boolean);
  const width = Math.max(flag ? flag[1].length : 0, 14);
  return `${usage}\n${"  --help, -h".padEnd(width)}print this help and exit`;
}

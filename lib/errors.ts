/**
 * Expected failures as one line that says what went wrong and what to do: a peer's failure ends
 * its exchange with a log line; a setup failure ends the program ({@link runMain}), exit 1 or 2.
 * @module
 */
import { HelpRequested, UsageError } from "./cli.ts";

/** A failure whose message is already written for the user (no hint is added). */
export class UserError extends Error {
  /** Makes the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
  }
}

/**
 * Adds context to a failure from the network (`cannot bind 127.0.0.1:12000`), keeping the
 * original as `cause` so {@link explain} can add the right hint.
 */
export function withContext(context: string, err: unknown): Error {
  return new Error(context, { cause: err });
}

/**
 * Runs `call` (a socket call that can fail at once, such as `Deno.listen`), adding `cannot
 * <what>` as context to its failure: `cannot listen on TCP 127.0.0.1:12000: address already in
 * use ...`.
 */
export function tryTo<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (err) {
    throw withContext(`cannot ${what}`, err);
  }
}

/** One hint per kind of failure a student meets while learning sockets. */
function hint(err: unknown, context = ""): string {
  const e = Deno.errors;
  // Deno.connect's own getaddrinfo: the name is in the context, `cannot connect to NAME:PORT`.
  const lookup = err instanceof Error && /^failed to lookup address/.test(err.message);
  if (lookup) {
    const name = context.match(/ ([^ ]+?):\d+$/)?.[1].replace(/^\[|\]$/g, "") ?? "that name";
    return /Temporary failure/.test(err.message)
      ? `cannot resolve ${name}: no answer from the name server (offline?)`
      : `no address found for ${name}`;
  }
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
  if (err instanceof e.BadResource || err instanceof e.Interrupted) {
    return "the socket was closed (the server is stopping)";
  }
  if (err instanceof e.TimedOut) return `timed out: ${err.message}`;
  if (err instanceof e.NotFound) return `not found: ${(err as Error).message}`;
  if (err instanceof Error && /os error 97|family not supported/i.test(err.message)) {
    return "address family not supported: an IPv4 socket cannot reach an IPv6 address or the " +
      "other way round";
  }
  if (err instanceof TypeError && /listenDatagram is not a function/.test(err.message)) {
    return "UDP sockets need Deno's unstable net API: run from the repository folder (its " +
      "deno.json enables it) or add --unstable-net to the deno run line";
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Turns an error into the one line a user should read: the context chain joined by `: `, ending
 * with a hint for the root cause.
 */
export function explain(err: unknown, context = ""): string {
  if (err instanceof UserError || err instanceof UsageError) return err.message;
  if (err instanceof Error && err.cause !== undefined && !isDenoError(err)) {
    return `${err.message}: ${explain(err.cause, err.message)}`;
  }
  return hint(err, context);
}

function isDenoError(err: Error): boolean {
  return Object.values(Deno.errors).some((cls) => err instanceof cls);
}

/** Closes a socket (or anything closable) that may already be closed, ignoring `BadResource`. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // already closed
  }
}

/**
 * Whether a server's loop goes on after `accept()` or `receive()` threw `err`: not once its socket
 * is closed (stopping); at once after a connection that died in the queue (ECONNRESET, ...); after
 * a logged 50 ms pause otherwise (EMFILE: `for await (const conn of listener)` would end there).
 */
export async function keepServing(
  err: unknown,
  log: (line: string) => void,
  call: "accept" | "receive" = "accept",
): Promise<boolean> {
  const e = Deno.errors;
  if (err instanceof e.BadResource || err instanceof e.Interrupted) return false;
  const gone = err instanceof e.NotConnected || err instanceof e.ConnectionAborted ||
    err instanceof e.ConnectionReset || (err instanceof Error && /os error 71\b/.test(err.message));
  if (!gone) {
    log(`${call}() failed: ${explain(err)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * For `.catch()` after `closeWrite()`: a peer that already closed or reset the connection leaves
 * nothing to shut down (ENOTCONN), and what it did shows in the next read. Anything else is
 * rethrown.
 */
export function ignoreGone(err: unknown): void {
  if (!(err instanceof Deno.errors.NotConnected || err instanceof Deno.errors.BadResource)) {
    throw err;
  }
}

/**
 * Runs a script's CLI: calls `main`, turns expected failures into one line on stderr and an
 * exit code (2 for usage errors, 1 for everything else). `--help` prints the whole `usage` plus
 * a line for `--help` itself (exit 0); a usage error prints the error, then `usage` from its
 * `usage:` line on.
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
  Deno.exit(code);
}

/** `usage` plus `  --help, -h  print this help`, aligned with the other flags' descriptions. */
function withHelpLine(usage: string): string {
  const flag = usage.split("\n").map((l) => l.match(/^( {2}\S.*? {2,})\S/)).find(Boolean);
  const width = Math.max(flag ? flag[1].length : 0, 14);
  return `${usage}\n${"  --help, -h".padEnd(width)}print this help and exit`;
}

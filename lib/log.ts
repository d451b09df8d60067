/**
 * Logging with a little colour for emphasis, and none when it would get in the way: colour is
 * off when `NO_COLOR` is set (https://no-color.org) or when stdout is not a terminal (a pipe, a
 * file, a test capturing the output).
 *
 * @module
 */
import { bold, dim, getColorEnabled, setColorEnabled } from "@std/fmt/colors";

let decided = false;

/* Decides once whether colour is on: not with `NO_COLOR`, not when stdout is not a TTY. */
function colorEnabled(): boolean {
  if (!decided) {
    decided = true;
    let tty = false;
    try {
      tty = Deno.stdout.isTerminal();
    } catch {
      tty = false;
    }
    setColorEnabled(tty && !Deno.noColor);
  }
  return getColorEnabled();
}

/** Bold, for what a reader should see first (the listening line, a reply). */
export function strong(text: string): string {
  return colorEnabled() ? bold(text) : text;
}

/** Dim, for secondary detail (timings, hints). */
export function faint(text: string): string {
  return colorEnabled() ? dim(text) : text;
}

/** A prefixed logger for a server's per-peer events: `log("peer closed")`. */
export type Logger = (line: string) => void;

const pendingLines: string[] = [];
let flushScheduled = false;
let stdoutGone = false; // set once stdout cannot be written: log lines are dropped from then on
const lineEncoder = new TextEncoder();

/**
 * Writes the log lines waiting in {@link stdoutLogger}'s batch. Called by the servers when they
 * stop and by `runMain` before exiting, so nothing is lost and order with `console.log` holds.
 * If stdout cannot be written (a closed pipe: `... | head -3`), the server goes on without its
 * log: the lines are dropped, and one line on stderr says so.
 */
export function flushLog(): void {
  flushScheduled = false;
  if (pendingLines.length === 0) return;
  const bytes = lineEncoder.encode(pendingLines.join("\n") + "\n");
  pendingLines.length = 0;
  if (stdoutGone) return;
  try {
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
  } catch (err) {
    stdoutGone = true;
    try {
      console.error(`log lines are dropped from now on: stdout cannot be written (${err})`);
    } catch {
      // stderr is gone too: nothing left to tell
    }
  }
}

/** How long a log line may wait to be written with the next ones, in ms. */
export const LOG_BATCH_MS = 10;

/**
 * The default logger: a line to stdout. Lines logged within {@link LOG_BATCH_MS} are written
 * together, in one system call: under load (thousands of requests a second, a line each) a
 * `console.log` per line cost the HTTP server about 7 µs of CPU per request, and a flush timer
 * per turn of the event loop (`setTimeout(0)`) cost it 6-8% of its requests per second.
 */
export const stdoutLogger: Logger = (line) => {
  pendingLines.push(line);
  if (!flushScheduled) {
    flushScheduled = true;
    setTimeout(flushLog, LOG_BATCH_MS);
  }
};

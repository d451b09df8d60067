/**
 * Logging with a little colour for emphasis, and none when it would get in the way: colour is
 * off when `NO_COLOR` is set (https://no-color.org) or when stdout is not a terminal (a pipe, a
 * file, a test capturing the output).
 *
 * @module
 */
import { bold, dim, getColorEnabled, setColorEnabled } from "@std/fmt/colors";
import { printable, visibleAscii } from "./bytes.ts";

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

/** What a log line may hold besides text: a number, a peer's bytes, a peer's address. */
export type LogValue = string | number | Uint8Array | Deno.NetAddr;

/**
 * A server's logger, for its per-peer events. Called with a string, `log("peer closed")`, or as
 * a tag, log`Received from ${addr}: ${bytes}`: then a number is written in decimal, bytes as
 * {@link printable} shows them (escaped, shortened) and an address as `host#port` (as
 * `hashAddr` writes it), and {@link stdoutLogger} writes them straight into its batch without
 * building the line as a string first.
 */
export type Logger = (line: string | TemplateStringsArray, ...values: LogValue[]) => void;

/**
 * The line a {@link Logger} call stands for, as one string.
 *
 * @param line the text, or a tagged call's literal parts
 * @param values a tagged call's values
 * @returns the line
 */
export function formatLine(line: string | TemplateStringsArray, ...values: LogValue[]): string {
  if (typeof line === "string") return line;
  let text = line[0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    text += (typeof v === "string"
      ? v
      : typeof v === "number"
      ? `${v}`
      : v instanceof Uint8Array
      ? printable(v)
      : `${v.hostname}#${v.port}`) + line[i + 1];
  }
  return text;
}

/**
 * A {@link Logger} that hands every line to `sink` as a string: a test's array of lines.
 *
 * @param sink takes each line
 * @returns the logger
 */
export function lineLogger(sink: (line: string) => void): Logger {
  return (line, ...values) => sink(formatLine(line, ...values));
}

let stdoutGone = false; // set once stdout cannot be written: log lines are dropped from then on
const lineEncoder = new TextEncoder();
// The batch: lines written as bytes as they are logged, into one buffer reused from batch to
// batch. No string per line is kept (thousands of them, alive for 10 ms, would each live through
// a young-generation collection and be copied), and for a tagged call none is even built.
const batch = new Uint8Array(256 * 1024); // 10 ms of a busy UDP server's lines
let batched = 0; // bytes of the batch in use
let flushScheduled = false;
// A tag's parts, encoded once per call site (a Map: a site's parts live as long as its code).
const literals = new Map<TemplateStringsArray, Uint8Array[]>();

/**
 * Writes the log lines waiting in {@link stdoutLogger}'s batch. Called by the servers when they
 * stop and by `runMain` before exiting, so nothing is lost and order with `console.log` holds.
 * If stdout cannot be written (a closed pipe: `... | head -3`), the server goes on without its
 * log: the lines are dropped, and one line on stderr says so.
 */
export function flushLog(): void {
  flushScheduled = false;
  writeBatch();
}

function writeBatch(): void {
  const bytes = batch.subarray(0, batched);
  batched = 0;
  writeOut(bytes);
}

function writeOut(bytes: Uint8Array): void {
  if (stdoutGone || bytes.length === 0) return;
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

/** Makes room for `n` more bytes in the batch: false if they could never fit. */
function room(n: number): boolean {
  if (batched + n > batch.length) writeBatch();
  return n <= batch.length;
}

function putBytes(bytes: Uint8Array): void {
  if (!room(bytes.length)) return writeBatch(), writeOut(bytes);
  const n = bytes.length;
  // A few bytes (a literal, a short payload) one by one: cheaper than a call to set().
  if (n <= 64) { for (let i = 0; i < n; i++) batch[batched + i] = bytes[i]; }
  else batch.set(bytes, batched);
  batched += n;
}

function putString(text: string): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (!room(text.length * 3)) return putBytes(lineEncoder.encode(text));
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ASCII byte by byte (cheaper than a call into the encoder for a short text); the rest
    // through the encoder.
    if (c >= 0x80) {
      batched += lineEncoder.encodeInto(text.slice(i), batch.subarray(batched)).written;
      return;
    }
    batch[batched++] = c;
  }
}

function putNumber(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) return putString(`${n}`);
  room(16);
  let d = 1;
  while (d * 10 <= n) d *= 10;
  for (; d >= 1; d /= 10) batch[batched++] = 0x30 + Math.floor(n / d) % 10;
}

function putValue(v: LogValue): void {
  if (typeof v === "string") putString(v);
  else if (typeof v === "number") putNumber(v);
  else if (v instanceof Uint8Array) {
    // A peer's bytes: as they are when printable() would show them unchanged, else its text.
    if (v.length <= 200 && visibleAscii(v)) putBytes(v);
    else putString(printable(v));
  } else (putString(v.hostname), putBytes(HASH), putNumber(v.port));
}

const HASH = new Uint8Array([0x23]); // "#"
const NEWLINE = new Uint8Array([0x0a]);

/** How long a log line may wait to be written with the next ones, in ms. */
export const LOG_BATCH_MS = 10;

/**
 * The default logger: a line to stdout. Lines logged within {@link LOG_BATCH_MS} are written
 * together, in one system call: under load (thousands of requests a second, a line each) a
 * `console.log` per line cost the HTTP server about 7 µs of CPU per request, and a flush timer
 * per turn of the event loop (`setTimeout(0)`) cost it 6-8% of its requests per second. A tagged
 * call, log`...${bytes}`, costs the UDP server about 5% less than building the string.
 */
export const stdoutLogger: Logger = (line, ...values) => {
  if (typeof line === "string") putString(line);
  else {
    let parts = literals.get(line);
    if (parts === undefined) literals.set(line, parts = line.map((s) => lineEncoder.encode(s)));
    putBytes(parts[0]);
    for (let i = 0; i < values.length; i++) (putValue(values[i]), putBytes(parts[i + 1]));
  }
  putBytes(NEWLINE);
  if (!flushScheduled) {
    flushScheduled = true;
    setTimeout(flushLog, LOG_BATCH_MS);
  }
};

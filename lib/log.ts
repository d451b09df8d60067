/**
 * Log lines, written the moment they are logged (so a transcript shows events in the order they
 * happened), with a little colour for emphasis and none when it would get in the way: colour is
 * off when `NO_COLOR` is set (https://no-color.org) or when stdout is not a terminal.
 * @module
 */
import { bold, dim, setColorEnabled } from "@std/fmt/colors";

let tty = false;
try {
  tty = Deno.stdout.isTerminal();
} catch {
  // no stdout
}
setColorEnabled(tty && !Deno.noColor);

/** Bold, for what a reader should see first (the listening line, a reply). */
export function strong(text: string): string {
  return bold(text);
}

/** Dim, for secondary detail (timings, hints). */
export function faint(text: string): string {
  return dim(text);
}

/** Where a server's per-peer lines go: a function that takes one line. */
export type Logger = (line: string) => void;

/**
 * The default logger: the line to stdout, at once, with `console.log`. If stdout is closed (as in
 * `... | head -3`), the line is dropped without an error, and the server goes on serving.
 */
export function stdoutLogger(line: string): void {
  console.log(line);
}

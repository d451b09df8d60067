/**
 * Log lines, written the moment they are logged, so a transcript shows events in true order; and
 * colour for emphasis, off with `NO_COLOR` (https://no-color.org) or when stdout is no terminal.
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
 * The default logger: `console.log`, which writes the line to stdout at once, so a transcript is
 * in true time order. If stdout is closed (as in `... | head -3`), Deno drops the line without an
 * error, and the server goes on serving.
 */
export function stdoutLogger(line: string): void {
  console.log(line);
}

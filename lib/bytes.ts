/** Byte helpers: ASCII upper-casing, and safe display of bytes that may not be text. @module */

/**
 * ASCII upper-casing of bytes, exactly like Python's `bytes.upper()`: only `a`..`z` change.
 * Every byte of a UTF-8 multi-byte sequence is 0x80 or above, so `ß` and `é` pass through
 * untouched, and the result is the same wherever a stream is cut into chunks.
 */
export function asciiUpper(src: Uint8Array, dst: Uint8Array = src): Uint8Array {
  if (dst.length < src.length) throw new RangeError("asciiUpper: dst is shorter than src");
  for (let i = 0; i < src.length; i++) dst[i] = upperByte(src[i]);
  return dst;
}

function upperByte(b: number): number {
  return b >= 0x61 && b <= 0x7a ? b ^ 0x20 : b;
}

const decoder = new TextDecoder(); // replaces invalid UTF-8 with U+FFFD, never throws

/**
 * Bytes as text for a log line: UTF-8 where valid (invalid sequences become U+FFFD, never an
 * exception), control characters escaped so a peer cannot rewrite the terminal, and long
 * payloads shortened with a byte count.
 */
export function printable(bytes: Uint8Array, max = 200, total = bytes.length): string {
  const head = bytes.length > max * 4 ? bytes.subarray(0, max * 4) : bytes;
  // deno-lint-ignore no-control-regex
  let text = decoder.decode(head).replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
  if (text.length > max || head !== bytes || total > bytes.length) {
    text = `${text.slice(0, max)}... (${total} bytes)`;
  }
  return text;
}

/**
 * A peer's bytes as text that is safe to print whole: UTF-8 where valid (U+FFFD otherwise),
 * `\r\n` as a newline, and every other control character (ESC, BEL, a lone CR, C1 codes such
 * as U+009B) escaped as `\xNN`, so a peer cannot retitle, clear or rewrite the user's terminal.
 * Newlines and tabs are kept; nothing is shortened.
 */
export function terminalSafe(bytes: Uint8Array | string): string {
  const text = typeof bytes === "string" ? bytes : decoder.decode(bytes);
  return text.replace(/\r\n/g, "\n").replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/**
 * Python 2's `repr()` of a byte string, as the lecture slides print it: `'Hi there, server'`.
 * Printable ASCII as it is; quote, backslash and control bytes escaped; other bytes as `\xNN`.
 */
export function pyRepr(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    if (b === 0x27 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b === 0x09) out += "\\t";
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return `'${out}'`;
}

/** Whether every byte is visible ASCII or a space (0x20-0x7e): text that needs no escaping. */
export function visibleAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] < 0x20 || bytes[i] > 0x7e) return false;
  return true;
}

/** Bytes as hex pairs, the way a packet dump shows them. */
export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

import { assertEquals, assertThrows } from "@std/assert";
import { asciiUpper, printable, terminalSafe } from "../lib/bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The reference: Python's bytes.upper(), one byte at a time. */
function reference(b: Uint8Array): Uint8Array {
  return b.map((x) => (x >= 0x61 && x <= 0x7a ? x - 32 : x));
}

Deno.test("asciiUpper: the course's examples and Python's bytes.upper() rules", () => {
  const cases: [string, string][] = [
    ["udp is lazy", "UDP IS LAZY"],
    ["straße é", "STRAßE é"], // multi-byte UTF-8 untouched, as bytes.upper() does
    ["", ""],
    ["Hello, World! 123 `{@[", "HELLO, WORLD! 123 `{@["], // the neighbours of a..z stay
    ["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"],
    ["ça ÿ ǆ ﬀ a", "çA ÿ ǆ ﬀ A"],
  ];
  for (const [input, want] of cases) {
    assertEquals(dec.decode(asciiUpper(enc.encode(input))), want);
  }
});

Deno.test("asciiUpper: every byte value, at every alignment and length, matches the byte loop", () => {
  const all = new Uint8Array(256 * 3).map((_, i) => i & 0xff);
  for (let offset = 0; offset < 8; offset++) {
    for (const len of [0, 1, 3, 4, 15, 16, 17, 31, 255, 256, 700]) {
      const src = all.slice(offset, offset + len);
      const view = new Uint8Array(src.length + 8).subarray(offset % 4, offset % 4 + src.length);
      view.set(src);
      assertEquals(asciiUpper(view.slice()), reference(src), `offset ${offset} len ${len}`);
      // Copying into a differently aligned destination takes the byte path; same answer.
      const dst = new Uint8Array(len + 3).subarray(3);
      assertEquals(asciiUpper(view, dst), reference(src));
    }
  }
});

Deno.test("asciiUpper: 65,507 random bytes, whole and in random chunks, match the byte loop", () => {
  const data = crypto.getRandomValues(new Uint8Array(65507));
  const want = reference(data);
  assertEquals(asciiUpper(data.slice()), want);
  const chunked = data.slice();
  for (let at = 0; at < chunked.length;) {
    const n = 1 + Math.floor(Math.random() * 3000);
    asciiUpper(chunked.subarray(at, at + n));
    at += n;
  }
  assertEquals(chunked, want);
});

Deno.test("asciiUpper: refuses a destination that is too short", () => {
  assertThrows(() => asciiUpper(new Uint8Array(4), new Uint8Array(3)), RangeError);
});

Deno.test("printable: invalid UTF-8, control characters and long payloads are safe to log", () => {
  assertEquals(printable(new Uint8Array([0x68, 0xff, 0x69])), "h\uFFFDi");
  assertEquals(printable(enc.encode("a\nb\x1b[2J")), "a\\nb\\x1b[2J");
  assertEquals(printable(enc.encode("x".repeat(1000)), 10), "xxxxxxxxxx... (1000 bytes)");
  assertEquals(printable(new Uint8Array(0)), "");
});

Deno.test("printable: visible ASCII comes back as it is; anything else takes the careful path", () => {
  const enc = new TextEncoder();
  assertEquals(printable(enc.encode("GET / -> 404")), "GET / -> 404");
  assertEquals(printable(enc.encode("a\tb")), "a\\tb");
  assertEquals(printable(enc.encode("straße")), "straße");
  assertEquals(printable(enc.encode("x".repeat(201))), `${"x".repeat(200)}... (201 bytes)`);
  assertEquals(printable(enc.encode("abc"), 200, 10), "abc... (10 bytes)");
});

Deno.test("terminalSafe and printable: C1 controls are escaped too (U+009B is a one-byte CSI)", () => {
  const c1 = "a\u009b2Jb\u0085c\u009d0;title\u009c";
  assertEquals(terminalSafe(c1), "a\\x9b2Jb\\x85c\\x9d0;title\\x9c");
  assertEquals(printable(new TextEncoder().encode(c1)), "a\\x9b2Jb\\x85c\\x9d0;title\\x9c");
  // Printable text beyond them is kept as it is.
  assertEquals(terminalSafe("straße é ü €"), "straße é ü €");
});

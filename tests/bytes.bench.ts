/** `deno bench tests/bytes.bench.ts`: the word-at-a-time upper-casing against a byte loop. */
import { asciiUpper } from "../lib/bytes.ts";

const data = crypto.getRandomValues(new Uint8Array(64 * 1024));
const text = new TextEncoder().encode("the quick brown fox jumps over the lazy dog ".repeat(1490));

function byteLoop(b: Uint8Array): Uint8Array {
  for (let i = 0; i < b.length; i++) {
    const x = b[i];
    if (x >= 0x61 && x <= 0x7a) b[i] = x ^ 0x20;
  }
  return b;
}

Deno.bench("byte loop, 64 KiB random", { group: "random", baseline: true }, () => {
  byteLoop(data.slice());
});
Deno.bench("asciiUpper, 64 KiB random", { group: "random" }, () => {
  asciiUpper(data.slice());
});
Deno.bench("byte loop, 64 KiB text", { group: "text", baseline: true }, () => {
  byteLoop(text.slice());
});
Deno.bench("asciiUpper, 64 KiB text", { group: "text" }, () => {
  asciiUpper(text.slice());
});

/**
 * The `@std` modules are typed (lib/std/*.d.ts), although the npm package `deno-std` is
 * JavaScript only: each `@ts-expect-error` below is a misuse `deno check` must reject. Were the
 * types missing, every line would type-check and `deno check` would fail on an unused directive.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { parseArgs } from "@std/cli/parse-args";
import { bold, setColorEnabled } from "@std/fmt/colors";
import { STATUS_TEXT } from "@std/http/status";
import { concat, indexOfNeedle } from "@std/bytes";
import { TextLineStream } from "@std/streams/text-line-stream";

// Never called: these lines exist for `deno check` alone.
export function misuse(): number {
  // @ts-expect-error: bold takes one string and returns a string
  const n: number = bold(42, "extra", {});
  // @ts-expect-error: assertEquals needs an actual and an expected value
  assertEquals();
  // @ts-expect-error: assertMatch wants a RegExp
  assertMatch("abc", "b");
  // @ts-expect-error: parseArgs takes an array of strings
  parseArgs("--port 1");
  // @ts-expect-error: concat takes an array of Uint8Array
  concat("ab", "cd");
  // @ts-expect-error: setColorEnabled takes a boolean
  setColorEnabled("no");
  // @ts-expect-error: assertThrows wants a function
  assertThrows(42);
  return n;
}

Deno.test("@std is typed: misuse fails deno check (above), use works", async () => {
  setColorEnabled(false);
  assertEquals(bold("x"), "x");
  const maybe: string | undefined = STATUS_TEXT[404];
  assert(maybe); // narrows: `asserts expr`
  const reason: string = maybe;
  assertEquals(reason, "Not Found");
  assertEquals(parseArgs(["--port", "1", "x"], { string: ["port"] }), { _: ["x"], port: "1" });
  const joined = concat([new Uint8Array([1, 2]), new Uint8Array([3])]);
  assertEquals(indexOfNeedle(joined, new Uint8Array([2, 3])), 1);
  const lines = await Array.fromAsync(
    ReadableStream.from(["one\r\ntw", "o\n"]).pipeThrough(new TextLineStream()),
  );
  assertEquals(lines, ["one", "two"]);
});

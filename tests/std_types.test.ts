/**
 * The `@std` modules are typed (lib/std/*.d.ts), although the npm package `deno-std` is
 * JavaScript only: each `@ts-expect-error` below is a misuse `deno check` must reject. Were the
 * types missing, every line would type-check and `deno check` would fail on an unused directive.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { parseArgs } from "@std/cli/parse-args";
import { bold, setColorEnabled } from "@std/fmt/colors";
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
  // @ts-expect-error: setColorEnabled takes a boolean
  setColorEnabled("no");
  // @ts-expect-error: assertThrows wants a function
  assertThrows(42);
  return n;
}

Deno.test("@std is typed: misuse fails deno check (above), use works", async () => {
  setColorEnabled(false);
  assertEquals(bold("x"), "x");
  const maybe: string | undefined = ["Not Found"][0];
  assert(maybe); // narrows: `asserts expr`
  const reason: string = maybe;
  assertEquals(reason, "Not Found");
  assertEquals(parseArgs(["--port", "1", "x"], { string: ["port"] }), { _: ["x"], port: "1" });
  const lines = await Array.fromAsync(
    ReadableStream.from(["one\r\ntw", "o\n"]).pipeThrough(new TextLineStream()),
  );
  assertEquals(lines, ["one", "two"]);
});

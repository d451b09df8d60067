import { assertEquals } from "@std/assert";
import { hashAddr } from "../lib/address.ts";
import { formatLine, lineLogger } from "../lib/log.ts";
import { ROOT } from "./_process.ts";

const hasScript = await new Deno.Command("script", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

/** Runs the fixture under a pseudo-terminal (util-linux `script`), as a person would see it. */
async function onTerminal(env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command("script", {
    args: ["-qec", `'${Deno.execPath()}' run tests/fixtures/color.ts`, "/dev/null"],
    cwd: ROOT,
    env,
    clearEnv: true,
  }).output();
  return new TextDecoder().decode(out.stdout).replace(/\r/g, "");
}

Deno.test({
  name: "colour: bold on a terminal; none with NO_COLOR; none through a pipe",
  ignore: !hasScript,
  async fn() {
    assertEquals(await onTerminal({ PATH: "/usr/bin:/bin" }), "\x1b[1mListening\x1b[22m\n");
    assertEquals(await onTerminal({ PATH: "/usr/bin:/bin", NO_COLOR: "1" }), "Listening\n");
    // A pipe, without NO_COLOR: still no colour, because stdout is not a terminal.
    const piped = await new Deno.Command(Deno.execPath(), {
      args: ["run", "tests/fixtures/color.ts"],
      cwd: ROOT,
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
    }).output();
    assertEquals(new TextDecoder().decode(piped.stdout), "Listening\n");
  },
});

Deno.test("the log: tagged and plain lines, written as formatLine makes them, in order", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "tests/fixtures/log_lines.ts"],
    cwd: ROOT,
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const expected: string[] = JSON.parse(new TextDecoder().decode(out.stderr));
  assertEquals(new TextDecoder().decode(out.stdout), expected.join("\n") + "\n");
  assertEquals(expected.length, 21_008);
  assertEquals(expected[0], "Received from ::1#54321: hello");
  assertEquals(expected[1], "escaped: A\\x1b[2J\\n\ufffd");
  assertEquals(expected[2], `long: ${"a".repeat(200)}... (300 bytes)`);
  assertEquals(expected[3], `numbers 0 7 65535 0.5 -3 ${2 ** 60} -> 404`);
  assertEquals(expected[6], "y".repeat(300_000));
  assertEquals(expected[12_006], "line 11999 of ::1#54321");
  assertEquals(
    expected.slice(12_007, 12_010),
    [0, 1, 2].map((i) => `peer 127.0.0.1#5000: ${"abc"[i]}`),
  );
  assertEquals(expected[12_010], "peer 127.0.0.1#5001: a");
  assertEquals(expected[12_013], "peer 127.0.0.2#5001: a");
  assertEquals(expected[12_016], `peer ${"h".repeat(70)}#5001: a`);
  assertEquals(
    expected[21_007],
    "twice: 127.0.0.1#5001 127.0.0.1#5001, bytes not shown as they are: a\\x7f",
  );
});

Deno.test("lineLogger hands each line to its sink as a string", () => {
  const lines: string[] = [];
  const log = lineLogger((l) => lines.push(l));
  const bytes = new Uint8Array([0x68, 0x69, 0x07]);
  log`got ${bytes} from ${{ transport: "tcp", hostname: "127.0.0.1", port: 80 }}`;
  log("plain");
  assertEquals(lines, ["got hi\\x07 from 127.0.0.1#80", "plain"]);
  // The address as hashAddr writes it elsewhere (log.ts cannot import address.ts, which imports it).
  for (const addr of [{ hostname: "::1", port: 5 }, { hostname: "127.0.0.1", port: 65535 }]) {
    assertEquals(formatLine`${{ transport: "udp", ...addr }}`, hashAddr(addr));
  }
});

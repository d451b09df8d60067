/** Every script's command line: a bad one is one line, a usage and exit 2; --help documents it. */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { deno, ROOT } from "./_process.ts";
import { header } from "./_examples.ts";
import { STACK } from "./_servers.ts";

/** Every script in examples/, and its usage line. */
const scripts: string[] = [];
for await (const entry of Deno.readDir(`${ROOT}examples`)) {
  if (entry.name.endsWith(".ts")) scripts.push(entry.name.slice(0, -3));
}
scripts.sort();

Deno.test("every script: a bad command line is one line naming the script, a usage, exit 2", async () => {
  const checked: string[] = [];
  for (const script of scripts) {
    const help = await deno(["run", "-A", `examples/${script}.ts`, "--help"]);
    assertEquals(help.code, 0, `${script} --help: ${help.stderr}`);
    const bad = [["--no-such-flag"], ["--port"]];
    if (/--port/.test(help.stdout)) {
      bad.push(["--port", "70000"], ["--port", "0x10"], ["--port", "-1"]);
    }
    if (/--timeout/.test(help.stdout)) bad.push(["--timeout", "soon"]);
    for (const args of bad) {
      const out = await deno(["run", "-A", `examples/${script}.ts`, ...args]);
      const what = `${script} ${args.join(" ")}`;
      assertEquals(out.code, 2, `${what}: ${out.stderr}`);
      const lines = out.stderr.split("\n");
      assert(lines[0].startsWith(`${script}: `), `${what}: ${out.stderr}`);
      assertEquals(lines.filter((l) => l.startsWith(`${script}: `)).length, 1, what);
      assert(lines[1].startsWith("usage: "), `${what}: ${out.stderr}`);
      assert(!STACK.test(out.stderr), `${what}: ${out.stderr}`);
      // A negative port is a bad port, not an unknown flag `-1`.
      if (args[1] === "-1") {
        assert(!lines[0].includes('unknown flag "-1"'), lines[0]);
        if (/port/.test(lines[0])) assertMatch(lines[0], /: bad --port "-1": a port is a whole/);
      }
      checked.push(what);
    }
  }
  assert(checked.length > 3 * scripts.length, checked.join("\n"));
});

Deno.test("every script: --help opens with one sentence, documents each flag of its header, in SEC", async () => {
  for (const script of scripts) {
    const help = await deno(["run", "-A", `examples/${script}.ts`, "--help"]);
    const [first, second] = help.stdout.split("\n");
    assert(/^[A-Z].*[a-z)]/.test(first) && !first.startsWith("usage"), `${script}: ${first}`);
    assert(help.stdout.includes("\nusage: "), `${script}: no usage line`);
    assert(!second.startsWith("  "), `${script}: ${second}`);
    assertMatch(help.stdout, /^ {2}--help, -h +print this help and exit$/m);
    // Every flag of the header's run line is explained on a line of its own.
    const { run } = await header(`${script}.ts`);
    for (const flag of run.split(`${script}.ts`)[1].match(/--[a-z-]+/g) ?? []) {
      assertMatch(help.stdout, new RegExp(`^ {2}(-\\S+, )*${flag}\\b`, "m"), `${script}: ${flag}`);
    }
    // The descriptions start in one column, --help's included.
    const columns = help.stdout.split("\n").map((l) => l.match(/^ {2}\S.*? {2,}(?=\S)/)?.[0].length)
      .filter((c) => c !== undefined);
    assertEquals(new Set(columns).size, 1, `${script}: descriptions start in columns ${columns}`);
    // One unit for times: seconds, as Python's settimeout().
    assert(!/\bMS\b|SECONDS|\bmsec/.test(help.stdout), `${script}: ${help.stdout}`);
  }
});

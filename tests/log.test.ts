import { assertEquals } from "@std/assert";
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

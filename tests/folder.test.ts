/**
 * The repository works from any folder: a copy in a folder whose name has a space and an accent
 * runs the tour and a test that starts subprocesses (a URL's `pathname` would keep `%20`).
 */
import { assertEquals, assertMatch } from "@std/assert";
import { deno } from "./_process.ts";

// `deno eval` (all permissions) copies what a clone has into a new temporary folder.
const COPY = `
const dir = await Deno.makeTempDir({ prefix: "cours réseau " });
async function copy(from, to) {
  const info = await Deno.stat(from);
  if (!info.isDirectory) return await Deno.copyFile(from, to);
  await Deno.mkdir(to);
  for await (const e of Deno.readDir(from)) await copy(from + "/" + e.name, to + "/" + e.name);
}
for (const p of ["deno.json", "deno.lock", "README.md", "examples", "lib", "tests"]) {
  await copy(p, dir + "/" + p);
}
console.log(dir);
`;

Deno.test("a copy in a folder named 'cours réseau …' runs the tour and a subprocess test", async () => {
  const made = await deno(["eval", COPY]);
  assertEquals(made.code, 0, made.stderr);
  const dir = made.stdout.trim();
  assertMatch(dir, /cours réseau /);
  try {
    const tour = await deno(["task", "-q", "tour", "1"], { cwd: dir });
    assertEquals(tour.code, 0, tour.stderr);
    assertMatch(tour.stdout, /Tour complete: 1 section/);
    const filter = "echo_server.ts: its header's try-it transcript";
    const test = await deno(["task", "-q", "test", "--filter", filter], {
      cwd: dir,
      timeoutMs: 60_000,
    });
    assertEquals(test.code, 0, test.stdout + test.stderr);
    assertMatch(test.stdout, /ok \| 1 passed/);
  } finally {
    await deno(["eval", `await Deno.remove(${JSON.stringify(dir)}, { recursive: true })`]);
  }
});

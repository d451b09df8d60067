/**
 * The repository works from any folder: a copy in a folder whose name has a space and an accent
 * runs the tour and a test that starts subprocesses (a URL's `pathname` would keep `%20`).
 */
import { assertEquals, assertMatch } from "@std/assert";
import { copyRepo, deno, removeCopy } from "./_process.ts";

Deno.test("a copy in a folder named 'cours réseau …' runs the tour and a subprocess test", async () => {
  const dir = await copyRepo("cours réseau ");
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
    await removeCopy(dir);
  }
});

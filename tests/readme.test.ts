/** The index stays true: every example is in the README table, and every header is a run guide. */
import { assert, assertMatch } from "@std/assert";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const examples = [...Deno.readDirSync(new URL("../examples/", import.meta.url))]
  .filter((e) => e.isFile && e.name.endsWith(".ts"))
  .map((e) => e.name)
  .sort();

Deno.test("README: every example has a row in the table", () => {
  assert(examples.length > 0);
  for (const name of examples) {
    const cell = `| [\`examples/${name}\`](examples/${name})`;
    const row = readme.split("\n").find((line) => line.startsWith(cell));
    assert(row !== undefined && /^ *\|/.test(row.slice(cell.length)), `${name} has no README row`);
  }
});

Deno.test("README: the Quick start's first block is the two commands that work without Deno", () => {
  const quick = readme.split("## Quick start")[1];
  const block = quick.match(/```sh\n([\s\S]*?)```/)![1];
  assert(block === "npx --yes deno@2.9.6 task tour\nnpx --yes deno@2.9.6 task test\n", block);
});

Deno.test("headers: each example opens with a JSDoc run guide", async () => {
  for (const name of examples) {
    const text = await Deno.readTextFile(new URL(`../examples/${name}`, import.meta.url));
    assertMatch(text, /^\/\*\*\n \* @module /, `${name} opens with @module`);
    const header = text.slice(0, text.indexOf("*/"));
    assert(/deno (run|task) /.test(header), `${name}: no run line in its header`);
    if (name !== "tour.ts") {
      assert(/\d{3}_[0-9a-f]{16}\.txt/.test(header), `${name}: its header names no seed document`);
      assert(/--allow-/.test(header), `${name}: its header gives no permission flags`);
    }
  }
});

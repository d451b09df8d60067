/**
 * The site builds (`deno task site`), and what it built holds: a page for every example with
 * the file's code and a transcript captured during the build, links that all resolve inside the
 * site, no reference to any other host; and, when a headless browser is on PATH, the pages render.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { copyRepo, deno, removeCopy, ROOT, Running } from "./_process.ts";
import { examplesInOrder, isCommentLine, splitHeader } from "./site/build.ts";
import { EXAMPLES } from "./_examples.ts";
import { PAIRS } from "./wire/main.ts";
import { readPcap } from "./wire/pcap.ts";

const SITE = `${ROOT}_site`;
const unescape = (s: string) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");

const built = await deno(["task", "-q", "site"], { timeoutMs: 120_000 });

Deno.test("site: deno task site builds a page per example, and says where the index is", async () => {
  assertEquals(built.code, 0, built.stderr);
  assertMatch(built.stdout, /Built \d+ pages in [\d.]+ s: .*_site\/index\.html\n$/);
  const names = await examplesInOrder();
  assertEquals([...names].sort(), EXAMPLES.map((e) => e.file.replace(/\.ts$/, "")).sort());
  for (const name of names) {
    const html = await Deno.readTextFile(`${SITE}/${name}.html`);
    // The code column, in order, is the file's code (comments moved to the left column).
    const code = [...html.matchAll(/<pre class="code"><code>([\s\S]*?)<\/code><\/pre>/g)]
      .map((m) => unescape(m[1])).join("\n").split("\n").filter((l) => l.trim() !== "");
    const { body } = splitHeader(await Deno.readTextFile(`${ROOT}examples/${name}.ts`));
    let inDoc = false;
    const want = body.filter((l) => {
      const t = l.trim();
      const doc = inDoc || t.startsWith("/**");
      if (doc) inDoc = !t.endsWith("*/");
      return !doc && !isCommentLine(l) && t !== "";
    });
    assertEquals(code, want, `${name}: the page's code is not the file's`);
    // A transcript captured during the build, not the header's copy.
    const run = html.match(/<pre class="transcript"><code>([\s\S]*?)<\/code><\/pre>/)?.[1] ?? "";
    assert(run.split("\n").length >= 1 && run.trim() !== "", `${name}: no captured transcript`);
    assertMatch(html, /captured on \d{4}-\d\d-\d\d with Deno \d+\.\d+\.\d+/);
  }
});

Deno.test("site: every link resolves inside the site; nothing refers to another host", async () => {
  assertEquals(built.code, 0, built.stderr);
  const pages = new Map<string, string>();
  for await (const e of Deno.readDir(SITE)) {
    if (e.name.endsWith(".html")) pages.set(e.name, await Deno.readTextFile(`${SITE}/${e.name}`));
  }
  let links = 0;
  for (const [name, html] of pages) {
    for (const [, attr, ref] of html.matchAll(/\b(href|src)="([^"]*)"/g)) {
      assert(!/^[a-z]+:|^\/\//i.test(ref), `${name}: ${attr}="${ref}" refers to another host`);
      const [path, id] = ref.split("#");
      const target = path === "" ? html : pages.get(path);
      if (target === undefined) {
        await Deno.stat(`${SITE}/${path}`).catch(() => {
          throw new Error(`${name}: ${ref} does not exist`);
        });
      } else if (id) assert(target.includes(` id="${id}"`), `${name}: ${ref}: no such anchor`);
      links++;
    }
    assert(!/url\(|@import/.test(html), `${name}: CSS that may fetch`);
  }
  assert(links > 100, `${links} links`);
  const index = pages.get("index.html")!;
  assertMatch(index, /<a href="udp_server\.html#step-\d+">udp_server<\/a>/); // Rosetta -> step
  assertMatch(index, /<figure class="diagram"><svg class="sequence"/);
  assertMatch(index, /deno task grade/);
});

Deno.test("site: On the wire: each scenario's page shows its packets, a row and an arrow each, and its file", async () => {
  assertEquals(built.code, 0, built.stderr);
  for (const [name, pair] of Object.entries(PAIRS)) {
    const packets = readPcap(await Deno.readFile(`${SITE}/wire/${name}.pcap`));
    assert(packets.length >= 1, `${name}: no packets`);
    for (const page of pair.pages) {
      const html = await Deno.readTextFile(`${SITE}/${page}.html`);
      const section = html.match(
        new RegExp(`<section class="wire" id="wire-${name}">[\\s\\S]*?</section>`),
      )
        ?.[0];
      assert(section, `${page}.html: no On the wire section for ${name}`);
      // Captured live, or recorded, and then it says when.
      assertMatch(section, /captured live during this build|recorded on \d{4}-\d\d-\d\d by/);
      assertEquals(section.match(/<tr><td>/g)?.length, packets.length, `${page}: ${name}'s rows`);
      const arrows = section.match(/<line x1="[\d.]+" y1="(\d+(\.\d+)?)" x2="[\d.]+" y2="\1"\/>/g);
      assertEquals(arrows?.length, packets.length, `${page}: ${name}'s arrows`);
    }
  }
  // One lifeline per socket: the two UDP clients had two source ports; happy eyeballs' lost SYN.
  const udp = await Deno.readTextFile(`${SITE}/udp_client.html`);
  assertEquals(udp.match(/>client:\d+<\/text>/g)?.length, 2);
  const he = await Deno.readTextFile(`${SITE}/happy_eyeballs_client.html`);
  assertMatch(he, />client \[::1\]:\d+<\/text>/);
  assertMatch(he, /<td>connect\(\) to ::1: never answered<\/td>/);
});

/** A headless browser on PATH (and allowed to run), or null. */
function findBrowser(): string | null {
  for (const b of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      const ok = new Deno.Command(b, { args: ["--version"], stdout: "null", stderr: "null" })
        .outputSync().success;
      if (ok) return b;
    } catch { /* not installed, or not in the test task's --allow-run */ }
  }
  return null;
}
const browser = findBrowser();
if (!browser) console.log("site: no chromium on PATH, so the browser test is skipped");

Deno.test({
  name: `site: a headless browser renders the index and a page${
    browser ? "" : " (skipped: no chromium on PATH)"
  }`,
  ignore: browser === null,
  async fn() {
    assertEquals(built.code, 0, built.stderr);
    const dump = async (page: string) => {
      const out = await new Deno.Command(browser!, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--dump-dom",
          `file://${SITE}/${page}`,
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      return new TextDecoder().decode(out.stdout);
    };
    const index = await dump("index.html");
    assertMatch(index, /<title>Socket examples<\/title>/);
    // The README's sequence diagrams are pictures: an SVG each, with the participants' names.
    const svgs = [...index.matchAll(/<svg[^>]*class="sequence"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    assertEquals(svgs.length, 4);
    for (
      const who of ["udp_client", "udp_server", "tcp_client", "tcp_server", "udp_backoff_client"]
    ) {
      assert(svgs.some((svg) => svg.includes(`>${who}</text>`)), `no SVG names ${who}`);
    }
    // At 1280 px, no code column scrolls sideways (the repository's code is 100 columns wide).
    for (const name of await examplesInOrder()) {
      const html = await Deno.readTextFile(`${SITE}/${name}.html`);
      const probe =
        `<script>addEventListener("load", () => { const wide = [...document.querySelectorAll("pre.code")]
        .filter((p) => p.scrollWidth > p.clientWidth).length; document.body.dataset.wide = String(wide); });</script>`;
      await Deno.writeTextFile(`${SITE}/probe.html`, html.replace("</body>", `${probe}</body>`));
      const out = await new Deno.Command(browser!, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--window-size=1280,900",
          "--dump-dom",
          `file://${SITE}/probe.html`,
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      const wide = new TextDecoder().decode(out.stdout).match(/data-wide="(\d+)"/)?.[1];
      assertEquals(wide, "0", `${name}: ${wide} code steps scroll sideways at 1280 px`);
    }
    await Deno.remove(`${SITE}/probe.html`);
    // On the wire, as the browser has it: the UDP, TCP, echo, HTTP and happy eyeballs pages.
    for (
      const [page, name] of [
        ["udp_server", "udp"],
        ["tcp_client", "tcp"],
        ["echo_server", "echo"],
        ["http_server", "http"],
        ["happy_eyeballs_client", "happy-eyeballs"],
      ]
    ) {
      const dom = await dump(`${page}.html`);
      const section =
        dom.match(new RegExp(`<section class="wire" id="wire-${name}">[\\s\\S]*?</section>`))
          ?.[0] ?? "";
      assertMatch(
        section,
        /<svg class="sequence"[\s\S]*<\/svg>/,
        `${page}: no diagram for ${name}`,
      );
      const rows = section.match(/<tr><td>/g)?.length ?? 0;
      const packets = readPcap(await Deno.readFile(`${SITE}/wire/${name}.pcap`)).length;
      assertEquals(rows, packets, `${page}: ${rows} rows for ${packets} packets`);
    }
    const page = await dump("udp_server.html");
    assertMatch(page, /<title>udp_server: socket examples<\/title>/);
    assertMatch(page, /Opens the server's socket/); // the first step's sentence
    assertMatch(page, /Returned from server: UDP IS LAZY/); // a transcript line
    await new Deno.Command(browser!, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1200,1600",
        `--screenshot=${SITE}/screenshot.png`,
        `file://${SITE}/udp_server.html`,
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assert((await Deno.stat(`${SITE}/screenshot.png`)).size > 10_000, "no screenshot");
  },
});

/** `deno task site` in a copy of the repository where `from` became `to` in `examples/<file>`. */
async function siteAfter(file: string, from: string, to: string) {
  const dir = await copyRepo(`site ${file} `);
  try {
    const path = `${dir}/examples/${file}`;
    const edit = `const f = ${JSON.stringify(path)}; const t = await Deno.readTextFile(f); ` +
      `await Deno.writeTextFile(f, t.replace(${JSON.stringify(from)}, ${JSON.stringify(to)}));`;
    assertEquals((await deno(["eval", edit])).code, 0);
    return await deno(["task", "-q", "site"], { cwd: dir, timeoutMs: 120_000 });
  } finally {
    await removeCopy(dir);
  }
}

Deno.test("site: an example that does not run fails the build as such, not as a drift", async () => {
  // udp_server is the first page: the build stops there.
  const main = "if (import.meta.main) {";
  const out = await siteAfter("udp_server.ts", main, `${main}\n  Deno.exit(3);`);
  assertEquals(out.code, 1, out.stdout);
  assertMatch(
    out.stderr,
    /^site: examples\/udp_server\.ts could not be run for its header's transcript: no /,
  );
});

Deno.test("site: a header whose transcript no longer matches a real run fails the build, by name", async () => {
  const reply = "Returned from server: TCP IS ";
  const out = await siteAfter("tcp_client.ts", `${reply}RELIABLE`, `${reply}FAST`);
  assertEquals(out.code, 1, out.stdout);
  assertMatch(out.stderr, /^site: examples\/tcp_client\.ts drifted from its header's transcript/);
});

Deno.test("site: a transcript shows a server's line about a request before the client's about the reply", async () => {
  assertEquals(built.code, 0, built.stderr);
  const transcriptOf = async (name: string) => {
    const html = await Deno.readTextFile(`${SITE}/${name}.html`);
    const run = html.match(/<pre class="transcript"><code>([\s\S]*?)<\/code><\/pre>/)?.[1] ?? "";
    return unescape(run.replace(/<[^>]+>/g, "")).split("\n");
  };
  const udp = await transcriptOf("udp_server");
  const at = (lines: string[], re: RegExp) => {
    const i = lines.findIndex((l) => re.test(l));
    assert(i >= 0, `no ${re} in:\n${lines.join("\n")}`);
    return i;
  };
  assert(
    at(udp, /^udp_server +\| Received from .*: udp is lazy$/) < at(udp, /^udp_client +\| Returned/),
  );
  const echo = await transcriptOf("echo_client");
  assert(
    at(echo, /^echo_server +\| received "Four score and s"$/) <
      at(echo, /^echo_client +! received "Four/),
  );
});

Deno.test("site: --serve serves the pages on loopback, and Ctrl-C stops it with exit code 0", async () => {
  assertEquals(built.code, 0, built.stderr);
  const serving = new Running([
    "run",
    "--allow-read=.",
    "--allow-write=_site",
    "--allow-net=127.0.0.1,[::1],localhost",
    `--allow-run=${Deno.execPath()},curl`,
    "tests/site/build.ts",
    "--serve",
    "--port",
    "0",
  ]);
  try {
    const port = Number(
      (await serving.waitFor(/Serving http:\/\/127\.0\.0\.1:(\d+)\//, 60_000))[1],
    );
    const index = await fetch(`http://127.0.0.1:${port}/`);
    assertEquals(index.status, 200);
    await index.body?.cancel();
  } finally {
    const end = await serving.stop("SIGINT");
    assertEquals(end.code, 0, end.stderr); // it was 130: killed by the signal
  }
});

Deno.test("site: no step cuts a block or a statement in two, every step has its sentence, no {@link} text", async () => {
  assertEquals(built.code, 0, built.stderr);
  for (const name of await examplesInOrder()) {
    const html = await Deno.readTextFile(`${SITE}/${name}.html`);
    assert(!html.includes("{@link"), `${name}: a {@link} is printed as text`);
    const steps = [
      ...html.matchAll(
        /<section class="step"[^>]*><div class="doc">([\s\S]*?)<\/div><pre class="code"><code>([\s\S]*?)<\/code>/g,
      ),
    ];
    assert(steps.length > 3, name);
    for (const [, doc, code] of steps) {
      const first = unescape(code).split("\n")[0];
      assert(doc.trim() !== "", `${name}: a step without its sentence: ${first}`);
      assert(
        !/^\s*(\}\s*(catch|finally|else)|[.?:])/.test(first),
        `${name}: a step starts mid-block: ${first}`,
      );
    }
  }
  const index = await Deno.readTextFile(`${SITE}/index.html`);
  assertEquals([...index.matchAll(/<svg[^>]*class="sequence"/g)].length, 4, "the diagrams are SVG");
  assert(!index.includes("sequenceDiagram"), "a diagram is shown as its Mermaid text");
});

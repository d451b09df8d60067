/** The index stays true: every example is in the README table, and every header is a run guide. */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { deno, Running } from "./_process.ts";

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

Deno.test("README: the Rosetta table covers the documents' calls, and each example named shows its Deno call", async () => {
  const section = readme.split("## The socket API, from Python and C to Deno")[1].split("\n## ")[0];
  const rows = section.split("\n").filter((l) => l.startsWith("| `") || l.startsWith("| thr"));
  const firstColumn = rows.map((r) => r.split("|")[1]).join(" ");
  for (
    const call of [
      "socket",
      "bind",
      "listen",
      "accept",
      "connect",
      "send",
      "sendall",
      "sendto",
      "recv",
      "recvfrom",
      "recv_into",
      "recv_all",
      "shutdown",
      "close",
      "settimeout",
      "SO_REUSEADDR",
      "getaddrinfo",
      "gethostbyname",
      "gethostname",
      "getservbyname",
      "getservbyport",
      "inet_pton",
      "htons",
      "htonl",
      "getsockname",
      "getpeername",
    ]
  ) {
    assert(new RegExp(`\\b${call}\\b`).test(firstColumn), `the table has no row for ${call}`);
  }
  let checked = 0;
  for (const row of rows) {
    const [, python, denoCell, where] = row.split(/ \| |^\| | \|$/);
    const code = denoCell.match(/`([^`]+)`/)?.[1] ?? "";
    assert(code, `${python}: no Deno call in backticks`);
    // The call's name: `socket.receive(buf)` -> `.receive(`, `within(p, ms)` -> `within(`.
    const head = code.includes("(") ? code.slice(0, code.indexOf("(")) : code;
    const needle = head.slice(Math.max(0, head.lastIndexOf("."))) + (code.includes("(") ? "(" : "");
    const files = [...where.matchAll(/\]\((examples\/[a-z_0-9]+\.ts)\)/g)].map((m) => m[1]);
    assert(files.length > 0, `${python}: no example named`);
    for (const file of files) {
      const text = await Deno.readTextFile(new URL(`../${file}`, import.meta.url));
      assert(text.includes(needle), `${file} does not contain ${needle} (row ${python})`);
      checked++;
    }
  }
  assert(checked > 50, `only ${checked} checks`);
});

Deno.test("examples: each makes its own socket calls and imports no other example", async () => {
  const calls = /Deno\.(listen|listenDatagram|connect)\(/;
  for (const name of examples.filter((n) => n !== "tour.ts" && n !== "lookup.ts")) {
    const text = await Deno.readTextFile(new URL(`../examples/${name}`, import.meta.url));
    assert(calls.test(text), `${name} makes no socket call of its own`);
    assert(!/from "\.\/[a-z_]+\.ts"/.test(text), `${name} imports another example`);
  }
});

Deno.test("tour: an unknown section is a usage error; --help lists the sections", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "examples/tour.ts", ...args],
      cwd: new URL("..", import.meta.url),
      env: { NO_COLOR: "1" },
    }).output();
  for (const bad of ["99", "abc", "0"]) {
    const out = await run([bad]);
    assertEquals(out.code, 2, bad);
    assertMatch(new TextDecoder().decode(out.stderr), new RegExp(`^tour: no section "${bad}"`));
  }
  const help = new TextDecoder().decode((await run(["--help"])).stdout);
  assertMatch(help, /^Runs every example on loopback/);
  assertMatch(help, /^ {9}1 {2}UDP uppercase/m);
  assertMatch(help, /^ {8}10 {2}Happy eyeballs/m);
});

Deno.test("deno.json: every task has a one-line description (what `deno task` lists)", async () => {
  const { default: config } = await import("../deno.json", { with: { type: "json" } });
  const tasks = Object.entries(config.tasks as Record<string, { description?: string }>);
  assert(tasks.length > 20);
  for (const [name, task] of tasks) {
    assert(task.description && !task.description.includes("\n"), `${name} has no description`);
  }
});

Deno.test("tour: lines stream as they are printed, tagged with their program", async () => {
  const tour = new Running([
    "run",
    "--allow-net=127.0.0.1,[::1],localhost",
    `--allow-run=${Deno.execPath()}`,
    "examples/tour.ts",
    "10",
  ]);
  const seen: [number, string][] = [];
  tour.follow((line) => seen.push([performance.now(), line]));
  const end = await tour.wait();
  assertEquals(end.code, 0, end.stderr);
  // The --sequential run waits 2 s on the dead IPv6 address: its first line must be shown
  // then, not when the run ends (before, each step's output came in one block at its end).
  const start = seen.findIndex(([, l]) => l.includes("--sequential"));
  const trying = seen.find(([, l], i) =>
    i > start && /happy_eyeballs_client +\| Trying ::1/.test(l)
  );
  const won = seen.find(([, l], i) => i > start && /\| Connected to 127\.0\.0\.1 at/.test(l));
  assert(trying && won, seen.map(([, l]) => l).join("\n"));
  assert(won[0] - trying[0] > 1500, `shown ${(won[0] - trying[0]).toFixed(0)} ms apart`);
  assert(seen.some(([, l]) => /^ {2}happy_eyeballs_client +\| Using the addresses/.test(l)));
});

Deno.test("README: four sequence diagrams (UDP, TCP, backoff, happy eyeballs) and the licence", () => {
  const diagrams = [...readme.matchAll(/```mermaid\n(sequenceDiagram\n[\s\S]*?)```/g)].map((m) =>
    m[1]
  );
  assertEquals(diagrams.length, 4);
  assertMatch(diagrams[0], /sendto\("udp is lazy"\)/);
  assertMatch(diagrams[1], /SYN, ACK[\s\S]*FIN \(shutdown\(SHUT_WR\)/);
  assertMatch(diagrams[2], /waits 0\.1 s[\s\S]*waits 0\.2 s/);
  assertMatch(diagrams[3], /SYN \(t = 0\)[\s\S]*250 ms[\s\S]*cancelled/);
  assertMatch(readme, /MIT: see \[`LICENSE`\]\(LICENSE\)/);
});

Deno.test("deno task bench runs (a small TCP round; nothing is timed)", async () => {
  const out = await deno(["task", "-q", "bench", "--only", "tcp", "--rounds", "1", "--mib", "64"], {
    timeoutMs: 60_000,
  });
  assertEquals(out.code, 0, out.stderr);
  assertMatch(out.stdout, /^ {2}examples\/tcp_server\.ts .* MB +[\d.]+x \[.*\] +[\d.]+x \[.*\]$/m);
  const floor =
    /^ {2}floor: tests\/bench\/floor_tcp\.ts .* MB +1\.00x \[1\.00-1\.00\] +(1\.00x|n\/a)/m;
  assertMatch(out.stdout, floor);
});

Deno.test("deno task bench runs a UDP and an HTTP round too (servers kept up; nothing is timed)", async () => {
  const out = await deno(
    ["task", "-q", "bench", "--only", "http,udp", "--rounds", "1", "--seconds", "1"],
    { timeoutMs: 120_000 },
  );
  assertEquals(out.code, 0, out.stderr);
  const row = (script: string) =>
    new RegExp(
      `^ {2}${script.replaceAll(".", "\\.")} .* MB +[\\d.]+x \\[.*\\] +[\\d.]+x \\[.*\\]$`,
      "gm",
    );
  assertEquals([...out.stdout.matchAll(row("examples/udp_server.ts"))].length, 2, out.stdout);
  assertEquals(
    [...out.stdout.matchAll(row("floor: tests/bench/floor_udp.ts"))].length,
    2,
    out.stdout,
  );
  const withLog = row("  same, plus udp_server's log line");
  assertEquals([...out.stdout.matchAll(withLog)].length, 2, out.stdout);
  assertEquals([...out.stdout.matchAll(row("examples/http_server.ts"))].length, 1, out.stdout);
  assertMatch(out.stdout, /^UDP: 32-byte datagrams, 16 in flight, 1 s, .* \(1 round\)$/m);
});

Deno.test("the bench's C UDP load client compiles, counts replies, and leaves nothing behind", async () => {
  // In a subprocess: it runs cc, mktemp and rm, which the test task does not allow.
  const out = await deno([
    "run",
    "--allow-net=127.0.0.1",
    "--allow-run",
    "tests/fixtures/udp_load_c.ts",
  ], { timeoutMs: 30_000 });
  assertEquals(out.code, 0, out.stderr);
  if (out.stdout.trim() === "no cc") return; // no compiler here: the bench uses its Deno client
  const [replies, left] = out.stdout.trim().split("\n");
  assert(Number(replies) > 100, `only ${replies} replies in 0.5 s with 4 in flight`);
  assertEquals(left, "removed");
});

/**
 * The index stays true, and the lessons stay lessons: one list of examples (the files in
 * examples/, each described by its own header) that the README table and the tasks must agree
 * with; headers that are run guides of at most 20 lines; files under their line caps; a README that
 * reads in minutes; no benchmark tricks in examples/ or lib/.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { deno } from "./_process.ts";
import { EXAMPLES, header } from "./_examples.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

Deno.test("README: the examples table lists every example once, with the pair its header shows", async () => {
  const rows = [
    ...readme.matchAll(
      /^\| \[`examples\/([a-z0-9_]+\.ts)`\]\(examples\/\1\) +\| (.+?) +\| (.+?) +\|$/gm,
    ),
  ];
  assertEquals(rows.map((r) => r[1]).sort(), EXAMPLES.map((e) => e.file).sort());
  for (const [, file, teaches, pair] of rows) {
    assert(teaches.length < 60, `${file}: "${teaches}" is over 60 characters`);
    const h = await header(file);
    const want = h.pair ? `\`${h.pair}\`` : "(none)";
    assertEquals(pair, want, `${file}: the README says its pair is ${pair}, its header ${want}`);
  }
});

Deno.test("README: the Quick start's first block is the two commands that work without Deno", () => {
  const quick = readme.split("## Quick start")[1];
  const block = quick.match(/```sh\n([\s\S]*?)```/)![1];
  assert(block === "npx --yes deno@2.9.6 task tour\nnpx --yes deno@2.9.6 task test\n", block);
});

Deno.test("README: at most 220 lines, none over 160 characters outside code blocks", () => {
  const lines = readme.split("\n");
  assert(lines.length <= 221, `${lines.length} lines`); // the last is the empty one after \n
  let code = false;
  for (const line of lines) {
    if (line.startsWith("```")) code = !code;
    else if (!code) {
      assert(line.length <= 160, `a ${line.length}-character line: ${line.slice(0, 60)}`);
    }
  }
});

Deno.test("headers: at most 20 lines: the concept, the transcript with the run line, the source by title", async () => {
  for (const { file } of EXAMPLES) {
    const h = await header(file);
    assert(h.lines <= 20, `${file}: its header has ${h.lines} lines`);
    assertMatch(h.text, /^\/\*\*\n \* @module \S/, `${file} opens with @module`);
    assert(h.run.startsWith("deno run --allow-"), `${file}: no deno run line with its permissions`);
    assert(/Source: [A-Z]/.test(h.text), `${file}: no "Source:" line`);
    // Students never see the seed files: sources are cited by title, never by file name.
    assert(!/\d{3}_[0-9a-f]{16}\.txt/.test(h.text), `${file}: its header cites a seed file name`);
  }
});

Deno.test("examples: every lesson is under its line cap; lib/ is at most 1,000 lines", async () => {
  const caps: Record<string, number> = {
    "byte_order.ts": 120,
    "http_server.ts": 170,
    "happy_eyeballs_client.ts": 200,
    "hardened_tcp_server.ts": 200,
  };
  for (const { file } of EXAMPLES) {
    const lines = (await read(`examples/${file}`)).trimEnd().split("\n").length;
    assert(lines <= (caps[file] ?? 100), `${file}: ${lines} lines, over its cap`);
  }
  let lib = 0;
  for (const dir of ["lib", "lib/std"]) {
    for (const e of Deno.readDirSync(new URL(`../${dir}/`, import.meta.url))) {
      if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
        lib += (await read(`${dir}/${e.name}`)).trimEnd().split("\n").length;
      }
    }
  }
  assert(lib <= 1000, `lib/ has ${lib} lines`);
});

Deno.test("examples and lib/: no benchmark tricks (batched or hand-written log, custom lists or clocks, caches, V8 flags)", async () => {
  const files = [
    ...EXAMPLES.map((e) => `examples/${e.file}`),
    ...[...Deno.readDirSync(new URL("../lib/", import.meta.url))]
      .filter((e) => e.isFile && e.name.endsWith(".ts")).map((e) => `lib/${e.name}`),
  ];
  const tricks =
    /LinkedList|Deadlines|Inflight|LOG_BATCH|flushLog|Uint32Array\(|spare\.pop|as unknown as|--v8-flags/;
  for (const file of files) {
    const found = (await read(file)).match(tricks);
    assert(!found, `${file}: ${found?.[0]}`);
  }
  assert(!/v8-flags/.test(await read("deno.json")), "deno.json passes V8 flags");
  // The log is console.log: a hand-encoded write per line was a speed-up for the bench only.
  assert(!/writeSync|TextEncoder/.test(await read("lib/log.ts")), "lib/log.ts writes by hand");
});

Deno.test("deno.json: a task per example, named after it, running it as its header does", async () => {
  const { default: config } = await import("../deno.json", { with: { type: "json" } });
  const tasks = config.tasks as Record<string, { command: string; description?: string }>;
  for (const { file } of EXAMPLES) {
    const name = file.replace(/\.ts$/, "").replaceAll("_", "-");
    const h = await header(file);
    assertEquals(tasks[name]?.command, h.run.replace(/(\.ts)( .*)?$/, "$1"), `task ${name}`);
  }
  for (const [name, task] of Object.entries(tasks)) {
    const script = task.command.match(/examples\/([a-z0-9_]+\.ts)/)?.[1];
    if (script) assert(EXAMPLES.some((e) => e.file === script), `task ${name}: no ${script}`);
    assert(task.description && !task.description.includes("\n"), `${name} has no description`);
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
    const [, python, denoCell, where] = row.split(/ +\| +|^\| +| +\|$/);
    const code = denoCell.match(/`([^`]+)`/)?.[1] ?? "";
    assert(code, `${python}: no Deno call in backticks`);
    // The call's name: `socket.receive(buf)` -> `.receive(`, `within(p, ms)` -> `within(`.
    const head = code.includes("(") ? code.slice(0, code.indexOf("(")) : code;
    const needle = head.slice(Math.max(0, head.lastIndexOf("."))) + (code.includes("(") ? "(" : "");
    const names = where.split(", ").map((n) => n.trim());
    assert(names.length > 0, `${python}: no example named`);
    for (const name of names) {
      const text = await read(`examples/${name}.ts`);
      assert(
        text.includes(needle),
        `examples/${name}.ts does not contain ${needle} (row ${python})`,
      );
      checked++;
    }
  }
  assert(checked > 35, `only ${checked} checks`);
});

Deno.test("examples: each makes its own socket calls and imports no other example", async () => {
  const calls = /Deno\.(listen|listenDatagram|connect)\(/;
  for (const { file } of EXAMPLES.filter((e) => e.file !== "lookup.ts")) {
    const text = await read(`examples/${file}`);
    assert(calls.test(text), `${file} makes no socket call of its own`);
    assert(!/from "\.\/[a-z_]+\.ts"/.test(text), `${file} imports another example`);
  }
});

Deno.test("README: four sequence diagrams (UDP, TCP, backoff, happy eyeballs) and the licence", () => {
  const diagrams = [...readme.matchAll(/```mermaid\n(sequenceDiagram\n[\s\S]*?)```/g)].map((m) =>
    m[1]
  );
  assertEquals(diagrams.length, 4);
  assertMatch(diagrams[0], /sendto\("udp is lazy"\)/);
  // The client's only FIN is its shutdown(SHUT_WR); after the server's FIN it only ACKs.
  assertMatch(
    diagrams[1],
    /SYN, ACK[\s\S]*FIN \(shutdown\(SHUT_WR\)[\s\S]*S->>C: FIN \(close\(\)\)\n +C->>S: ACK\n/,
  );
  assertEquals(diagrams[1].match(/C->>S: FIN/g)?.length, 1);
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

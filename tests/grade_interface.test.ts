/**
 * The grader's interfaces for teachers (--help, --json whatever happens, --name, JUnit and
 * Gradescope reports), and programs that misbehave: verdicts, never a grader stack trace.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { copyRepo, deno, removeCopy } from "./_process.ts";
import { EXERCISES } from "./grade/checks.ts";
import { whereDiffer } from "./grade/net.ts";

const python = await new Deno.Command("python3", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

const run = (script: string, ...args: string[]) => [
  Deno.execPath(),
  "run",
  "--allow-net",
  `examples/${script}.ts`,
  ...args,
];

Deno.test("grade --help: the exercises, {host}, {port} and {message}, the formats and exit codes", async () => {
  const help = await deno(["task", "-q", "grade", "--help"]);
  assertEquals(help.code, 0, help.stderr);
  for (const e of EXERCISES) assertMatch(help.stdout, new RegExp(`^  ${e.name} +${e.role}: `, "m"));
  for (
    const word of ["{host}", "{port}", "{message}", "junit", "gradescope", "--name", "exit codes"]
  ) {
    assert(help.stdout.includes(word), `--help does not mention ${word}`);
  }
});

Deno.test("grade --json: one object even when the program cannot start, with its command and --name", async () => {
  const args = ["udp-server", "--json", "--name", "s123", "--", "/no/such/program", "{port}"];
  const out = await deno(["task", "-q", "grade", ...args]);
  assertEquals(out.code, 2);
  const report = JSON.parse(out.stdout);
  assertEquals(report.exercise, "udp-server");
  assertEquals(report.name, "s123");
  assertEquals(report.command, ["/no/such/program", "{port}"]);
  assertMatch(report.error, /^cannot start "\/no\/such\/program"/);
});

Deno.test("grade --format junit and gradescope: the fields their readers require, a check's seconds", async () => {
  const command = run("udp_length_server", "--port", "{port}");
  const junit = await deno([
    "task",
    "-q",
    "grade",
    "udp-length-server",
    "--format",
    "junit",
    "--name",
    "s1",
    "--",
    ...command,
  ]);
  assertEquals(junit.code, 0, junit.stderr);
  assertMatch(
    junit.stdout,
    /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuite name="udp-length-server \(s1\)" tests="(\d+)" failures="0" errors="0" time="[\d.]+">\n/,
  );
  const cases = [
    ...junit.stdout.matchAll(
      /<testcase classname="grade\.udp-length-server" name="[^"]+" time="[\d.]+"><\/testcase>/g,
    ),
  ];
  assertEquals(cases.length, Number(junit.stdout.match(/tests="(\d+)"/)![1]));
  assert(junit.stdout.trimEnd().endsWith("</testsuite>"));
  // A failing check is a <failure> with its message (the client that does not resend).
  const fixture = ["python3", "tests/fixtures/grade/udp_client_no_timeout.py", "{host}", "{port}"];
  if (python) {
    const failing = await deno([
      "task",
      "-q",
      "grade",
      "udp-client",
      "--format",
      "junit",
      "--",
      ...fixture,
    ]);
    assertEquals(failing.code, 1, failing.stderr);
    assertMatch(
      failing.stdout,
      /<testcase [^>]*><failure message="[^"]+">[^<]+<\/failure><\/testcase>/,
    );
  }
  const gs = await deno([
    "task",
    "-q",
    "grade",
    "udp-length-server",
    "--format",
    "gradescope",
    "--",
    ...command,
  ]);
  assertEquals(gs.code, 0, gs.stderr);
  const results = JSON.parse(gs.stdout);
  assert(Array.isArray(results.tests) && results.tests.length >= 3);
  for (const t of results.tests) {
    assertEquals(Object.keys(t).sort(), ["max_score", "name", "output", "score", "status"]);
    assertEquals([t.score, t.max_score, t.status], [1, 1, "passed"]);
  }
  assertEquals(results.score, results.tests.length);
  const json = await deno(["task", "-q", "grade", "udp-length-server", "--json", "--", ...command]);
  for (const c of JSON.parse(json.stdout).checks) assert(typeof c.seconds === "number", c.name);
});

for (const how of ["crash", "hang", "garbage"]) {
  Deno.test({
    name: `grade: a program that ${
      how === "hang" ? "hangs" : how === "crash" ? "crashes" : "prints garbage"
    } gets verdicts, never a grader stack trace`,
    ignore: !python,
    async fn() {
      const program = ["python3", "tests/fixtures/grade/misbehaves.py", how, "{host}", "{port}"];
      for (
        const exercise of how === "hang"
          ? ["echo-client"]
          : ["echo-client", "tcp-client", "udp-server"]
      ) {
        const out = await deno(["task", "-q", "grade", exercise, "--json", "--", ...program], {
          timeoutMs: 120_000,
        });
        assertEquals(out.code, 1, `${exercise}: ${out.stderr}`);
        const report = JSON.parse(out.stdout);
        for (const c of report.checks) {
          assert(!c.ok, `${exercise}: ${c.name} passed for a program that ${how}s`);
          assert(
            !/the grader failed|\n\s+at /.test(c.detail),
            `${exercise}: ${c.name}: ${c.detail}`,
          );
        }
      }
    },
  });
}

const bwrap = await new Deno.Command("bwrap", {
  args: ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-all", "--", "true"],
  stderr: "null",
}).output().then((o) => o.success, () => false);
if (!bwrap) console.error("grade --sandbox test skipped: bubblewrap (bwrap) cannot run here");

Deno.test({
  name:
    "grade --sandbox: a program that checks its surroundings finds only lo, a read-only home, a fresh /tmp",
  ignore: !python || !bwrap,
  async fn() {
    const probe = ["--", "python3", "tests/fixtures/grade/sandbox_probe.py", "{port}"];
    const inside = await deno([
      "task",
      "-q",
      "grade",
      "udp-server",
      "--sandbox",
      "--json",
      ...probe,
    ], {
      timeoutMs: 60_000,
    });
    assertEquals(inside.code, 0, inside.stdout + inside.stderr);
    assertEquals(JSON.parse(inside.stdout).failed, 0);
    // The same program outside the sandbox finds the machine: it refuses, and says what it saw.
    const outside = await deno(["task", "-q", "grade", "udp-server", "--json", ...probe], {
      timeoutMs: 60_000,
    });
    assertEquals(outside.code, 1);
    assertMatch(
      JSON.parse(outside.stdout).checks[0].detail,
      /not sandboxed: .*(interfaces|home folder)/,
    );
  },
});

Deno.test("grade --sandbox: where no sandbox can be made, one line and exit 2, never a silent fall-back", async () => {
  const out = await deno([
    "run",
    "--allow-net=127.0.0.1",
    "--allow-run",
    "tests/grade/main.ts",
    "udp-server",
    "--sandbox",
    "--",
    "python3",
    "x.py",
    "{port}",
  ], { env: { PATH: "/nonexistent" } });
  assertEquals(out.code, 2);
  assertEquals(out.stdout, "");
  assertEquals(out.stderr.trim().split("\n"), [
    "grade: --sandbox needs bubblewrap, and bwrap is not installed (apt-get install bubblewrap)",
  ]);
});

Deno.test({
  name:
    "README: the grader's class loop, run as written in a copy, writes a JUnit report per student",
  ignore: !python || !bwrap,
  async fn() {
    const readme = await Deno.readTextFile("README.md");
    // The README's own words: the one sh block that loops over submissions.
    const blocks = readme.split(/^ *```\w*$/m).filter((_, i) => i % 2 === 1);
    const block = blocks.find((b) => b.includes("for dir in submissions/"));
    assert(block, "no class loop in the README");
    const dir = await copyRepo("class ");
    try {
      // Two students: the textbook's server (listen(1), one client at a time) and a threaded one.
      const setup = `
        for (const [id, file] of [["alice", "tcp_server_textbook.py"], ["bob", "tcp_server_recv1024.py"]]) {
          await Deno.mkdir("submissions/" + id, { recursive: true });
          await Deno.copyFile("tests/fixtures/grade/" + file, "submissions/" + id + "/TCPServer.py");
        }
        await new Deno.Command("bash", { args: ["-c", Deno.args[0]] }).output(); // exit: the last grade's
        for (const id of ["alice", "bob"]) console.log(await Deno.readTextFile("reports/" + id + ".xml"));`;
      const out = await deno(["eval", setup, block.replace(/^ {2}/gm, "")], {
        cwd: dir,
        timeoutMs: 120_000,
      });
      assertEquals(out.code, 0, out.stderr);
      const suites = [
        ...out.stdout.matchAll(
          /<testsuite name="tcp-server \((\w+)\)" tests="(\d+)" failures="(\d+)"/g,
        ),
      ];
      assertEquals(suites.map((m) => m[1]), ["alice", "bob"]);
      assertEquals(suites[1][3], "1"); // bob: only the 100 KiB message
      assert(Number(suites[0][3]) >= 2, "alice: at least the accept queue and the silent client");
    } finally {
      await removeCopy(dir);
    }
  },
});

Deno.test({
  name:
    "grade --starter: each starter (ts and py) runs, stops at a TODO, and fails its exercise's checks",
  ignore: !python,
  async fn() {
    const dir = await copyRepo("starters ");
    try {
      const runs = EXERCISES.flatMap((e) =>
        (["ts", "py"] as const).map(async (lang) => {
          const made = await deno(["task", "-q", "grade", "--starter", e.name, "--lang", lang]);
          assertEquals(made.code, 0, made.stderr);
          assertMatch(made.stdout, /TODO/);
          const file = `my_${e.name.replaceAll("-", "_")}.${lang}`;
          // Saved at the copy's root, as its header says (deno eval may write; this test may not).
          const save = `await Deno.writeTextFile(Deno.args[0], Deno.args[1])`;
          assertEquals((await deno(["eval", save, file, made.stdout], { cwd: dir })).code, 0);
          if (lang === "ts") {
            const checked = await deno(["check", file], { cwd: dir, timeoutMs: 60_000 });
            assertEquals(checked.code, 0, `${file} does not type-check: ${checked.stderr}`);
          }
          const args = e.role === "server"
            ? (lang === "ts" ? ["--port", "{port}"] : ["{port}"])
            : lang === "ts"
            ? ["--host", "{host}", "--port", "{port}"]
            : ["{host}", "{port}"];
          const command = lang === "ts"
            ? [Deno.execPath(), "run", "--allow-net", file, ...args]
            : ["python3", file, ...args];
          if (e.name === "echo-client") command.push("{message}");
          const graded = await deno(["task", "-q", "grade", e.name, "--json", "--", ...command], {
            cwd: dir,
            timeoutMs: 90_000,
          });
          assertEquals(graded.code, 1, `${file}: ${graded.stdout} ${graded.stderr}`);
          const report = JSON.parse(graded.stdout);
          assertEquals(report.passed, 0, `${file}: ${graded.stdout}`);
          assertMatch(graded.stdout, /TODO: /, `${file}: the TODO line is not quoted`);
        })
      );
      await Promise.all(runs);
    } finally {
      await removeCopy(dir);
    }
  },
});

Deno.test("grade: a difference is shown at its offset, in hex on both sides, wherever it is", () => {
  const want = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const got = want.slice();
  got[256] = 0x41;
  assertEquals(
    whereDiffer(got, want),
    "they differ at byte 256: expected … f8 f9 fa fb fc fd fe ff [00] 01 02 03 04 05 06 07 08 …, " +
      "got … f8 f9 fa fb fc fd fe ff [41] 01 02 03 04 05 06 07 08 …",
  );
  assertEquals(
    whereDiffer(want.subarray(0, 52), want.subarray(0, 60)),
    "they differ at byte 52: expected … 2c 2d 2e 2f 30 31 32 33 [34] 35 36 37 38 39 3a 3b, " +
      "got … 2c 2d 2e 2f 30 31 32 33 [end]",
  );
});

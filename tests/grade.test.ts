/**
 * The grader grades: `deno task grade` passes every example on its exercise, and fails each of
 * the documents' flawed originals (kept as small Python fixtures) on the one check that names
 * its flaw, and on nothing else.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { deno, ROOT } from "./_process.ts";
import { EXERCISES } from "./grade/checks.ts";

const python = await new Deno.Command("python3", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

interface Report {
  exercise: string;
  passed: number;
  failed: number;
  checks: { name: string; ok: boolean; detail: string }[];
}

/** `deno task grade EXERCISE --json -- COMMAND...`: the exit code and the JSON report. */
async function grade(exercise: string, command: string[]): Promise<[number, Report]> {
  const out = await deno(["task", "-q", "grade", exercise, "--json", "--", ...command], {
    timeoutMs: 90_000,
  });
  assert(out.code === 0 || out.code === 1, `exit ${out.code}: ${out.stderr}`);
  return [out.code, JSON.parse(out.stdout)];
}

const run = (script: string, ...args: string[]) => [
  Deno.execPath(),
  "run",
  "--allow-net",
  `examples/${script}.ts`,
  ...args,
];

/** Our own example for each exercise, run the way a student's program is. */
const OURS: Record<string, string[]> = {
  "udp-server": run("udp_server", "--port", "{port}"),
  "udp-client": run("udp_client", "-ip", "{host}", "-p", "{port}"),
  "tcp-server": run("tcp_server", "--port", "{port}"),
  "tcp-client": run("tcp_client", "--host", "{host}", "--port", "{port}"),
  "echo-server": run("echo_server", "--port", "{port}"),
  "echo-client": run("echo_client", "--host", "{host}", "--port", "{port}", "{message}"),
  "fixed-length-server": run("fixed_length_server", "--port", "{port}"),
  "udp-length-server": run("udp_length_server", "--port", "{port}"),
  "http-server": run("http_server", "--port", "{port}"),
};

Deno.test("grade: every example passes every check of its exercise", async () => {
  assertEquals(Object.keys(OURS).sort(), EXERCISES.map((e) => e.name).sort());
  const reports = await Promise.all(
    Object.entries(OURS).map(([exercise, command]) => grade(exercise, command)),
  );
  for (const [code, report] of reports) {
    const failures = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    assertEquals(failures, [], report.exercise);
    assertEquals(code, 0);
    assert(report.passed >= 3, `${report.exercise}: only ${report.passed} checks`);
  }
});

/** Each flawed original, and the one check it must fail. */
const FLAWED: [string, string[], RegExp, RegExp][] = [
  [
    "tcp-server",
    ["tcp_server_recv1024.py", "{port}"],
    /^a 100 KiB message comes back whole$/,
    /only 1,024 bytes of the 102,400 .*One recv\(1024\)/,
  ],
  [
    "echo-server",
    ["echo_server_short_read.py", "{port}"],
    /^a message that arrives in pieces/,
    /11 bytes came back .*A short read is not the end of the message/,
  ],
  [
    "udp-client",
    ["udp_client_no_timeout.py", "-ip", "{host}", "-p", "{port}"],
    /^a lost datagram is sent again/,
    /no resend came in 6 s: recvfrom\(\) without a timeout waits forever/,
  ],
  [
    "http-server",
    ["http_server_spins.py", "{port}"],
    /^a client that closes before the first newline leaves the server idle$/,
    /used \d\.\d\d s of CPU in the next second.*spins/,
  ],
  [
    "tcp-server",
    ["tcp_server_unicode.py", "{port}"],
    /^only a to z change/,
    /differ at byte 4: expected 53 54 52 41 \[c3\] 9f .*got 53 54 52 41 \[53\] 53 .*ß into SS/,
  ],
  [
    "udp-server",
    ["udp_server_strips.py", "{port}"],
    /^spaces, tabs and newlines around the text/,
    /do not strip\(\) the message/,
  ],
  [
    "tcp-client",
    ["tcp_client_repr.py", "{host}", "{port}"],
    /^sends a line and prints the reply$/,
    /no line is "HELLO TCP".*closest: "From Server: b'HELLO TCP'"/,
  ],
  [
    "http-server",
    ["http_server_one_flaw.py", "no-fin", "{port}"],
    /^after its response, with Connection: close, the server closes/,
    /had not closed the connection 2 s later/,
  ],
  [
    "fixed-length-server",
    ["fixed_length_server_dies.py", "{port}"],
    /^a peer that sends 10 bytes and closes does not stop the server$/,
    /refused.*recv_all must treat an early EOF.*exited \(code 1\).*EOFError/,
  ],
];

for (const [exercise, [file, ...args], check, detail] of FLAWED) {
  Deno.test({
    name: `grade ${exercise}: the flawed ${file} fails only "${
      check.source.replace(/[\^$]/g, "").slice(0, 40)
    }..."`,
    ignore: !python,
    async fn() {
      const [code, report] = await grade(exercise, [
        "python3",
        `tests/fixtures/grade/${file}`,
        ...args,
      ]);
      assertEquals(code, 1);
      const failed = report.checks.filter((c) => !c.ok);
      assertEquals(failed.length, 1, JSON.stringify(failed, null, 1));
      assertMatch(failed[0].name, check);
      assertMatch(failed[0].detail, detail);
      assertEquals(report.passed + report.failed, report.checks.length);
    },
  });
}

// Three echo clients that each passed checks they should fail: all four checks fail now.
const ECHO_CLIENTS: [string, string[], RegExp, RegExp][] = [
  ["echo_client_no_socket.py", ["{message}", "{port}"], /never connected/, /never said so/],
  [
    "echo_client_no_read.py",
    ["{host}", "{port}", "{message}"],
    /no line is "SHORT MESSAGE"/,
    /did not print the echo that followed/,
  ],
  [
    "echo_client_no_shutdown.py",
    ["{host}", "{port}", "{message}"],
    /no line is "SHORT MESSAGE"/,
    /FIN came only when the grader stopped it/,
  ],
];
for (const [file, args, first, last] of ECHO_CLIENTS) {
  Deno.test({
    name: `grade echo-client: ${file} fails all four checks, each for its real reason`,
    ignore: !python,
    async fn() {
      const [code, report] = await grade("echo-client", [
        "python3",
        `tests/fixtures/grade/${file}`,
        ...args,
      ]);
      assertEquals(code, 1);
      assertEquals(report.checks.map((c) => c.ok), [false, false, false, false]);
      assertMatch(report.checks[0].detail, first);
      assertMatch(report.checks[3].detail, last);
    },
  });
}

Deno.test({
  name: "grade http-server: a response without Content-Length passes, with a note saying so",
  ignore: !python,
  async fn() {
    const [code, report] = await grade("http-server", [
      "python3",
      "tests/fixtures/grade/http_server_one_flaw.py",
      "no-length",
      "{port}",
    ]);
    assertEquals(code, 0);
    assertEquals(report.failed, 0);
    assertMatch(report.checks[0].detail, /no Content-Length header: legal with Connection: close/);
    assertEquals(
      report.checks.slice(1).map((c) => c.detail),
      Array(report.checks.length - 1).fill(""),
    );
  },
});

Deno.test({
  name:
    "grade tcp-client: a client that dies in connect() is told so once, quoted by its exception line",
  ignore: !python,
  async fn() {
    const [code, report] = await grade("tcp-client", [
      "python3",
      "tests/fixtures/grade/tcp_client_wrong_port.py",
      "{host}",
      "{port}",
    ]);
    assertEquals(code, 1);
    assertMatch(
      report.checks[0].detail,
      /^the program died in connect\(\).*"ConnectionRefusedError: /,
    );
    for (const c of report.checks.slice(1)) {
      assertMatch(c.detail, /^not run: the program could not connect/);
    }
  },
});

Deno.test("grade: the list, usage errors (exit 2), and ticks and crosses without colour", async () => {
  const list = await deno(["task", "-q", "grade"]);
  assertEquals(list.code, 0);
  for (const e of EXERCISES) assertMatch(list.stdout, new RegExp(`^  ${e.name} +${e.role}: `, "m"));
  for (
    const [args, why] of [
      [["nope", "--", "x", "{port}"], /no exercise called "nope"/],
      [["echo-server"], /no COMMAND given/],
      [["echo-server", "--", "python3", "x.py"], /the command has no \{port\}/],
      [["echo-server", "--", "/no/such/program", "{port}"], /cannot start "\/no\/such\/program"/],
      [["--verbose", "echo-server", "--", "x", "{port}"], /unknown option --verbose/],
    ] as const
  ) {
    const out = await deno(["task", "-q", "grade", ...args]);
    assertEquals(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
    assertMatch(out.stderr.split("\n")[0], /^grade: /);
    assertMatch(out.stderr, why);
  }
  // Human output, through a pipe: a line per check, no escape codes; here one check fails.
  const out = await deno([
    "task",
    "-q",
    "grade",
    "tcp-client",
    "--",
    ...run("echo_client", "-p", "{port}", "hi"),
  ]);
  assertEquals(out.code, 1, out.stderr);
  // deno-lint-ignore no-control-regex
  assert(!/\x1b\[/.test(out.stdout), out.stdout);
  assertMatch(out.stdout, /^Grading tcp-client /);
  assertMatch(
    out.stdout,
    /^✘ sends a line and prints the reply \(\d+ ms\)\n {4}for the line hello tcp: /m,
  );
  assertMatch(out.stdout, /\n\d passed, [1-9] failed\n$/);
});

const hasScript = await new Deno.Command("script", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

Deno.test({
  name: "grade: ticks in colour on a terminal, none with NO_COLOR",
  ignore: !hasScript,
  async fn() {
    const grade = [
      `'${Deno.execPath()}'`,
      "run --allow-net=127.0.0.1 --allow-run tests/grade/main.ts udp-length-server --",
      `'${Deno.execPath()}'`,
      "run --allow-net examples/udp_length_server.ts --port {port}",
    ].join(" ");
    const onTerminal = async (env: Record<string, string>) => {
      const out = await new Deno.Command("script", {
        args: ["-qec", grade, "/dev/null"],
        cwd: ROOT,
        env: { PATH: "/usr/bin:/bin", ...env },
        clearEnv: true,
      }).output();
      return new TextDecoder().decode(out.stdout);
    };
    // deno-lint-ignore no-control-regex
    assertMatch(await onTerminal({}), /\x1b\[32m✔\x1b\[39m a 0-byte datagram/);
    const plain = await onTerminal({ NO_COLOR: "1" });
    assertMatch(plain, /✔ a 0-byte datagram/);
    assert(!plain.includes("\x1b["), JSON.stringify(plain));
  },
});

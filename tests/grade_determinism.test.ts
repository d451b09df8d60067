/**
 * The same verdict every run: the "10 clients at once" check, 10 times over, on a machine kept
 * busy by two spinning processes, against the textbook's listen(1) one-at-a-time server (fails
 * every time, for the accept queue) and against the lesson's server (passes every time).
 */
import { assertEquals, assertMatch } from "@std/assert";
import { EXERCISES } from "./grade/checks.ts";
import { Failed } from "./grade/net.ts";
import { freePort, startProgram, waitBound } from "./grade/program.ts";

const python = await new Deno.Command("python3", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

const tcpServer = EXERCISES.find((e) => e.name === "tcp-server")!;
if (tcpServer.role !== "server") throw new Error("tcp-server is a server exercise");
const tenAtOnce = tcpServer.checks.find((c) => c.name.startsWith("10 clients at once"))!;

/** Runs the check `runs` times against a fresh `command`, with 2 CPU-bound processes alongside. */
async function verdicts(command: (port: string) => string[], runs = 10): Promise<string[]> {
  const spin = [
    "python3",
    "-c",
    "import time\nend = time.time() + 60\nwhile time.time() < end: pass",
  ];
  const load = [startProgram(spin), startProgram(spin)];
  const port = freePort("tcp", "127.0.0.1");
  const server = startProgram(command(`${port}`));
  try {
    await waitBound(server, "tcp", "127.0.0.1", port);
    const out: string[] = [];
    for (let i = 0; i < runs; i++) {
      out.push(
        await tenAtOnce.run({ host: "127.0.0.1", port }).then(
          () => "pass",
          (err) => err instanceof Failed ? err.message : `crash: ${err}`,
        ),
      );
    }
    return out;
  } finally {
    await Promise.all([server, ...load].map((p) => p.stopAll()));
  }
}

Deno.test({
  name:
    "grade tcp-server: 10 runs under load, the listen(1) textbook server fails for its accept queue every time",
  ignore: !python,
  async fn() {
    const got = await verdicts((
      port,
    ) => ["python3", "tests/fixtures/grade/tcp_server_textbook.py", port]);
    for (const v of got) assertMatch(v, /^the accept queue overflowed: of 10 clients at once/);
  },
});

Deno.test({
  name: "grade tcp-server: 10 runs under load, the lesson's server passes every time",
  ignore: !python,
  async fn() {
    const got = await verdicts((port) => [
      Deno.execPath(),
      "run",
      "--allow-net",
      "examples/tcp_server.ts",
      "--port",
      port,
    ]);
    assertEquals(got, Array(10).fill("pass"));
  },
});

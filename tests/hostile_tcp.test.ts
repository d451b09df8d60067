/**
 * Hostile peers against the TCP servers, each run as a real subprocess: the server must go on
 * serving a well-behaved client promptly, print no stack trace, and be idle afterwards.
 * (tests/servers.test.ts has the load and abuse every server is checked against.)
 */
import { sleep } from "../lib/deadline.ts";
import { assert, assertEquals } from "@std/assert";
import { ROOT, type Running, startServer } from "./_process.ts";
import { assertIdle, exchange, TCP_SERVERS } from "./_servers.ts";

const hasPython = await new Deno.Command("python3", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);
const linux = Deno.build.os === "linux";

/** Connects `n` times and resets each connection (SO_LINGER 0) before the server accepts it. */
async function resets(port: number, n: number): Promise<void> {
  const script = `
import socket, struct, sys
for _ in range(${n}):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.connect(("127.0.0.1", ${port}))
    s.close()
`;
  const out = await new Deno.Command("python3", { args: ["-c", script] }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

async function stopped(server: Running): Promise<void> {
  const end = await server.stop("SIGINT");
  assertEquals(end.code, 0, end.stderr);
  assert(!/Uncaught| {4}at /.test(end.stderr), `a stack trace:\n${end.stderr}`);
}

for (const s of TCP_SERVERS) {
  Deno.test({
    name: `${s.script}: 1,000 clients that reset in the accept queue do not delay the next one`,
    ignore: !hasPython,
    async fn() {
      const { server, port } = await startServer(`examples/${s.script}.ts`, [], s.port);
      try {
        await resets(port, 1000);
        const [reply, ms] = await exchange(port, s.ask);
        assert(reply.startsWith(s.want), reply);
        // Before the fix each reset cost a 100 ms pause: 1,000 of them, 100 s.
        assert(ms < 2000, `answered after ${ms.toFixed(0)} ms`);
        assert(!/accept\(\) failed/.test(server.stdout), server.stdout.slice(0, 500));
        if (linux) await assertIdle(server.pid, s.script);
      } finally {
        await stopped(server);
      }
    },
  });
}

Deno.test("tcp_server: a closed stdout (`| head -3`) drops the log quietly, serving goes on", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "examples/tcp_server.ts", "--port", "0"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  // Read the banner, as `head -3` would, then close the pipe.
  const reader = child.stdout.getReader();
  let banner = "";
  while (!/Listening\.\.\.\n/.test(banner)) {
    const { value } = await reader.read();
    banner += new TextDecoder().decode(value);
  }
  await reader.cancel();
  const port = Number(banner.match(/serverPort: (\d+)/)![1]);
  try {
    for (const word of ["one", "two", "three"]) {
      const [reply] = await exchange(port, word);
      assertEquals(reply, word.toUpperCase());
      await sleep(50); // the log line goes nowhere
    }
  } finally {
    child.kill("SIGINT");
  }
  const status = await child.status;
  const err = await stderr;
  assertEquals(status.code, 0, err);
  assertEquals(err, "", "no error, no stack trace");
});

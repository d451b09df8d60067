/**
 * Hostile peers against the TCP servers, each run as a real subprocess: the server must go on
 * serving a well-behaved client promptly, print no stack trace, and be idle afterwards.
 */
import { assert, assertEquals } from "@std/assert";
import { ROOT, type Running, startServer } from "./_process.ts";
import { readToEnd, writeAll } from "./_util.ts";
import { cpuSeconds } from "./_proc.ts";
import * as tcp from "../examples/tcp_server.ts";
import * as echo from "../examples/echo_server.ts";

const hasPython = await new Deno.Command("python3", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

/** The TCP servers, how to find their port, and one well-behaved exchange each. */
const SERVERS: { script: string; port: RegExp; ask: string; want: string }[] = [
  { script: "tcp_server", port: /serverPort: (\d+)\n/, ask: "hello", want: "HELLO" },
  { script: "echo_server", port: /making a server on [^\n]*:(\d+)\n/, ask: "hello", want: "hello" },
  {
    script: "fixed_length_server",
    port: /Listening at [^\n]*:(\d+) /,
    ask: "Hi there, server",
    want: "Hello World!",
  },
  {
    script: "http_server",
    port: /Listening on http:\/\/[^\n]*:(\d+)\//,
    ask: "GET / HTTP/1.0\r\n\r\n",
    want: "HTTP/1.1 404 Not Found",
  },
];

/** One well-behaved exchange: send, half-close, read to EOF; returns the reply and its time. */
async function exchange(port: number, ask: string): Promise<[string, number]> {
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, new TextEncoder().encode(ask));
    await conn.closeWrite();
    const reply = new TextDecoder().decode(await readToEnd(conn, 1 << 16, 10_000));
    return [reply, performance.now() - t0];
  } finally {
    conn.close();
  }
}

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

for (const s of SERVERS) {
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
        assert(!/accept failed/.test(server.stdout), server.stdout.slice(0, 500));
      } finally {
        await stopped(server);
      }
    },
  });
}

Deno.test("tcp_server: a closed stdout (`| head -3`) drops the log, one line says so, serving goes on", async () => {
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
      await new Promise((r) => setTimeout(r, 50)); // let the log line be flushed, and fail
    }
  } finally {
    child.kill("SIGINT");
  }
  const status = await child.status;
  const err = await stderr;
  assertEquals(status.code, 0, err);
  assertEquals(err.split("\n").filter(Boolean).length, 1, err);
  assert(err.startsWith("log lines are dropped from now on: stdout cannot be written"), err);
});

/** Connects and sends one byte every 300 ms until the server closes (30 bytes at most). */
async function dripper(port: number): Promise<{ done: Promise<void> }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const done = (async () => {
    try {
      for (let i = 0; i < 30; i++) {
        await conn.write(new Uint8Array([0x61]));
        await new Promise((r) => setTimeout(r, 300));
      }
    } catch { /* the server closed the connection */ }
    conn.close();
  })();
  return { done };
}

for (const [name, mod] of [["tcp_server", tcp], ["echo_server", echo]] as const) {
  Deno.test(`${name}: 5 clients dripping a byte every 300 ms do not hold all 5 slots`, async () => {
    const listener = mod.bind("127.0.0.1", 0);
    const stop = new AbortController();
    const log: string[] = [];
    const serving = mod.serve(listener, {
      signal: stop.signal,
      maxConnections: 5,
      idleTimeoutMs: 500,
      log: (l) => log.push(l),
    });
    const port = listener.addr.port;
    try {
      const drips = await Promise.all(Array.from({ length: 5 }, () => dripper(port)));
      await new Promise((r) => setTimeout(r, 100)); // all five slots are taken
      const [reply, ms] = await exchange(port, "hello");
      assertEquals(reply.toLowerCase(), "hello");
      // Before: the idle timeout restarted at every byte, so the newcomer waited 9 s (the drip).
      assert(ms < 3000, `served after ${ms.toFixed(0)} ms`);
      await Promise.all(drips.map((d) => d.done));
      assert(log.some((l) => /under 512 bytes, for 0\.5 s/.test(l)), log.join("\n"));
    } finally {
      stop.abort();
      await serving;
    }
  });
}

/** How many file descriptors a process has open (Linux), or NaN elsewhere. */
async function openFds(pid: number): Promise<number> {
  const out = await new Deno.Command("ls", { args: [`/proc/${pid}/fd`] }).output()
    .catch(() => null);
  return out?.success
    ? new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).length
    : NaN;
}

Deno.test({
  name: "tcp_server: 2,000 connect-and-close cycles leak no descriptor; the server is idle after",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const { server, port } = await startServer("examples/tcp_server.ts", [], SERVERS[0].port);
    try {
      const before = await openFds(server.pid);
      for (let i = 0; i < 2000; i++) (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      const [reply] = await exchange(port, "still here");
      assertEquals(reply, "STILL HERE");
      await new Promise((r) => setTimeout(r, 200)); // the last closes are handled
      assertEquals(await openFds(server.pid), before);
      const cpu0 = await cpuSeconds(server.pid);
      await new Promise((r) => setTimeout(r, 1000));
      const busy = (await cpuSeconds(server.pid)) - cpu0;
      assert(busy < 0.1, `the server used ${busy} s of CPU in 1 s with no client`);
    } finally {
      await stopped(server);
    }
  },
});

/**
 * What every server keeps doing under load and abuse, each run as a real subprocess: it exits 0
 * on SIGINT and SIGTERM, serves 500 clients at once, leaks no descriptor over 5,000
 * connect-and-close cycles, survives a datagram flood, and is idle afterwards. And every script
 * answers a bad command line with one line and exit 2.
 */
import { sleep } from "../lib/deadline.ts";
import { assert, assertEquals, assertMatch } from "@std/assert";
import { deno, ROOT, Running, startServer } from "./_process.ts";
import { header } from "./_examples.ts";
import {
  assertIdle,
  assertServes,
  exchange,
  type ServerSpec,
  TCP_SERVERS,
  UDP_SERVERS,
} from "./_servers.ts";

const linux = Deno.build.os === "linux";
const STACK = /Uncaught| {4}at /;

function start(spec: ServerSpec, args: string[] = []) {
  return startServer(`examples/${spec.script}.ts`, args, spec.port);
}

async function stopped(server: Running, signal: Deno.Signal = "SIGINT") {
  const end = await server.stop(signal);
  assertEquals(end.code, 0, end.stderr);
  assert(!STACK.test(end.stderr), `a stack trace:\n${end.stderr}`);
}

for (const spec of [...TCP_SERVERS, ...UDP_SERVERS]) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.test(`${spec.script}: serves, then exits 0 on ${signal}`, async () => {
      const { server, port } = await start(spec);
      try {
        await assertServes(spec, port, server);
      } finally {
        await stopped(server, signal);
      }
    });
  }
}

for (const spec of TCP_SERVERS) {
  Deno.test(`${spec.script}: 500 clients at once are all served`, async () => {
    const { server, port } = await start(spec);
    try {
      const replies = await Promise.all(
        Array.from({ length: 500 }, () => exchange(port, spec.ask)),
      );
      assertEquals(replies.filter(([r]) => r.startsWith(spec.want)).length, 500);
      if (linux) await assertIdle(server.pid, spec.script);
    } finally {
      await stopped(server);
    }
  });
}

/** How many file descriptors a process has open (Linux). */
async function openFds(pid: number): Promise<number> {
  const out = await new Deno.Command("ls", { args: [`/proc/${pid}/fd`] }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).length;
}

for (const spec of TCP_SERVERS) {
  Deno.test({
    name: `${spec.script}: 5,000 connect-and-close cycles leak no descriptor; idle after`,
    ignore: !linux,
    async fn() {
      const { server, port } = await start(spec);
      try {
        const before = await openFds(server.pid);
        for (let i = 0; i < 5000; i++) {
          (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        }
        await assertServes(spec, port, server);
        // The last closes are handled within a moment. A leak would leave thousands open; the
        // runtime itself may open a descriptor or two on its own (a worker thread's), so a
        // handful more than before is not a leak.
        let now = await openFds(server.pid);
        for (let i = 0; i < 20 && now > before; i++) {
          await sleep(100);
          now = await openFds(server.pid);
        }
        assert(now <= before + 4, `${now} descriptors open after 5,000 cycles, ${before} before`);
        await assertIdle(server.pid, spec.script);
      } finally {
        await stopped(server);
      }
    },
  });
}

const hasPython = await new Deno.Command("python3", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

for (const spec of TCP_SERVERS) {
  Deno.test({
    name: `${spec.script}: out of descriptors (ulimit -n 40), accept() fails, pauses and goes on`,
    ignore: !linux || !hasPython,
    async fn() {
      // python3 lowers the descriptor limit, then becomes the server (exec): as `ulimit -n 40`.
      const limit =
        "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40));" +
        " os.execv(sys.argv[1], sys.argv[1:])";
      const server = Running.command([
        "python3",
        "-c",
        limit,
        Deno.execPath(),
        "run",
        "--allow-net",
        `${ROOT}examples/${spec.script}.ts`,
        "--port",
        "0",
      ]);
      try {
        const port = Number((await server.waitFor(spec.port))[1]);
        // 60 clients the kernel accepts for it, more than it has descriptors for.
        const held: Deno.Conn[] = [];
        for (let i = 0; i < 60; i++) held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
        await server.waitFor(/accept\(\) failed: /);
        for (const c of held) c.close();
        // A plain `for await (const conn of listener)` would have ended at the first EMFILE.
        const [reply] = await exchange(port, spec.ask);
        assert(reply.startsWith(spec.want), reply);
      } finally {
        await stopped(server);
      }
    },
  });
}

for (const spec of UDP_SERVERS) {
  Deno.test(`${spec.script}: 20,000 datagrams of 0 to 65,507 bytes are survived; idle after`, async () => {
    const { server, port } = await start(spec);
    const flood = Deno.listenDatagram({ transport: "udp", hostname: spec.host, port: 0 });
    try {
      const to = { transport: "udp" as const, hostname: spec.host, port };
      const sizes = [0, 1, 512, 1472, 65_507].map((n) => new Uint8Array(n).fill(0x78));
      for (let i = 0; i < 20_000; i++) await flood.send(sizes[i % sizes.length], to);
      await assertServes(spec, port, server);
      if (linux) await assertIdle(server.pid, spec.script);
      assert(!STACK.test(server.stderr), server.stderr);
    } finally {
      flood.close();
      await stopped(server);
    }
  });
}

/** Every script in examples/, and its usage line. */
const scripts: string[] = [];
for await (const entry of Deno.readDir(`${ROOT}examples`)) {
  if (entry.name.endsWith(".ts")) scripts.push(entry.name.slice(0, -3));
}
scripts.sort();

Deno.test("every script: a bad command line is one line naming the script, a usage, exit 2", async () => {
  const checked: string[] = [];
  for (const script of scripts) {
    const help = await deno(["run", "-A", `examples/${script}.ts`, "--help"]);
    assertEquals(help.code, 0, `${script} --help: ${help.stderr}`);
    const bad = [["--no-such-flag"], ["--port"]];
    if (/--port/.test(help.stdout)) {
      bad.push(["--port", "70000"], ["--port", "0x10"], ["--port", "-1"]);
    }
    if (/--timeout/.test(help.stdout)) bad.push(["--timeout", "soon"]);
    for (const args of bad) {
      const out = await deno(["run", "-A", `examples/${script}.ts`, ...args]);
      const what = `${script} ${args.join(" ")}`;
      assertEquals(out.code, 2, `${what}: ${out.stderr}`);
      const lines = out.stderr.split("\n");
      assert(lines[0].startsWith(`${script}: `), `${what}: ${out.stderr}`);
      assertEquals(lines.filter((l) => l.startsWith(`${script}: `)).length, 1, what);
      assert(lines[1].startsWith("usage: "), `${what}: ${out.stderr}`);
      assert(!STACK.test(out.stderr), `${what}: ${out.stderr}`);
      // A negative port is a bad port, not an unknown flag `-1`.
      if (args[1] === "-1") {
        assert(!lines[0].includes('unknown flag "-1"'), lines[0]);
        if (/port/.test(lines[0])) assertMatch(lines[0], /: bad --port "-1": a port is a whole/);
      }
      checked.push(what);
    }
  }
  assert(checked.length > 3 * scripts.length, checked.join("\n"));
});

Deno.test("every script: --help opens with one sentence, documents each flag of its header, in SEC", async () => {
  for (const script of scripts) {
    const help = await deno(["run", "-A", `examples/${script}.ts`, "--help"]);
    const [first, second] = help.stdout.split("\n");
    assert(/^[A-Z].*[a-z)]/.test(first) && !first.startsWith("usage"), `${script}: ${first}`);
    assert(help.stdout.includes("\nusage: "), `${script}: no usage line`);
    assert(!second.startsWith("  "), `${script}: ${second}`);
    assertMatch(help.stdout, /^ {2}--help, -h +print this help and exit$/m);
    // Every flag of the header's run line is explained on a line of its own.
    const { run } = await header(`${script}.ts`);
    for (const flag of run.split(`${script}.ts`)[1].match(/--[a-z-]+/g) ?? []) {
      assertMatch(help.stdout, new RegExp(`^ {2}(-\\S+, )*${flag}\\b`, "m"), `${script}: ${flag}`);
    }
    // The descriptions start in one column, --help's included.
    const columns = help.stdout.split("\n").map((l) => l.match(/^ {2}\S.*? {2,}(?=\S)/)?.[0].length)
      .filter((c) => c !== undefined);
    assertEquals(new Set(columns).size, 1, `${script}: descriptions start in columns ${columns}`);
    // One unit for times: seconds, as Python's settimeout().
    assert(!/\bMS\b|SECONDS|\bmsec/.test(help.stdout), `${script}: ${help.stdout}`);
  }
});

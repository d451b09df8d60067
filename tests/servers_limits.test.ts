/**
 * Every TCP server and its descriptors, as a real subprocess: none leaks over 5,000
 * connect-and-close cycles, and running out of them (ulimit -n 40) pauses accept(), not the server.
 */
import { sleep } from "../lib/deadline.ts";
import { assert } from "@std/assert";
import { ROOT, Running } from "./_process.ts";
import { assertIdle, assertServes, exchange, start, stopped, TCP_SERVERS } from "./_servers.ts";

const linux = Deno.build.os === "linux";

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

/**
 * Connect time with a dead IPv6 path: lib/happy_eyeballs.ts against `Deno.connect`'s built-in
 * race (Deno 2.9+), and against one address at a time. Not a test: run it by hand.
 *
 * ```sh
 * deno run --allow-net tests/bench_connect.ts [--name dual.test] [--rounds 5]
 * ```
 *
 * `Deno.connect` resolves the name itself, so NAME must have both a ::1 and a 127.0.0.1 entry
 * (for example two lines in /etc/hosts: `::1 dual.test` and `127.0.0.1 dual.test`); the script
 * checks and says so. The dead IPv6 path: a listener on ::1 with a backlog of 0 that never
 * accepts, filled by one connection, so the kernel drops further SYNs to it. Bounded: each
 * connect gives up after 10 s.
 */
import { parseCli } from "../lib/cli.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { connectHappyEyeballs } from "../examples/happy_eyeballs_client.ts";
import { getaddrinfo } from "../lib/resolve.ts";

async function time(f: () => Promise<Deno.Conn>): Promise<string> {
  const t0 = performance.now();
  try {
    const conn = await f();
    const ms = performance.now() - t0;
    const remote = (conn.remoteAddr as Deno.NetAddr).hostname;
    conn.close();
    return `${ms.toFixed(1)} ms (${remote})`;
  } catch (err) {
    return `failed after ${(performance.now() - t0).toFixed(0)} ms: ${(err as Error).message}`;
  }
}

if (import.meta.main) {
  await runMain(
    "bench_connect",
    "usage: deno run --allow-net tests/bench_connect.ts [--name dual.test] [--rounds 5]",
    async () => {
      const cli = parseCli(Deno.args, { strings: { name: "dual.test", rounds: "5" } });
      const name = cli.string("name")!;
      const families = new Set((await getaddrinfo(name).catch(() => [])).map((a) => a.address));
      if (!families.has("::1") || !families.has("127.0.0.1")) {
        throw new UserError(
          `${name} must resolve to both ::1 and 127.0.0.1 (add both to /etc/hosts)`,
        );
      }
      // One port number on both families: the dead ::1 listener and a live 127.0.0.1 one.
      const v6 = Deno.listen({ hostname: "::1", port: 0, tcpBacklog: 0 });
      const port = v6.addr.port;
      const v4 = Deno.listen({ hostname: "127.0.0.1", port });
      const filler = await Deno.connect({ hostname: "::1", port });
      const accepting = (async () => {
        for await (const c of v4) c.close();
      })();
      try {
        for (let i = 0; i < Math.floor(cli.number("rounds", 1, 50)); i++) {
          const ours = await time(async () =>
            (await connectHappyEyeballs(name, port, { timeoutMs: 10_000, preferFamily: 6 })).conn
          );
          const builtin = await time(() =>
            Deno.connect({ hostname: name, port, signal: AbortSignal.timeout(10_000) })
          );
          const seq = await time(async () =>
            (await connectHappyEyeballs(name, port, {
              sequential: true,
              timeoutMs: 2000,
              preferFamily: 6,
            })).conn
          );
          console.log(
            `round ${
              i + 1
            }: happy_eyeballs.ts ${ours} | Deno.connect ${builtin} | sequential (gives up at 2 s) ${seq}`,
          );
        }
      } finally {
        filler.close();
        v6.close();
        v4.close();
        await accepting.catch(() => {});
      }
    },
  );
}

/**
 * @module `deno task mutants`: are the tests able to catch the bugs a student writes? Each mutant
 * below is one such bug, made in a temporary copy of the repository; the tests that should catch
 * it run there, and the mutant is killed when one of them fails. Run by hand, not in CI (about 5
 * minutes): it prints each mutant's fate and the kill ratio, and exits 1 under 95%.
 *
 * ```sh
 * deno task mutants [ID...]
 * ```
 */
import { parseCli, UsageError } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { copyRepo, removeCopy } from "./_process.ts";

/** A bug a student could write: in `file`, `from` (found exactly once) becomes `to`. */
interface Mutant {
  id: string;
  file: string;
  from: string;
  to: string;
  /** The test files that should catch it. */
  tests: string[];
}

const m = (id: string, file: string, from: string, to: string, ...tests: string[]): Mutant => ({
  id,
  file: `examples/${file}`.replace("examples/lib/", "lib/"),
  from,
  to,
  tests: tests.map((t) => `tests/${t}.test.ts`),
});

/** The bugs, one per line of the lessons a student gets wrong. */
// deno-fmt-ignore
export const MUTANTS: Mutant[] = [
  m("udp-wrong-port", "udp_server.ts", "socket.send(asciiUpper(data), from)", "socket.send(asciiUpper(data), { ...from, port: from.port + 1 })", "udp"),
  m("udp-no-upper", "udp_server.ts", "socket.send(asciiUpper(data), from)", "socket.send(data, from)", "udp"),
  m("udp-client-no-resend", "udp_client.ts", "attempt <= retries + 1; attempt++", "attempt <= 1; attempt++", "udp"),
  m("udp-client-any-sender", "udp_client.ts", "if (sameAddress(got[1] as Deno.NetAddr, server)) return got[0];", "return got[0];", "udp"),
  m("tcp-first-chunk-only", "tcp_server.ts", "    if (n === null) break;", "    if (n === null || total > 0) break;", "tcp"),
  m("tcp-one-client-at-a-time", "tcp_server.ts", "    clients.set(conn, task);", "    clients.set(conn, task);\n    await task;", "tcp"),
  m("tcp-client-no-half-close", "tcp_client.ts", "await conn.closeWrite().catch(ignoreGone);", "", "tcp"),
  m("echo-stop-at-short-read", "echo_server.ts", "if (n === null) break;", "if (n === null || n < chunk) break;", "echo"),
  m("echo-client-no-half-close", "echo_client.ts", "await conn.closeWrite().catch(ignoreGone);", "", "echo"),
  m("fixed-recv-all-15", "fixed_length_server.ts", "got < 16; got += n", "got < 15; got += n", "fixed_length"),
  m("fixed-dies-on-early-close", "fixed_length_server.ts", ".catch((err) => log(`${hashAddr(conn.remoteAddr)}: ${explain(err)}`))", ".catch((err) => { throw err; })", "fixed_length"),
  m("http-404-and-501-swapped", "http_server.ts", "includes(req.method) ? 404 : 501", "includes(req.method) ? 501 : 404", "http_server"),
  m("http-body-for-head", "http_server.ts", 'response(status, "method" in req && req.method === "HEAD")', "response(status, false)", "http_server"),
  m("http-getx-is-get", "http_server.ts", '["GET", "HEAD"].includes(req.method)', '(req.method.startsWith("GET") || req.method === "HEAD")', "http_server"),
  m("http-no-host-check", "http_server.ts", 'hosts > 1 || (version === "HTTP/1.1" && hosts === 0)', "hosts > 1", "http_server"),
  m("http-two-hosts-in-1.0", "http_server.ts", 'hosts > 1 || (version === "HTTP/1.1" && hosts === 0)', 'version === "HTTP/1.1" && hosts !== 1', "http_server"),
  m("http-no-431", "http_server.ts", 'let req: Head = { status: 431, reason: "head too large" };', 'let req: Head = { status: 400, reason: "head too large" };', "http_server"),
  m("http-no-408", "http_server.ts", '{ status: 408, reason: "head unfinished" }', '{ status: 400, reason: "head unfinished" }', "http_server"),
  m("backoff-same-wait", "udp_backoff_client.ts", "const end = performance.now() + delay;", "const end = performance.now() + initialMs;", "udp_backoff"),
  m("backoff-first-wait-0.2", "udp_backoff_client.ts", "initialMs = 100,", "initialMs = 200,", "udp_backoff"),
  m("length-off-by-one", "udp_length_server.ts", "The msg was ${data.length} bytes long", "The msg was ${data.length + 1} bytes long", "udp_backoff"),
  m("sockaddr-port-host-order", "ipv6_server.ts", "setUint16(2, peer.port)", "setUint16(2, peer.port, true)", "ipv6"),
  m("byte-order-flags-reversed", "byte_order.ts", "m.flags[f] ? b | (0x80 >> i) : b", "m.flags[f] ? b | (0x01 << i) : b", "byte_order"),
  m("htons-little-endian", "byte_order.ts", "Uint8Array.from([n >> 8, n & 0xff])", "Uint8Array.from([n & 0xff, n >> 8])", "byte_order"),
  m("upper-misses-z", "lib/bytes.ts", "b >= 0x61 && b <= 0x7a", "b >= 0x61 && b < 0x7a", "bytes"),
  m("terminal-safe-c0-only", "lib/bytes.ts", "/[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]/g", "/[\\x00-\\x08\\x0b-\\x1f\\x7f]/g", "bytes"),
  m("same-address-as-text", "lib/address.ts", "if (isIPv4Literal(bare)) return ipv6Bytes(`::ffff:${bare}`).join();", "if (isIPv4Literal(bare)) return bare;", "udp"),
  m("he-no-alternation", "happy_eyeballs_client.ts", "next = family === 6 ? 4 : 6;", "next = family;", "happy_eyeballs_client"),
  m("he-loser-kept-open", "happy_eyeballs_client.ts", "if (won || !attempts.delete(address)) return conn.close();", "if (won || !attempts.delete(address)) return;", "happy_eyeballs_client"),
  m("he-no-resolution-delay", "happy_eyeballs_client.ts", "answeredAt[other] + 50", "answeredAt[other]", "happy_eyeballs_client"),
  m("he-no-stagger", "happy_eyeballs_client.ts", "Math.max(ready, lastAt + delay)", "ready", "happy_eyeballs_client"),
  m("port-65536-accepted", "lib/cli.ts", "Number(text) > 65535", "Number(text) > 65536", "cli"),
  m("timer-left-running", "lib/deadline.ts", "promise.then(resolve, reject).finally(() => clearTimeout(timer));", "promise.then(resolve, reject);", "deadline"),
  m("accept-loop-dies-on-error", "lib/errors.ts", "if (err instanceof e.BadResource || err instanceof e.Interrupted) return false;", "if (err instanceof Error) return false;", "servers"),
];

/** The test task's command from deno.json, run on `files` instead of the whole of tests/. */
async function testCommand(dir: string, files: string[]): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
  const task: string = config.tasks.test.command;
  const words = task.replace(/\$\(deno eval '[^']*'\)/, Deno.execPath()).split(" ").slice(1);
  return [...words.filter((w) => w !== "tests/"), ...files];
}

/**
 * Runs the tests of `mutant` in `dir`: "killed", "survived" or "hung" (over `limitMs`); or
 * "invalid" when the mutated file does not even type-check (a mutant the compiler kills teaches
 * nothing about the tests: fix the list).
 */
async function fate(dir: string, mutant: Mutant, limitMs: number): Promise<string> {
  const check = await new Deno.Command(Deno.execPath(), {
    args: ["check", mutant.file],
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).output();
  if (!check.success) return "invalid";
  const child = new Deno.Command(Deno.execPath(), {
    args: await testCommand(dir, mutant.tests),
    cwd: dir,
    stdout: "null",
    stderr: Deno.env.get("MUTANTS_DEBUG") ? "inherit" : "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => (hung = true, child.kill("SIGKILL")), limitMs);
  const status = await child.status;
  clearTimeout(timer);
  return hung ? "hung" : status.success ? "survived" : "killed";
}

if (import.meta.main) {
  const usage =
    `Makes each known student bug in a copy of the repository and runs the tests that should catch it.
usage: deno task mutants [ID...]
  ID          run only these mutants (default: all ${MUTANTS.length})`;
  await runMain("mutants", usage, async () => {
    const cli = parseCli(Deno.args, { maxPositionals: Infinity });
    const chosen = cli.positionals.length === 0
      ? MUTANTS
      : MUTANTS.filter((x) => cli.positionals.includes(x.id));
    if (chosen.length < cli.positionals.length) throw new UsageError("no such mutant");
    const dir = await copyRepo("mutants-");
    const fates: Record<string, number> = { killed: 0, survived: 0, hung: 0, stale: 0, invalid: 0 };
    try {
      for (const mutant of chosen) {
        const path = `${dir}/${mutant.file}`;
        const original = await Deno.readTextFile(path);
        const t0 = performance.now();
        let result = "stale"; // the code it mutates is not there (any more): fix the list
        if (original.split(mutant.from).length === 2) {
          await Deno.writeTextFile(path, original.replace(mutant.from, mutant.to));
          result = await fate(dir, mutant, 180_000);
          await Deno.writeTextFile(path, original);
        }
        fates[result]++;
        const s = ((performance.now() - t0) / 1000).toFixed(1);
        console.log(
          `${result.padEnd(8)} ${mutant.id.padEnd(28)} ${mutant.tests.join(" ")} (${s} s)`,
        );
      }
    } finally {
      await removeCopy(dir);
    }
    const ratio = fates.killed / chosen.length;
    console.log(
      `\n${fates.killed} of ${chosen.length} mutants killed (${(ratio * 100).toFixed(0)}%); ` +
        `${fates.survived} survived, ${fates.hung} hung, ${fates.stale} stale, ${fates.invalid} invalid`,
    );
    return ratio >= 0.95 ? 0 : 1;
  });
}

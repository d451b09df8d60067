/**
 * `deno task bench`: each server beside the floor of its API (a naive loop in Deno, kept next to
 * this file) and, when python3 is on PATH, the textbook Python server (and Node's dgram for
 * UDP, when node is): many short interleaved rounds against servers started once, the median
 * and interquartile range of operations per second, the server's CPU per operation from /proc,
 * its peak RSS, and the ratio to the floor taken within each round. Not a test: nothing here
 * is timed in CI.
 *
 * ```sh
 * deno task bench [--rounds 15] [--seconds 1] [--only http,udp,tcp]
 * ```
 *
 * HTTP load comes from wrk (`apt-get install wrk`), one new connection per request; without wrk
 * a Deno load client is used and the table says so. UDP and TCP load come from this process.
 * Each server is told its port and its output goes to /dev/null, as an operator would send a
 * busy server's log (our servers log every request; the floors log nothing).
 * Loopback only; every server started is stopped; each round is bounded in time.
 */
import { parseCli } from "../../lib/cli.ts";
import { runMain, UserError } from "../../lib/errors.ts";
import { ROOT } from "../_process.ts";
import { bound, cpuSeconds, peakMB } from "../_proc.ts";
import { freePort } from "../grade/program.ts";

/** `1 round`, `15 rounds`. */
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A server to measure: how to start it and how it prints its port. */
interface Server {
  name: string;
  /** The command: `deno` means this Deno binary; `{port}` is the port it must listen on. */
  cmd: string[];
  floor?: boolean;
}

const PY_HTTP = `
import socket, sys, time
body = b"Not Found: this server has no pages at all.\\n"
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
while True:
    c, _ = s.accept()
    data = b""
    while b"\\r\\n\\r\\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    c.sendall(("HTTP/1.1 404 Not Found\\r\\nDate: %s\\r\\nServer: Dummy-HTTP-Server\\r\\n"
               "Content-Type: text/plain; charset=utf-8\\r\\nContent-Length: %d\\r\\n"
               "Connection: close\\r\\n\\r\\n" % (date, len(body))).encode() + body)
    c.close()
`;

const PY_UDP = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(data.upper(), addr)
`;

const NODE_UDP = `
const s = require("node:dgram").createSocket("udp4");
s.on("message", (m, r) => s.send(Buffer.from(m.toString("latin1").toUpperCase(), "latin1"), r.port, r.address));
s.bind(Number(process.argv[1]), "127.0.0.1");
`;

const PY_TCP = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
while True:
    c, _ = s.accept()
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d.upper())
    c.close()
`;

/** Whether `cmd` can be run here (whatever its exit code). */
async function has(cmd: string, args: string[]): Promise<boolean> {
  try {
    // A missing program makes output() throw at once, not return a rejected promise.
    await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/** Starts `s` on `port`, its output dropped (as an operator sends a busy log to /dev/null). */
function start(s: Server, port: number): Deno.ChildProcess {
  const cmd = s.cmd.map((w) => w === "{port}" ? `${port}` : w);
  return new Deno.Command(cmd[0] === "deno" ? Deno.execPath() : cmd[0], {
    args: cmd.slice(1),
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
}

/** A server started for a table: its process and its port. */
interface Running {
  server: Deno.ChildProcess;
  port: number;
}

/** Starts `s` on a free port and waits until it is bound (10 s at most). */
async function launch(s: Server, transport: "tcp" | "udp"): Promise<Running> {
  const port = freePort(transport, "127.0.0.1");
  const server = start(s, port);
  for (let i = 0; !await bound(transport, port); i++) {
    if (i === 500) {
      server.kill("SIGKILL");
      await server.status;
      throw new UserError(`${s.name} did not listen on port ${port} in 10 s`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { server, port };
}

/** One round against a running server: operations per second and server CPU per operation. */
async function round(
  { server, port }: Running,
  load: (port: number) => Promise<number>,
): Promise<{ rate: number; cpuPerOp: number }> {
  const cpu0 = await cpuSeconds(server.pid);
  const t0 = performance.now();
  const ops = await load(port);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuSeconds(server.pid)) - cpu0;
  return { rate: ops / seconds, cpuPerOp: cpu / ops };
}

/** wrk for `seconds`: the number of responses. */
async function wrk(port: number, seconds: number): Promise<number> {
  const out = await new Deno.Command("wrk", {
    args: ["-t1", "-c50", `-d${seconds}s`, `http://127.0.0.1:${port}/`],
  }).output();
  return Number(new TextDecoder().decode(out.stdout).match(/(\d+) requests in/)?.[1]);
}

/** Without wrk: 50 loops of connect, GET, read to EOF, close, for `seconds`. */
async function denoHttpLoad(port: number, seconds: number): Promise<number> {
  const request = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: 50 }, async () => {
    const buf = new Uint8Array(4096);
    while (performance.now() < end) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await conn.write(request);
        while ((await conn.read(buf)) !== null);
        done++;
      } catch { /* counted as not done */ }
      conn.close();
    }
  }));
  return done;
}

/** UDP: `window` 32-byte requests in flight for `seconds`; replies received. */
async function udpLoad(port: number, window: number, seconds: number): Promise<number> {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  const payload = new Uint8Array(32).fill(0x61);
  const buf = new Uint8Array(2048);
  let got = 0;
  const end = performance.now() + seconds * 1000;
  try {
    for (let i = 0; i < window; i++) await sock.send(payload, to);
    let pending = sock.receive(buf);
    pending.catch(() => {});
    while (performance.now() < end) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const lost = new Promise<null>((r) => timer = setTimeout(() => r(null), 200));
      const reply = await Promise.race([pending, lost]);
      clearTimeout(timer);
      if (reply !== null) {
        got++;
        pending = sock.receive(buf);
        pending.catch(() => {});
      }
      await sock.send(payload, to); // a reply, or a loss: keep the window full
    }
  } finally {
    sock.close();
  }
  return got;
}

/**
 * The C UDP load client (`udp_load.c`), compiled with `cc` into a new temporary directory: the
 * program's path and the directory (which the caller removes), or undefined without a compiler
 * (or when it fails: then nothing is left behind).
 */
export async function compileUdpLoad(): Promise<{ exe: string; dir: string } | undefined> {
  if (!await has("cc", ["--version"])) return undefined;
  const made = await new Deno.Command("mktemp", { args: ["-d"] }).output();
  const dir = new TextDecoder().decode(made.stdout).trim();
  if (!made.success || dir === "") return undefined;
  const exe = `${dir}/udp_load`;
  const cc = await new Deno.Command("cc", {
    args: ["-O2", "-o", exe, `${ROOT}/tests/bench/udp_load.c`],
    stderr: "inherit",
  }).output();
  if (cc.success) return { exe, dir };
  await removeDir(dir);
  return undefined;
}

/** Removes a directory this benchmark made (through `rm`: the task may not write files). */
export async function removeDir(dir: string): Promise<void> {
  await new Deno.Command("rm", { args: ["-r", dir] }).output();
}

/** UDP through the C client: `window` in flight for `seconds`; replies received. */
export async function udpLoadC(exe: string, port: number, window: number, seconds: number) {
  const out = await new Deno.Command(exe, { args: [`${port}`, `${window}`, `${seconds}`] })
    .output();
  const got = Number(new TextDecoder().decode(out.stdout));
  if (!out.success || !Number.isFinite(got)) throw new UserError(`${exe} failed`);
  return got;
}

/** TCP: `total` bytes each way over one connection; returns bytes (of each direction). */
async function tcpLoad(port: number, total: number): Promise<number> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const sending = (async () => {
      for (let sent = 0; sent < total; sent += chunk.length) {
        for (let off = 0; off < chunk.length;) off += await conn.write(chunk.subarray(off));
      }
      await conn.closeWrite();
    })();
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    for (let n; (n = await conn.read(buf)) !== null;) got += n;
    await sending;
    return got;
  } finally {
    conn.close();
  }
}

/** The value at fraction `q` (0 to 1) of the sorted `xs`, interpolated. */
const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b), at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
};
const fmt = (x: number, digits = 0) =>
  x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** `median [q1-q3]`: the middle half of the rounds, not their extremes (one slow second of a
 * shared machine would otherwise set the range). */
const spread = (xs: number[], show: (x: number) => string) =>
  xs.every(Number.isFinite)
    ? `${show(quantile(xs, 0.5))} [${show(quantile(xs, 0.25))}-${show(quantile(xs, 0.75))}]`
    : "n/a";

/**
 * Runs `rounds` interleaved rounds of every server and prints the table. Every server is
 * started once and stays up for the table (a warm-up load first, unmeasured), so a round is
 * only the load: many short rounds, each server's close in time to the others', instead of a
 * few long ones with a start between them.
 */
async function table(
  title: string,
  transport: "tcp" | "udp",
  servers: Server[],
  rounds: number,
  load: (port: number) => Promise<number>,
  unit: { rate: string; scale: number; cpu: string; cpuScale: number },
) {
  console.log(`\n${title}`);
  const results = servers.map(() => [] as { rate: number; cpuPerOp: number }[]);
  const running: Running[] = [];
  const rss: number[] = [];
  try {
    for (const s of servers) running.push(await launch(s, transport));
    for (const r of running) await load(r.port); // warm-up: the JIT, the heap, the caches
    for (let r = 0; r < rounds; r++) {
      // Every other round in the opposite order, so no server always runs first or last.
      const order = [...servers.keys()];
      if (r % 2 === 1) order.reverse();
      for (const i of order) results[i].push(await round(running[i], load));
    }
    for (const r of running) rss.push(await peakMB(r.server.pid));
  } finally {
    for (const r of running) {
      r.server.kill("SIGKILL");
      await r.server.status;
    }
  }
  // Each ratio is taken within a round (the servers of one round ran seconds apart), then the
  // median of the rounds: a machine that slows down or speeds up between rounds moves every
  // server of a round alike, and the ratio stays.
  const floor = results[servers.findIndex((s) => s.floor)];
  const ratios = (i: number, of: (x: { rate: number; cpuPerOp: number }) => number) =>
    results[i].map((x, r) => of(x) / of(floor[r]));
  const ratio = (xs: number[]) => spread(xs, (x) => x.toFixed(2)).replace(" [", "x [");
  console.log(
    `  ${"server".padEnd(40)} ${unit.rate.padStart(26)} ${unit.cpu.padStart(20)} ${
      "peak RSS".padStart(9)
    }  vs the floor: rate ${"".padEnd(12)} CPU`,
  );
  for (const [i, s] of servers.entries()) {
    const digits = unit.cpu.includes("µs") ? 1 : 2;
    const rate = spread(results[i].map((x) => x.rate / unit.scale), (x) => fmt(x));
    const cpu = spread(results[i].map((x) => x.cpuPerOp * unit.cpuScale), (x) => fmt(x, digits));
    const vs = `${ratio(ratios(i, (x) => x.rate)).padEnd(23)} ${
      ratio(ratios(i, (x) => x.cpuPerOp))
    }`;
    console.log(
      `  ${s.name.padEnd(40)} ${rate.padStart(26)} ${cpu.padStart(20)} ${
        `${fmt(rss[i])} MB`.padStart(9)
      }  ${vs}`,
    );
  }
}

if (import.meta.main) {
  const usage = `Benchmarks each server beside the floor of its API (and Python, Node when present).
usage: deno task bench [options]
  --rounds N     interleaved rounds per server (default 15)
  --seconds SEC  load per round, for HTTP and UDP (default 1)
  --mib N        bytes each way per TCP round, in MiB (default 256)
  --only LIST    some of http,udp,tcp (default all)`;
  await runMain("bench", usage, async () => {
    const cli = parseCli(Deno.args, {
      strings: { rounds: "15", seconds: "1", mib: "256", only: "http,udp,tcp" },
    });
    const rounds = Math.floor(cli.number("rounds", 1, 100));
    const seconds = cli.number("seconds", 1, 60);
    const total = cli.number("mib", 1, 4096) * 1024 * 1024;
    const only = cli.string("only")!.split(",");
    const python = await has("python3", ["--version"]);
    const node = await has("node", ["--version"]);
    const deno = (
      flags: string[],
      script: string,
    ) => ["deno", "run", ...flags, script, "--port", "{port}"];
    const net = ["--allow-net=127.0.0.1"];

    if (only.includes("http")) {
      const withWrk = await has("wrk", ["-v"]);
      const load = withWrk
        ? (port: number) => wrk(port, seconds)
        : (port: number) => denoHttpLoad(port, seconds);
      await table(
        withWrk
          ? `HTTP: wrk -t1 -c50 -d${seconds}s, a new connection per request (${
            plural(rounds, "round")
          })`
          : `HTTP: a Deno load client, 50 connections (wrk is not installed: apt-get install wrk)`,
        "tcp",
        [
          {
            name: "examples/http_server.ts",
            cmd: deno(net, "examples/http_server.ts"),
          },
          {
            name: "floor: tests/bench/floor_http.ts",
            cmd: ["deno", "run", ...net, "tests/bench/floor_http.ts", "--port", "{port}"],
            floor: true,
          },
          ...(python
            ? [{
              name: "textbook Python (sequential)",
              cmd: ["python3", "-c", PY_HTTP, "{port}"],
            }]
            : []),
        ],
        rounds,
        load,
        { rate: "requests/s", scale: 1, cpu: "CPU µs/request", cpuScale: 1e6 },
      );
    }
    if (only.includes("udp")) {
      const servers: Server[] = [
        { name: "examples/udp_server.ts", cmd: deno(net, "examples/udp_server.ts") },
        {
          name: "floor: tests/bench/floor_udp.ts",
          cmd: ["deno", "run", ...net, "tests/bench/floor_udp.ts", "--port", "{port}"],
          floor: true,
        },
        {
          name: "  same, plus udp_server's log line",
          cmd: ["deno", "run", ...net, "tests/bench/floor_udp.ts", "--port", "{port}", "--log"],
        },
        ...(node ? [{ name: "Node dgram", cmd: ["node", "-e", NODE_UDP, "{port}"] }] : []),
        ...(python
          ? [{ name: "textbook UDPServer.py", cmd: ["python3", "-u", "-c", PY_UDP, "{port}"] }]
          : []),
      ];
      // A Deno load client costs more CPU per datagram than the servers it measures; the C
      // one does not, so the servers' own costs show. Without a compiler, the Deno one.
      const compiled = await compileUdpLoad();
      const exe = compiled?.exe;
      const client = exe ? "the C load client" : "a Deno load client (no cc: install gcc)";
      try {
        for (const window of [1, 16]) {
          await table(
            `UDP: 32-byte datagrams, ${window} in flight, ${seconds} s, ${client} (${
              plural(rounds, "round")
            })`,
            "udp",
            servers,
            rounds,
            (port) => exe ? udpLoadC(exe, port, window, seconds) : udpLoad(port, window, seconds),
            { rate: "datagrams/s", scale: 1, cpu: "CPU µs/datagram", cpuScale: 1e6 },
          );
        }
      } finally {
        if (compiled) await removeDir(compiled.dir);
      }
    }
    if (only.includes("tcp")) {
      await table(
        `TCP: one connection, ${total / 1048576} MiB each way (${plural(rounds, "round")})`,
        "tcp",
        [
          { name: "examples/tcp_server.ts", cmd: deno(net, "examples/tcp_server.ts") },
          {
            name: "floor: tests/bench/floor_tcp.ts",
            cmd: ["deno", "run", ...net, "tests/bench/floor_tcp.ts", "--port", "{port}"],
            floor: true,
          },
          ...(python
            ? [{ name: "textbook Python server", cmd: ["python3", "-c", PY_TCP, "{port}"] }]
            : []),
        ],
        rounds,
        (port) => tcpLoad(port, total),
        { rate: "MB/s", scale: 1e6, cpu: "CPU s/GB", cpuScale: 1e9 },
      );
    }
  });
}

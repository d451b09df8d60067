/**
 * Load script: bytes per second through the TCP uppercase server on loopback, against a
 * textbook Python streaming server (`recv(65536)`, `sendall(data.upper())`) when python3 is
 * there. Not a test: figures depend on the machine; run it by hand.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-run tests/load_tcp.ts [--mib 256] [--rounds 3]
 * ```
 *
 * One client connection writes MIB mebibytes and reads the upper-cased stream back at the same
 * time; the figures are MIB / wall time (best of ROUNDS) and the server's own CPU time per GB
 * (from /proc/<pid>/stat on Linux), which does not depend on how fast the client is. Bounded: it
 * stops by itself.
 */
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { Running } from "./_process.ts";
import { cpuSeconds } from "./_proc.ts";

const PYTHON_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(5)
print("serverPort: %d" % s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d.upper())
    c.close()
`;

/** Pushes `total` bytes through the server at `port`; returns MB/s (10^6 bytes per second). */
async function transfer(port: number, total: number): Promise<number> {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = performance.now();
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
    if (got !== Math.ceil(total / chunk.length) * chunk.length) throw new Error(`got ${got} bytes`);
  } finally {
    conn.close();
  }
  return total / ((performance.now() - t0) / 1000) / 1e6;
}

async function measure(name: string, server: Running, port: number, total: number, rounds: number) {
  try {
    let best = 0;
    const cpu0 = await cpuSeconds(server.pid);
    for (let i = 0; i < rounds; i++) best = Math.max(best, await transfer(port, total));
    const cpuPerGB = ((await cpuSeconds(server.pid)) - cpu0) / (rounds * total / 1e9);
    console.log(
      `${name.padEnd(26)} ${best.toFixed(0).padStart(6)} MB/s (best of ${rounds}), ` +
        `server CPU ${cpuPerGB.toFixed(3)} s per GB`,
    );
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  await runMain(
    "load_tcp",
    "usage: deno run --allow-net=127.0.0.1 --allow-run tests/load_tcp.ts [--mib 256] [--rounds 3]",
    async () => {
      const cli = parseCli(Deno.args, { strings: { mib: "256", rounds: "3" } });
      const total = cli.number("mib", 1, 4096) * 1024 * 1024;
      const rounds = Math.floor(cli.number("rounds", 1, 20));
      console.log(
        `One connection, ${total / 1048576} MiB each way, client writes and reads at once.`,
      );

      const ours = new Running(["run", "--allow-net", "examples/tcp_server.ts", "--port", "0"]);
      const port = Number((await ours.waitFor(/serverPort: (\d+)\n/))[1]);
      await measure("examples/tcp_server.ts", ours, port, total, rounds);

      let py: Running | undefined;
      try {
        const child = new Deno.Command("python3", {
          args: ["-c", PYTHON_SERVER],
          stdout: "piped",
          stderr: "piped",
        });
        py = Running.from(child.spawn());
      } catch {
        console.log("python3 not found: no comparison");
      }
      if (py) {
        const pyPort = Number((await py.waitFor(/serverPort: (\d+)\n/))[1]);
        await measure("textbook Python server", py, pyPort, total, rounds);
      }
    },
  );
}

/**
 * Load script: datagrams per second through examples/udp_server.ts on loopback, with 1 and with
 * 16 requests in flight, and the server's CPU time per datagram, against the textbook Python
 * UDPServer loop (`recvfrom(2048)`, `sendto(data.upper())`) when python3 is there. Not a test:
 * figures depend on the machine; run it by hand.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-run tests/load_udp.ts [--seconds 3]
 * ```
 *
 * The client is in this process: it keeps WINDOW 32-byte requests outstanding and counts
 * replies for SECONDS (a lost datagram is replaced after 200 ms, so the loop cannot stall).
 * Bounded: it stops by itself.
 */
import { parseCli } from "../lib/cli.ts";
import { runMain } from "../lib/errors.ts";
import { Running } from "./_process.ts";
import { cpuSeconds } from "./_proc.ts";

const PYTHON_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("serverPort: %d" % s.getsockname()[1], flush=True)
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(data.upper(), addr)
`;

/** Sends with `window` requests in flight for `seconds`; returns replies per second. */
async function pump(port: number, window: number, seconds: number): Promise<number> {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
  const payload = new Uint8Array(32).fill(0x61);
  const buf = new Uint8Array(2048);
  let got = 0;
  const end = performance.now() + seconds * 1000;
  try {
    for (let i = 0; i < window; i++) await sock.send(payload, to);
    let pending = sock.receive(buf);
    pending.catch(() => {}); // the last one is ended by close()
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
  return got / seconds;
}

async function measure(name: string, server: Running, seconds: number) {
  try {
    const port = Number((await server.waitFor(/serverPort: (\d+)/))[1]);
    for (const window of [1, 16]) {
      const cpu0 = await cpuSeconds(server.pid);
      const rate = await pump(port, window, seconds);
      const cpu = (await cpuSeconds(server.pid)) - cpu0;
      console.log(
        `${name.padEnd(24)} ${String(window).padStart(2)} in flight: ${
          rate.toFixed(0).padStart(7)
        } datagrams/s, server CPU ${(cpu / (rate * seconds) * 1e6).toFixed(1)} µs/datagram`,
      );
    }
  } finally {
    await server.stop("SIGKILL");
  }
}

if (import.meta.main) {
  await runMain("load_udp", "usage: deno run ... tests/load_udp.ts [--seconds 3]", async () => {
    const cli = parseCli(Deno.args, { strings: { seconds: "3" } });
    const seconds = cli.number("seconds", 1, 60);
    const ours = ["run", "--allow-net", "examples/udp_server.ts", "--port", "0"];
    // Our server logs a line per datagram: send it to /dev/null as an operator would under load.
    const deno = new Deno.Command(Deno.execPath(), {
      args: ours,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    await measure("examples/udp_server.ts", Running.from(deno), seconds);
    try {
      const py = new Deno.Command("python3", {
        args: ["-u", "-c", PYTHON_SERVER],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      await measure("textbook UDPServer.py", Running.from(py), seconds);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      console.log("python3 not found: no comparison");
    }
  });
}

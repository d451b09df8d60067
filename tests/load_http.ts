/**
 * Load script: requests per second through examples/http_server.ts with wrk (Debian package
 * `wrk`), and the server's CPU time per request and peak memory, against a textbook sequential
 * Python server giving the same answer, when python3 is there. Not a test: run it by hand.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-run tests/load_http.ts [--seconds 5] [--connections 50] [--semi-space 2]
 * ```
 *
 * `--semi-space MB` runs our server a second time with V8's young generation capped at that size,
 * to show how much of its peak memory is the garbage collector's choice rather than data.
 *
 * wrk keeps trying to reuse connections; the servers close after each response, so every request
 * is a new connection (accept, read, write, close), which is what these servers do. Bounded: wrk
 * stops after SECONDS.
 */
import { parseCli } from "../lib/cli.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { Running } from "./_process.ts";
import { cpuSeconds, peakMB } from "./_proc.ts";

const PYTHON_SERVER = `
import socket, time
body = b"Not Found: this server has no pages at all.\\n"
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(128)
print("Listening on http://127.0.0.1:%d/" % s.getsockname()[1], flush=True)
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

async function measure(name: string, server: Running, seconds: number, connections: number) {
  try {
    const port = Number((await server.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
    const cpu0 = await cpuSeconds(server.pid);
    const wrk = await new Deno.Command("wrk", {
      args: ["-t1", `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`],
    }).output();
    const text = new TextDecoder().decode(wrk.stdout);
    const cpu = (await cpuSeconds(server.pid)) - cpu0;
    const total = Number(text.match(/(\d+) requests in/)?.[1]);
    const rps = Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
    const errors = text.match(/Socket errors:.*|Non-2xx.*/g)?.join("; ") ?? "";
    const nonHttp = /read \d+/.test(errors) ? ` (${errors})` : "";
    console.log(
      `${name.padEnd(26)} ${rps.toFixed(0).padStart(7)} req/s, server CPU ` +
        `${(cpu / total * 1e6).toFixed(1)} µs/request, peak RSS ${
          (await peakMB(server.pid)).toFixed(0)
        } MB${nonHttp}`,
    );
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const usage =
    "usage: deno run --allow-net=127.0.0.1 --allow-run tests/load_http.ts [--seconds 5] [--connections 50]";
  await runMain("load_http", usage, async () => {
    const cli = parseCli(Deno.args, {
      strings: { seconds: "5", connections: "50", "semi-space": undefined },
    });
    const seconds = Math.floor(cli.number("seconds", 1, 60));
    const connections = Math.floor(cli.number("connections", 1, 1000));
    const hasWrk = await new Deno.Command("wrk", { args: ["--version"] }).output().then(
      () => true,
      () => false,
    );
    if (!hasWrk) throw new UserError("wrk is not installed: apt-get install wrk");
    console.log(`wrk -t1 -c${connections} -d${seconds}s, one connection per request:`);
    const ours = new Running(["run", "--allow-net", "examples/http_server.ts", "--port", "0"]);
    await measure("examples/http_server.ts", ours, seconds, connections);
    // Peak memory under load is mostly V8's young generation growing (up to 16 MB per
    // semi-space by default); capping it shows how much, at the same CPU cost.
    const semi = cli.string("semi-space");
    if (semi !== undefined) {
      const flag = `--v8-flags=--max-semi-space-size=${
        Math.floor(cli.number("semi-space", 1, 64))
      }`;
      const capped = new Running([
        "run",
        "--allow-net",
        flag,
        "examples/http_server.ts",
        "--port",
        "0",
      ]);
      await measure(`  same, ${flag.slice(11)}`, capped, seconds, connections);
    }
    try {
      const py = new Deno.Command("python3", {
        args: ["-c", PYTHON_SERVER],
        stdout: "piped",
        stderr: "piped",
      });
      await measure("textbook Python (sequential)", Running.from(py.spawn()), seconds, connections);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      console.log("python3 not found: no comparison");
    }
  });
}

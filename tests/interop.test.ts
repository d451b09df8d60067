/**
 * Interoperability with the documents' own programs: Python versions that behave on the wire as
 * the seeds' UDPClient.py, TCPClient.py and TCPServer.py do (one datagram per line, one
 * `recv(1024)`, no half-close). Skipped where python3 is not installed.
 */
import { assertEquals } from "@std/assert";
import { bind as bindUdp, serve as serveUdp } from "../examples/udp_server.ts";
import { bind as bindTcp, serve as serveTcp } from "../examples/tcp_server.ts";
import { uppercase as tcpUppercase } from "../examples/tcp_client.ts";
import { Running } from "./_process.ts";
import { withServer } from "./_util.ts";

const python = await new Deno.Command("python3", { args: ["--version"] }).output()
  .then((o) => o.success, () => false);

/** Runs a Python program with stdin, returns its stdout. */
async function py(code: string, args: string[], stdin = ""): Promise<string> {
  const child = new Deno.Command("python3", {
    args: ["-c", code, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`python failed: ${err}`);
  return new TextDecoder().decode(out.stdout);
}

// The seed's UDPClient.py loop: a new socket per line, sendto, recvfrom(2048), print.
const UDP_CLIENT = `
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
for line in sys.stdin.read().split("\\n")[:-1]:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(line.encode(), (host, port))
    reply, _ = s.recvfrom(2048)
    print("Returned from server: " + reply.decode())
    s.close()
`;

// The course's TCPClient.py: connect, send, one recv(1024), no half-close.
const TCP_CLIENT = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.send(sys.argv[2].encode())
print("Returned from server: " + s.recv(1024).decode())
s.close()
`;

// The course's TCPServer.py: one recv(1024) per connection, reply upper-cased, close.
const TCP_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(1)
print("serverPort: %d" % s.getsockname()[1], flush=True)
c, addr = s.accept()
msg = c.recv(1024)
c.send(msg.upper())
c.close()
`;

Deno.test({
  name: "interop: the seed's UDPClient.py talks to our udp_server, over IPv4 and IPv6",
  ignore: !python,
  async fn() {
    for (const host of ["127.0.0.1", "::1"]) {
      const stop = new AbortController();
      const socket = bindUdp(host, 0);
      const serving = serveUdp(socket, { signal: stop.signal, log: () => {} });
      try {
        const out = await py(
          UDP_CLIENT,
          [host, `${(socket.addr as Deno.NetAddr).port}`],
          "udp is lazy\nstraße é\n",
        );
        assertEquals(out, "Returned from server: UDP IS LAZY\nReturned from server: STRAßE é\n");
      } finally {
        stop.abort();
        await serving;
      }
    }
  },
});

Deno.test({
  name: "interop: the course's TCPClient.py gets its reply from our tcp_server",
  ignore: !python,
  async fn() {
    await withServer(bindTcp("127.0.0.1", 0), serveTcp, async (addr) => {
      assertEquals(
        await py(TCP_CLIENT, [`${addr.port}`, "hello seed"]),
        "Returned from server: HELLO SEED\n",
      );
    });
  },
});

Deno.test({
  name: "interop: our tcp_client works with the course's TCPServer.py (one recv, reply, close)",
  ignore: !python,
  async fn() {
    const server = Running.from(
      new Deno.Command("python3", { args: ["-c", TCP_SERVER], stdout: "piped", stderr: "piped" })
        .spawn(),
    );
    try {
      const port = Number((await server.waitFor(/serverPort: (\d+)\n/))[1]);
      const reply = await tcpUppercase(
        { hostname: "127.0.0.1", port },
        new TextEncoder().encode("hello textbook"),
      );
      assertEquals(new TextDecoder().decode(reply), "HELLO TEXTBOOK");
      assertEquals((await server.wait()).code, 0);
    } finally {
      await server.stop();
    }
  },
});

/**
 * `deno task wire EXAMPLE [--pcap FILE]`: runs an example's pair on loopback while tcpdump
 * captures only that pair's port on `lo`, then prints each packet in time order with the socket
 * call that caused it. `--pcap FILE` keeps the capture for Wireshark.
 *
 * ```sh
 * deno task wire tcp      # the handshake, the data, one FIN from each side, the last ACK
 * deno task wire udp      # one datagram each way, no handshake
 * ```
 */
import { printable } from "../../lib/bytes.ts";
import { Running } from "../_process.ts";
import { freePort } from "../grade/program.ts";
import { type Packet, readPcap } from "./pcap.ts";

/** A pair: the server's and the client's arguments to `deno run`, and the transport. */
interface Pair {
  transport: "tcp" | "udp";
  /** The call behind each side's FIN, as the lessons make it (TCP only). */
  fin?: { client: string; server: string };
  server: (port: number) => string[];
  client: (port: number) => string[];
}

const run = (
  file: string,
  ...args: string[]
) => ["run", "--allow-net", `examples/${file}`, ...args];

/** The pairs `deno task wire` knows, by the name on its command line. */
export const PAIRS: Record<string, Pair> = {
  tcp: {
    transport: "tcp",
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => run("tcp_server.ts", "--port", `${p}`),
    client: (p) => run("tcp_client.ts", "--port", `${p}`, "tcp", "is", "reliable"),
  },
  udp: {
    transport: "udp",
    server: (p) => run("udp_server.ts", "--port", `${p}`),
    client: (p) => run("udp_client.ts", "--port", `${p}`, "udp", "is", "lazy"),
  },
  echo: {
    transport: "tcp",
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => run("echo_server.ts", "--port", `${p}`),
    client: (p) => run("echo_client.ts", "--port", `${p}`, "Four score and seven years ago"),
  },
  "fixed-length": {
    transport: "tcp",
    // The server half-closes after its reply and drains (the lingering close); the client, which
    // knows the reply's length, just closes.
    fin: { client: "close()", server: "shutdown(SHUT_WR)" },
    server: (p) => run("fixed_length_server.ts", "--port", `${p}`),
    client: (p) => run("fixed_length_client.ts", "--port", `${p}`),
  },
};

/** The socket call behind a packet, where the lesson has one. */
export function cause(p: Packet, fromClient: boolean, pair: Pair): string {
  if (p.proto === "UDP") return "sendto()";
  if (p.flags.includes("R")) return "a reset: closed with unread bytes, or nothing listening";
  if (p.flags === "S") return "connect()";
  if (p.flags === "S.") return "the server's kernel answers; accept() is not needed yet";
  if (p.flags.includes("F")) return pair.fin?.[fromClient ? "client" : "server"] ?? "";
  if (p.payload.length > 0) return "sendall()";
  return "";
}

/** One line per packet: time since the first, direction, flags or UDP, length, preview, cause. */
export function describe(packets: Packet[], serverPort: number, pair: Pair): string[] {
  const t0 = packets[0]?.time ?? 0;
  return packets.map((p) => {
    const fromClient = p.dstPort === serverPort;
    const who = fromClient
      ? `client:${p.srcPort} > server:${p.dstPort}`
      : `server:${p.srcPort} > client:${p.dstPort}`;
    const why = cause(p, fromClient, pair);
    const preview = p.payload.length ? ` "${printable(p.payload.subarray(0, 24))}"` : "";
    const ms = ((p.time - t0) * 1000).toFixed(3).padStart(8);
    return `${ms} ms  ${who.padEnd(30)} ${(p.flags || "UDP").padEnd(4)} ${
      String(p.payload.length).padStart(4)
    } bytes${preview}${why ? `  ${why}` : ""}`;
  });
}

/** Captures `pair` on `lo`; returns the capture file's bytes. Throws a one-line reason when it cannot. */
export async function capture(
  pair: Pair,
  keep?: string,
): Promise<{ pcap: Uint8Array; port: number }> {
  const port = freePort(pair.transport, "127.0.0.1");
  const file = keep ?? await Deno.makeTempFile({ suffix: ".pcap" });
  const filter = `${pair.transport} port ${port}`;
  let dump: Running;
  try {
    dump = Running.command([
      "tcpdump",
      "-i",
      "lo",
      "--immediate-mode",
      "-U",
      "-n",
      "-w",
      file,
      filter,
    ]);
  } catch {
    throw new Error("tcpdump is missing: apt-get install tcpdump");
  }
  try {
    // tcpdump says "listening on lo" on stderr once it captures.
    for (let i = 0; i < 100 && !/listening on/.test(dump.stderr); i++) {
      if (dump.code !== null) {
        const why = dump.stderr.trim().split("\n").pop();
        throw new Error(
          `tcpdump cannot capture on lo (${why}): run as root (not in a user namespace), or give it the capture capability ` +
            `(sudo setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump))`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const server = new Running(pair.server(port));
    try {
      await server.waitFor(/./, 10_000);
      await new Running(pair.client(port)).wait();
      await new Promise((r) => setTimeout(r, 200)); // the last ACKs
    } finally {
      await server.stop("SIGINT");
    }
  } finally {
    // --immediate-mode: each packet reaches tcpdump at once, so none is pending in the kernel's
    // buffer when SIGINT asks it to write out what it holds and exit.
    await dump.stop("SIGINT");
  }
  const pcap = await Deno.readFile(file);
  if (!keep) await Deno.remove(file);
  return { pcap, port };
}

if (import.meta.main) {
  const [name, flag, keep] = Deno.args;
  const pair = PAIRS[name];
  if (!pair || (flag !== undefined && flag !== "--pcap") || (flag && !keep)) {
    console.error(
      `usage: deno task wire EXAMPLE [--pcap FILE]\n  EXAMPLE: ${Object.keys(PAIRS).join(", ")}`,
    );
    Deno.exit(2);
  }
  try {
    const { pcap, port } = await capture(pair, keep);
    for (const line of describe(readPcap(pcap), port, pair)) console.log(line);
    if (keep) console.log(`the capture is in ${keep}: open it in Wireshark, or tcpdump -r ${keep}`);
  } catch (err) {
    console.error(`wire: ${(err as Error).message}`);
    Deno.exit(2);
  }
}

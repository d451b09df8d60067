/**
 * `deno task wire EXAMPLE [--pcap FILE]`: runs an example's pair on loopback while tcpdump
 * captures only that pair's port on `lo`, then prints each packet in time order with the socket
 * call that caused it, and what each program printed. `--pcap FILE` keeps the capture for
 * Wireshark; `--record [EXAMPLE...]` rewrites the captures in `tests/fixtures/wire/`, which the
 * site, the tour and the tests read where tcpdump cannot capture. Nothing but `lo` is captured,
 * and only the pair's port (or, for byte-order, its message): other traffic never appears.
 *
 * ```sh
 * deno task wire tcp      # the handshake, the data, one FIN from each side, the last ACK
 * deno task wire reset    # the textbook server closes with unread bytes: a reset
 * ```
 */
import { hex, printable } from "../../lib/bytes.ts";
import { CannotStart, ROOT, Running } from "../_process.ts";
import { freePort } from "../grade/program.ts";
import { type Packet, readPcap } from "./pcap.ts";

/** A scenario: a server and the clients run against it, one after the other. */
export interface Pair {
  transport: "tcp" | "udp";
  /** What the capture shows, in one sentence. */
  shows: string;
  /** The site's pages that show it under "On the wire". */
  pages: string[];
  /** The call behind each side's FIN, as the programs make it (TCP only). */
  fin?: { client: string; server: string };
  /** The server's command line; none when one program talks to itself. */
  server?: (port: number) => string[];
  /** The capture filter, when the pair's port is not known in advance (default: the port). */
  filter?: string;
  /** What the two ends are called (default: client and server). */
  names?: [string, string];
  clients: ((port: number) => string[])[];
  /** Made before the capture starts and undone after it stops, so its packets are not shown. */
  around?: (port: number) => Promise<() => void>;
}

const lesson = (file: string, ...args: string[]) => [
  Deno.execPath(),
  "run",
  "--allow-net",
  `${ROOT}examples/${file}`,
  ...args,
];
const python = (
  file: string,
  ...args: string[]
) => ["python3", `${ROOT}tests/fixtures/${file}`, ...args];
const LONG = "Hi there, server, and more than you read";
const POST = `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000\r\n\r\n${
  "x".repeat(10000)
}`;

/** The scenarios `deno task wire` knows, by the name on its command line. */
export const PAIRS: Record<string, Pair> = {
  tcp: {
    transport: "tcp",
    shows: "the handshake before any data, one FIN from each side, the client's last ACK",
    pages: ["tcp_server", "tcp_client"],
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => lesson("tcp_server.ts", "--port", `${p}`),
    clients: [(p) => lesson("tcp_client.ts", "--port", `${p}`, "tcp", "is", "reliable")],
  },
  udp: {
    transport: "udp",
    shows: "one datagram each way, no handshake; each client socket gets a new source port",
    pages: ["udp_server", "udp_client"],
    server: (p) => lesson("udp_server.ts", "--port", `${p}`),
    clients: [
      (p) => lesson("udp_client.ts", "--port", `${p}`, "udp", "is", "lazy"),
      (p) => lesson("udp_client.ts", "--port", `${p}`, "again"),
    ],
  },
  echo: {
    transport: "tcp",
    shows: "the message, the client's half-close, the echo, then the server's FIN",
    pages: ["echo_server", "echo_client"],
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => lesson("echo_server.ts", "--port", `${p}`),
    clients: [(p) => lesson("echo_client.ts", "--port", `${p}`, "Four score and seven years ago")],
  },
  "fixed-length": {
    transport: "tcp",
    shows:
      "16 bytes, the reply, the server's half-close first (its lingering close), then the client's",
    pages: ["fixed_length_server", "fixed_length_client"],
    // The server half-closes after its reply and drains; the client, which knows the reply's
    // length, just closes.
    fin: { client: "close()", server: "shutdown(SHUT_WR)" },
    server: (p) => lesson("fixed_length_server.ts", "--port", `${p}`),
    clients: [(p) => lesson("fixed_length_client.ts", "--port", `${p}`)],
  },
  http: {
    transport: "tcp",
    shows: "a GET and the client's half-close, the 404, then the server's FIN",
    pages: ["http_server"],
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => lesson("http_server.ts", "--port", `${p}`),
    clients: [(p) => lesson("happy_eyeballs_client.ts", "127.0.0.1", `${p}`)],
  },
  "happy-eyeballs": {
    transport: "tcp",
    shows: "a SYN to ::1 that no one answers, the SYN to 127.0.0.1 250 ms later, which wins",
    pages: ["happy_eyeballs_client"],
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    // ::1 drops SYNs: a listener that never accepts, with a backlog of 0, filled by one
    // connection made before the capture starts.
    around: async (port) => {
      const hole = Deno.listen({ hostname: "::1", port, tcpBacklog: 0 });
      const filler = await Deno.connect({ hostname: "::1", port });
      return () => (filler.close(), hole.close());
    },
    server: (p) => lesson("http_server.ts", "--port", `${p}`),
    clients: [
      (p) => lesson("happy_eyeballs_client.ts", "dual.test", `${p}`, "--resolve", "::1,127.0.0.1"),
    ],
  },
  "slow-accept": {
    transport: "tcp",
    shows:
      "a server that calls accept() 0.5 s late: the handshake and the client's bytes are in before",
    pages: ["tcp_server"],
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => python("wire/slow_accept_server.py", `${p}`),
    clients: [(p) => lesson("tcp_client.ts", "--port", `${p}`, "accept", "me", "later")],
  },
  reset: {
    transport: "tcp",
    shows:
      "the textbook fixed-length server reads 16 bytes and closes with the rest unread: a reset",
    pages: ["fixed_length_server"],
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => python("grade/fixed_length_server_dies.py", `${p}`),
    clients: [(p) => lesson("tcp_client.ts", "--port", `${p}`, LONG)],
  },
  linger: {
    transport: "tcp",
    shows: "the same bytes to fixed_length_server.ts: it drains them before close(), so no reset",
    pages: ["fixed_length_server"],
    fin: { client: "shutdown(SHUT_WR)", server: "shutdown(SHUT_WR)" },
    server: (p) => lesson("fixed_length_server.ts", "--port", `${p}`),
    clients: [(p) => lesson("tcp_client.ts", "--port", `${p}`, LONG)],
  },
  "http-reset": {
    transport: "tcp",
    shows:
      "a 10 kB POST body to a server that reads 8 kB, answers, closes: a reset, and the 501 is lost",
    pages: ["http_server"],
    fin: { client: "shutdown(SHUT_WR)", server: "close()" },
    server: (p) => python("grade/http_server_one_flaw.py", "none", `${p}`),
    clients: [(p) => lesson("tcp_client.ts", "--port", `${p}`, POST)],
  },
  "http-linger": {
    transport: "tcp",
    shows: "the same POST to http_server.ts: its lingering close reads the body away, so no reset",
    pages: ["http_server"],
    fin: { client: "shutdown(SHUT_WR)", server: "shutdown(SHUT_WR)" },
    server: (p) => lesson("http_server.ts", "--port", `${p}`),
    clients: [(p) => lesson("tcp_client.ts", "--port", `${p}`, POST)],
  },
  backoff: {
    transport: "udp",
    shows:
      "a request dropped twice: it is sent again after 0.1 s, then 0.2 s of silence, then answered",
    pages: ["udp_length_server", "udp_backoff_client"],
    server: (p) => lesson("udp_length_server.ts", "--port", `${p}`, "--drop", "0.5", "--seed", "7"),
    clients: [(p) => lesson("udp_backoff_client.ts", "--port", `${p}`)],
  },
  ipv6: {
    transport: "udp",
    shows: "one datagram from ::1 to ::1: the same UDP, in IPv6 packets",
    pages: ["ipv6_server", "ipv6_client"],
    // The port must be free on ::1 too: taken there for a moment to make sure (else another).
    around: (port) => {
      Deno.listenDatagram({ transport: "udp", hostname: "::1", port }).close();
      return Promise.resolve(() => {});
    },
    server: (p) => lesson("ipv6_server.ts", "--port", `${p}`),
    clients: [(p) => lesson("ipv6_client.ts", "--port", `${p}`)],
  },
  idle: {
    transport: "tcp",
    shows: "a client that connects and sends nothing: hardened_tcp_server.ts closes it after 0.5 s",
    pages: ["hardened_tcp_server"],
    fin: { client: "close()", server: "close(): the idle clock ran out" },
    server: (p) => lesson("hardened_tcp_server.ts", "--port", `${p}`, "--idle-timeout", "0.5"),
    clients: [(p) => python("wire/silent_client.py", `${p}`)],
  },
  "byte-order": {
    transport: "udp",
    shows: "the 8-byte message byte_order.ts sends itself: on the wire in the order it was packed",
    pages: ["byte_order"],
    names: ["socket", "itself"],
    // Its port is the OS's choice: the filter matches the message's first 4 bytes instead.
    filter: "udp and udp[8:4] = 0x1234a5ab",
    clients: [() => lesson("byte_order.ts")],
  },
};

/** One packet as the course shows it. */
export interface Row {
  /** ms since the first packet. */
  ms: number;
  from: "client" | "server";
  /** `client:40000 > server:12000`, with the address in brackets when it is IPv6. */
  who: string;
  /** The server's address: a sequence diagram draws one lifeline per server address. */
  server: string;
  /** The client's port: each client socket has its own. */
  clientPort: number;
  /** TCP flags as tcpdump writes them, or `UDP`. */
  flags: string;
  bytes: number;
  /** The payload's first 24 bytes: as text, escaped where need be, or in hex when binary. */
  preview: string;
  /** The socket call behind it, where the program has one. */
  cause: string;
  /** A SYN nobody answered. */
  lost: boolean;
}

/** The server's port: where the first packet (a SYN, or the first datagram) went. */
export const serverPortOf = (packets: Packet[]): number => packets[0]?.dstPort ?? 0;

/** The socket call behind a packet, where the program has one. */
function cause(p: Packet, fromClient: boolean, pair: Pair, answered: boolean): string {
  if (p.proto === "UDP") return "sendto()";
  if (p.flags.includes("R")) return "a reset: close() with unread bytes";
  if (p.flags === "S") {
    return answered ? `connect() to ${p.dst}` : `connect() to ${p.dst}: never answered`;
  }
  if (p.flags === "S.") return "the server's kernel answers; accept() is not needed yet";
  if (p.flags.includes("F")) return pair.fin?.[fromClient ? "client" : "server"] ?? "";
  if (p.payload.length > 0) return "sendall()";
  return "";
}

/** A payload's first bytes as text or, when most would need escapes (binary), in hex. */
function preview(bytes: Uint8Array): string {
  const odd = bytes.filter((b) => (b < 0x20 && b !== 10 && b !== 13) || b >= 0x7f).length;
  return odd * 3 > bytes.length ? hex(bytes) : printable(bytes);
}

/** The packets as rows: direction, flags, length, preview and the call behind each. */
export function rows(packets: Packet[], pair: Pair): Row[] {
  const [client, server] = pair.names ?? ["client", "server"];
  const port = serverPortOf(packets);
  const t0 = packets[0]?.time ?? 0;
  const end = (host: string, p: number) => (host.includes(":") ? ` [${host}]:${p}` : `:${p}`);
  const key = (a: string, ap: number, b: string, bp: number) => `${a} ${ap} ${b} ${bp}`;
  const answered = new Set(
    packets.filter((p) => p.flags === "S.").map((p) => key(p.dst, p.dstPort, p.src, p.srcPort)),
  );
  return packets.map((p) => {
    const fromClient = p.dstPort === port;
    const [c, s] = fromClient ? [p.src, p.dst] : [p.dst, p.src];
    const [cp, sp] = fromClient ? [p.srcPort, p.dstPort] : [p.dstPort, p.srcPort];
    const lost = p.flags === "S" && !answered.has(key(p.src, p.srcPort, p.dst, p.dstPort));
    return {
      ms: (p.time - t0) * 1000,
      from: fromClient ? "client" : "server",
      who: fromClient
        ? `${client}${end(c, cp)} > ${server}${end(s, sp)}`
        : `${server}${end(s, sp)} > ${client}${end(c, cp)}`,
      server: s,
      clientPort: cp,
      flags: p.flags || "UDP",
      bytes: p.payload.length,
      preview: preview(p.payload.subarray(0, 24)),
      cause: cause(p, fromClient, pair, !lost),
      lost,
    };
  });
}

/** One line per packet: time since the first, direction, flags or UDP, length, preview, cause. */
export function describe(packets: Packet[], pair: Pair): string[] {
  return rows(packets, pair).map((r) =>
    `${r.ms.toFixed(3).padStart(8)} ms  ${r.who.padEnd(30)} ${r.flags.padEnd(4)} ${
      String(r.bytes).padStart(4)
    } bytes${r.bytes ? ` "${r.preview}"` : ""}${r.cause ? `  ${r.cause}` : ""}`
  );
}

/** The command line as a student would type it, from the repository's root. */
const commandLine = (argv: string[]) =>
  argv.slice(argv.findIndex((a) => /\.(ts|py)$/.test(a))).map((a) =>
    /^[\w./:,=-]+$/.test(a)
      ? a.replace(ROOT, "")
      : `${JSON.stringify(a.slice(0, 40))}${a.length > 40 ? `... (${a.length} characters)` : ""}`
  ).join(" ");

/** What one program printed: the server first, then each client. */
export interface Printed {
  command: string;
  code: number;
  stdout: string;
  stderr: string;
}

/** Says why tcpdump cannot capture here, in one line. */
export class CannotCapture extends Error {}

/**
 * Captures `pair` on `lo` while it runs: the capture file's bytes and what each program printed.
 *
 * @throws CannotCapture when tcpdump is missing or may not capture
 */
export async function capture(
  pair: Pair,
  keep?: string,
): Promise<{ pcap: Uint8Array; programs: Printed[] }> {
  let port = 0, undo = () => {};
  for (let i = 0; i < 10 && !port; i++) {
    port = freePort(pair.transport, "127.0.0.1");
    try {
      undo = await pair.around?.(port) ?? undo;
    } catch {
      port = 0; // taken on ::1: try another
    }
  }
  const file = keep ?? await Deno.makeTempFile({ suffix: ".pcap" });
  const programs: Printed[] = [];
  try {
    let dump: Running;
    if ((await Deno.permissions.query({ name: "run", command: "tcpdump" })).state !== "granted") {
      throw new CannotCapture("this run may not start tcpdump (no --allow-run for it)");
    }
    try {
      const filter = pair.filter ?? `${pair.transport} port ${port}`;
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
      throw new CannotCapture("tcpdump is missing: apt-get install tcpdump");
    }
    try {
      // tcpdump says "listening on lo" on stderr once it captures.
      for (let i = 0; i < 100 && !/listening on/.test(dump.stderr); i++) {
        if (dump.code !== null) {
          const why = dump.stderr.trim().split("\n").pop();
          throw new CannotCapture(
            `tcpdump cannot capture on lo (${why}): run as root (not in a user namespace), or give it the capture capability ` +
              `(sudo setcap cap_net_raw,cap_net_admin=eip $(command -v tcpdump))`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const server = pair.server && Running.command(pair.server(port));
      try {
        await server?.waitFor(/./, 10_000);
        for (const client of pair.clients) {
          const argv = client(port);
          const out = await Running.command(argv).wait();
          programs.push({ command: commandLine(argv), ...out });
        }
        await new Promise((r) => setTimeout(r, 200)); // the last ACKs
      } finally {
        if (server) {
          const out = await server.stop("SIGTERM");
          programs.unshift({ command: commandLine(pair.server!(port)), ...out });
        }
      }
    } finally {
      // --immediate-mode: each packet reaches tcpdump at once, so none is pending in the
      // kernel's buffer when SIGINT asks it to write out what it holds and exit.
      await dump.stop("SIGINT");
    }
    return { pcap: await Deno.readFile(file), programs };
  } catch (err) {
    // A program this machine lacks (python3 for the textbook servers) is a reason, not a bug.
    throw err instanceof CannotStart ? new CannotCapture(err.message) : err;
  } finally {
    undo();
    if (!keep) await Deno.remove(file).catch(() => {});
  }
}

/** Where `--record` keeps each scenario's capture, for the site when it cannot capture. */
export const recorded = (name: string): string => `${ROOT}tests/fixtures/wire/${name}.pcap`;

/**
 * A scenario's packets: captured now (into `keep`, if given) where tcpdump can, else read from
 * its recording; `why` says why there was no live capture ("" when there was).
 */
export async function liveOrRecorded(
  name: string,
  keep?: string,
): Promise<{ packets: Packet[]; why: string }> {
  try {
    const { pcap } = await capture(PAIRS[name], keep);
    return { packets: readPcap(pcap), why: "" };
  } catch (err) {
    if (!(err instanceof CannotCapture)) throw err;
    const pcap = await Deno.readFile(recorded(name));
    if (keep) await Deno.writeFile(keep, pcap);
    return { packets: readPcap(pcap), why: err.message };
  }
}

/** The day a capture was made (its first packet's), as 2026-12-07. */
export const dayOf = (packets: Packet[]): string =>
  new Date((packets[0]?.time ?? 0) * 1000).toISOString().slice(0, 10);

/** tcpdump's flags in words: `SYN`, `SYN, ACK`, `FIN, ACK`, `RST`; "" for data, `datagram`. */
export function flagWords(r: Row): string {
  if (r.flags === "UDP") return "datagram";
  if (r.bytes && !/[SFR]/.test(r.flags)) return ""; // data: the payload says it
  return [
    r.flags.includes("S") && "SYN",
    r.flags.includes("F") && "FIN",
    r.flags.includes("R") && "RST",
    r.flags.includes(".") && !r.flags.includes("R") && "ACK",
  ].filter(Boolean).join(", ");
}

/** The lines `deno task wire` prints: the packets, then what each program printed. */
export function report(packets: Packet[], pair: Pair, programs: Printed[]): string[] {
  const out = describe(packets, pair);
  for (const c of programs) {
    out.push("", `${c.command} (${c.code === 143 ? "stopped by SIGTERM" : `exit ${c.code}`}):`);
    for (const line of `${c.stdout}${c.stderr}`.trimEnd().split("\n")) out.push(`  ${line}`);
  }
  return out;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const record = args[0] === "--record";
  const pcapAt = args.indexOf("--pcap");
  const keep = pcapAt >= 0 ? args.splice(pcapAt, 2)[1] : undefined;
  const names = record ? (args.slice(1).length ? args.slice(1) : Object.keys(PAIRS)) : args;
  const usage =
    `usage: deno task wire EXAMPLE [--pcap FILE]  |  deno task wire --record [EXAMPLE...]\n${
      Object.entries(PAIRS).map(([n, p]) => `  ${n.padEnd(15)} ${p.shows}`).join("\n")
    }`;
  if (args[0] === "--help" || args[0] === "-h") {
    console.log(usage);
    Deno.exit(0);
  }
  if (
    !names.length || names.some((n) => !PAIRS[n]) || (!record && names.length > 1) ||
    (pcapAt >= 0 && (!keep || record))
  ) {
    console.error(usage);
    Deno.exit(2);
  }
  try {
    for (const name of names) {
      const pair = PAIRS[name];
      const { pcap, programs } = await capture(pair, record ? recorded(name) : keep);
      if (record) {
        console.log(
          `${name}: ${readPcap(pcap).length} packets, ${pcap.length} bytes in ${
            recorded(name).replace(ROOT, "")
          }`,
        );
        continue;
      }
      for (const line of report(readPcap(pcap), pair, programs)) console.log(line);
      if (keep) {
        console.log(`\nthe capture is in ${keep}: open it in Wireshark, or tcpdump -r ${keep}`);
      }
    }
  } catch (err) {
    console.error(`wire: ${(err as Error).message}`);
    Deno.exit(err instanceof CannotCapture ? 2 : 1);
  }
}

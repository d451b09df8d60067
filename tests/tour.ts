/**
 * @module The tour: every example run for real on loopback, with what each side printed and
 * one sentence on what the sockets did. Read it first; then open the example files.
 *
 * Run it:
 *
 * ```sh
 * deno task tour
 * # which is: deno run --allow-net=127.0.0.1,[::1],localhost --allow-run=<deno> tests/tour.ts
 * ```
 *
 * What you see (ports differ from run to run): each program's lines as it prints them, both
 * programs merged in the order the lines arrive, tagged with the program (`|` stdout, `!` stderr),
 * like two terminals side by side:
 *
 * ```text
 * == 1. UDP uppercase: udp_server.ts + udp_client.ts ==
 * The server makes a UDP socket and binds it to a free port on 127.0.0.1 ...
 *   $ deno run --allow-net examples/udp_server.ts --port 0
 *   udp_server            | serverIP: 127.0.0.1
 *   ...
 *   udp_server            | Received from 127.0.0.1#44291: udp is lazy
 *   udp_client            | Returned from server: UDP IS LAZY
 * ```
 *
 * Each example is started as its own process with the flags its header documents, exactly as
 * a student would type them. A step whose output is not what the header promises stops the tour
 * with exit code 1, so the tour is also a check.
 */
import { parseCli, UsageError } from "../lib/cli.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { faint, strong } from "../lib/log.ts";
import { within } from "../lib/deadline.ts";
import { lines, type Output, Running } from "./_process.ts";
import { dayOf, flagWords, liveOrRecorded, PAIRS, rows } from "./wire/main.ts";

/** A tour section: a title and the steps that run and explain one example. */
export interface Section {
  /** Shown as the heading. */
  title: string;
  /** Runs the example's processes and narrates. */
  run(t: Guide): Promise<void>;
}

/** What a section uses to narrate and check. */
export class Guide {
  /** One plain sentence on what the sockets do. */
  say(text: string): void {
    console.log(text);
  }

  /** Shows a command as a student would type it. */
  command(line: string): void {
    console.log(faint(`  $ ${line}`));
  }

  /** Shows output lines, each prefixed with who printed them. */
  show(who: string, text: string): void {
    for (const line of lines(text)) this.line(who, line);
  }

  /** One line a program printed, tagged with the program: `|` for stdout, `!` for stderr. */
  line(who: string, text: string, stream: "stdout" | "stderr" = "stdout"): void {
    console.log(`  ${who.padEnd(22)}${stream === "stdout" ? "|" : "!"} ${text}`);
  }

  /**
   * Starts `deno run <args>` and prints its lines as they come, tagged with the script's name;
   * `lagMs` holds each line back that long (see `client`).
   */
  start(args: string[], stdin?: string, lagMs = 0): Running {
    const script = args.find((a) => a.endsWith(".ts")) ?? "deno";
    const who = script.replace(/^.*\//, "").replace(/\.ts$/, "");
    const child = new Running(["run", ...args], stdin);
    child.follow((text, stream) =>
      lagMs ? setTimeout(() => this.line(who, text, stream), lagMs) : this.line(who, text, stream)
    );
    return child;
  }

  /** Stops the tour if `ok` is false. */
  expect(ok: boolean, what: string): void {
    if (!ok) throw new UserError(`tour step failed: ${what}`);
  }

  /** Starts a server script on port 0 and waits until it prints `ready`. */
  async server(
    script: string,
    args: string[],
    ready: RegExp,
    port: RegExp,
    flags = ["--allow-net"],
  ): Promise<{ server: Running; port: number }> {
    this.command(`deno run ${flags.join(" ")} ${script} ${args.join(" ")}`);
    const server = this.start([...flags, script, ...args]);
    await server.waitFor(ready).catch(async (err: unknown) => {
      await server.stop();
      throw err;
    });
    return { server, port: Number(server.stdout.match(port)?.[1]) };
  }

  /**
   * Starts a server script, runs `body` with it, then stops it with Ctrl-C (SIGINT) and checks
   * that it exits 0, as every server here should.
   */
  async withServer(
    script: string,
    args: string[],
    ready: RegExp,
    port: RegExp,
    body: (server: Running, port: number) => Promise<void>,
  ): Promise<void> {
    const { server, port: p } = await this.server(script, [...args], ready, port);
    try {
      await body(server, p);
    } catch (err) {
      await server.stop();
      throw err;
    }
    const end = await server.stop("SIGINT");
    this.expect(end.code === 0, `${script} exits 0 on Ctrl-C`);
    console.log(
      faint(`  (Ctrl-C: the server closed its sockets and exited with code ${end.code})`),
    );
  }

  /** Runs a client script to completion, showing its command line and its lines as they come. */
  async client(
    script: string,
    args: string[],
    { stdin, flags = ["--allow-net"], shown }: {
      stdin?: string;
      flags?: string[];
      shown?: string;
    } = {},
  ): Promise<Output> {
    const pipe = stdin === undefined ? "" : `printf '${stdin.replace(/\n/g, "\\n")}' | `;
    this.command(shown ?? `${pipe}deno run ${flags.join(" ")} ${script} ${args.join(" ")}`);
    // Each client line waits 10 ms before it is shown: a server's line about the same request,
    // written before it but read from the other pipe in the same turn, is then shown first.
    const child = this.start([...flags, script, ...args], stdin, 10);
    const end = await within(child.wait(), 30_000, `${script} did not finish in 30 s`)
      .catch(async (err) => {
        await child.stop("SIGKILL");
        throw err;
      });
    await new Promise((r) => setTimeout(r, 10)); // after the last held-back line
    return end;
  }
}

/** UDP uppercase pair (issue: foundation). */
const udp: Section = {
  title: "UDP uppercase: udp_server.ts + udp_client.ts",
  async run(t) {
    t.say(
      "The server makes a UDP socket and binds it to a free port on 127.0.0.1 " +
        "(socket(AF_INET, SOCK_DGRAM) + bind), then waits in recvfrom().",
    );
    await t.withServer(
      "examples/udp_server.ts",
      ["--port", "0"],
      /Listening\.\.\.\n/,
      /serverPort: (\d+)/,
      async (server, port) => {
        t.say(
          "The client sends each line as one datagram (sendto) from a fresh socket and waits " +
            "for the reply (recvfrom) with a timeout; no connection is ever made.",
        );
        const out = await t.client("examples/udp_client.ts", ["--port", `${port}`], {
          stdin: "udp is lazy\nstraße é\n",
        });
        t.expect(out.code === 0, "udp_client exits 0");
        t.expect(
          out.stdout.includes("Returned from server: UDP IS LAZY\n"),
          "UDP IS LAZY comes back",
        );
        t.expect(out.stdout.includes("Returned from server: STRAßE é\n"), "only a..z change");
        await server.waitFor(/: straße é\n/);
        t.say(
          "The server printed each sender's address (ip#port): a new port per line, since " +
            "each line used a new client socket.",
        );
        t.say("With nobody listening, the client waits, resends, and gives up with one line:");
        const lost = await t.client("examples/udp_client.ts", [
          "--port",
          "9",
          "--timeout",
          "0.2",
          "--retries",
          "1",
          "hello",
        ]);
        t.expect(
          lost.code === 1 && /no reply after 2 attempt\(s\) to 127\.0\.0\.1:9/.test(lost.stderr),
          "gives up",
        );
      },
    );
  },
};

/** TCP uppercase pair. */
const tcp: Section = {
  title: "TCP uppercase: tcp_server.ts + tcp_client.ts",
  async run(t) {
    t.say(
      "The server binds and listens (socket, bind, listen); each accept() returns a new socket " +
        "for one client, served in its own task.",
    );
    await t.withServer(
      "examples/tcp_server.ts",
      ["--port", "0"],
      /Listening\.\.\.\n/,
      /serverPort: (\d+)/,
      async (server, port) => {
        t.say(
          "The client connects (the three-way handshake), sends the line, half-closes " +
            "(shutdown(SHUT_WR): 'I am done sending') and reads until the server closes.",
        );
        const out = await t.client("examples/tcp_client.ts", [
          "--port",
          `${port}`,
          "tcp is reliable",
        ]);
        t.expect(
          out.stdout === "Returned from server: TCP IS RELIABLE\n",
          "TCP IS RELIABLE comes back",
        );
        await server.waitFor(/: tcp is reliable\n/);
      },
    );
    // The same pair on the wire, in short: tcpdump on lo where it can capture, else the recording.
    const { packets, why } = await liveOrRecorded("tcp").catch((err) => ({
      packets: [],
      why: (err as Error).message,
    }));
    t.say(
      `On the wire (deno task wire tcp: ${
        why
          ? `recorded on ${dayOf(packets)}; here, ${why.replace(/ \(.*$|:.*$/, "")}`
          : "tcpdump on lo, just now"
      }):`,
    );
    for (const r of rows(packets, PAIRS.tcp)) {
      const data = r.bytes ? `"${r.preview}"` : "";
      t.line(
        "tcpdump",
        `${r.from === "client" ? "client > server" : "server > client"}  ${
          [flagWords(r), data].filter(Boolean).join(" ").padEnd(18)
        }  ${r.cause}`.trimEnd(),
      );
    }
  },
};

/** Echo exercise. */
const echo: Section = {
  title: "Echo in 16-byte chunks: echo_server.ts + echo_client.ts",
  async run(t) {
    t.say("The server reads at most 16 bytes per recv(), so a longer message arrives in pieces.");
    await t.withServer(
      "examples/echo_server.ts",
      ["--port", "0"],
      /waiting for a connection\n/,
      /making a server on [^\n]*:(\d+)\n/,
      async (server, port) => {
        const msg = "Four score and seven years ago our fathers did stuff";
        t.say(
          "52 bytes: 16 + 16 + 16 + 4. Had the message been exactly 16 or 32 bytes, the taught " +
            "rule 'stop at a short read' would wait forever; the client's half-close ends it instead.",
        );
        const out = await t.client("examples/echo_client.ts", ["--port", `${port}`, msg], {
          shown: `deno run --allow-net examples/echo_client.ts --port ${port} "${msg}"`,
        });
        t.expect(out.stdout === `${msg}\n`, "the echo is the message");
        await server.waitFor(/echo complete, client connection closed\n/);
      },
    );
  },
};

/** Fixed-length messages. */
const fixed: Section = {
  title: "Fixed-length messages: fixed_length_server.ts + fixed_length_client.ts",
  async run(t) {
    t.say(
      "Both sides agree that a message is 16 bytes; the server loops on recv() until it has 16.",
    );
    await t.withServer(
      "examples/fixed_length_server.ts",
      ["--port", "0"],
      /Listening at /,
      /Listening at [^\n]*:(\d+) /,
      async (server, port) => {
        const out = await t.client("examples/fixed_length_client.ts", ["--port", `${port}`]);
        t.expect(out.stdout === "The server said 'Hello World!'\n", "Hello World! comes back");
        await server.waitFor(/Reply sent, socket closed\n/);
        t.say(
          "The server printed the 16 bytes and closed (FIN after the reply, so nothing is lost):",
        );
      },
    );
  },
};

/** Sends raw bytes over TCP, half-closes, returns the raw reply (the tour's own tiny client). */
async function rawExchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = new TextEncoder().encode(request);
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    await conn.closeWrite();
    let reply = "";
    const buf = new Uint8Array(4096);
    for (let n; (n = await within(conn.read(buf), 5000, "no reply in 5 s")) !== null;) {
      reply += new TextDecoder().decode(buf.subarray(0, n));
    }
    return reply;
  } finally {
    conn.close();
  }
}

/** The raw-socket HTTP server. */
const http: Section = {
  title: "HTTP on a raw socket: http_server.ts",
  async run(t) {
    t.say("A web server is a TCP server that reads a request head and writes a response head.");
    await t.withServer(
      "examples/http_server.ts",
      ["--port", "0"],
      /Listening on /,
      /Listening on http:\/\/[^\n]*:(\d+)\//,
      async (server, port) => {
        const cases: [string, string, string][] = [
          [
            "GET: there are no pages, so 404",
            "GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "404",
          ],
          ["HEAD: the same headers, no body", "HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n", "404"],
          ["POST: a method this server does not implement, 501", "POST / HTTP/1.0\r\n\r\n", "501"],
          ["a malformed request line (two spaces), 400", "GET  / HTTP/1.0\r\n\r\n", "400"],
        ];
        for (const [what, request, status] of cases) {
          t.say(`${what}:`);
          t.show("sent", request.replace(/\r\n/g, "\\r\\n\n"));
          const reply = await rawExchange(port, request);
          t.show("reply", reply.replace(/\r\n/g, "\\r\\n\n"));
          t.expect(reply.startsWith(`HTTP/1.1 ${status} `), `${what}: status ${status}`);
        }
        await server.waitFor(/-> 400\n/);
      },
    );
  },
};

/** Lost datagrams and backoff. */
const backoff: Section = {
  title: "Lost datagrams, backoff and connected UDP: udp_length_server.ts + udp_backoff_client.ts",
  async run(t) {
    t.say("This server pretends to lose half the datagrams (a seeded coin, so the run repeats).");
    await t.withServer(
      "examples/udp_length_server.ts",
      ["--port", "0", "--drop", "0.5", "--seed", "7"],
      /Listening at /,
      /Listening at [^\n]*:(\d+),/,
      async (server, port) => {
        t.say(
          "The client sends, waits 0.1 s, resends and doubles the wait after each silence; only " +
            "datagrams from the server count (connect() semantics).",
        );
        const out = await t.client("examples/udp_backoff_client.ts", ["--port", `${port}`]);
        t.expect(
          out.code === 0 && out.stdout.includes("The server says The msg was 18 bytes long"),
          "reply",
        );
        t.expect(
          (out.stdout.match(/Waiting up to/g) ?? []).length === 3,
          "three waits: two losses",
        );
        await server.waitFor(/says Send this message!\n/);
      },
    );
  },
};

/** Byte order. */
const byteOrder: Section = {
  title: "Network byte order: byte_order.ts",
  async run(t) {
    t.say("Multi-byte fields go most significant byte first; DataView writes that order.");
    const out = await t.client("examples/byte_order.ts", [], {
      flags: ["--allow-net=127.0.0.1"],
    });
    t.expect(
      out.code === 0 && out.stdout.includes("12 34 a5 ab cd ef 07 ff"),
      "the message's bytes",
    );
  },
};

/** IPv6 datagrams, byte by byte. */
const ipv6: Section = {
  title: "IPv6 datagrams: ipv6_server.ts + ipv6_client.ts",
  async run(t) {
    t.say("The server makes an AF_INET6 datagram socket on [::1] and dumps what recvfrom() gives.");
    await t.withServer(
      "examples/ipv6_server.ts",
      ["--port", "0"],
      /Listening on /,
      /Listening on \[::1\]:(\d+) /,
      async (server, port) => {
        const out = await t.client("examples/ipv6_client.ts", ["--port", `${port}`]);
        t.expect(out.stdout === `sent 5 bytes to [::1]:${port}\n`, "hello sent");
        await server.waitFor(/scope 0\n/);
        t.say(
          "Each byte of the message, then the peer's address as the 28 bytes of a sockaddr_in6:",
        );
        await t.client("examples/ipv6_client.ts", ["--port", `${port}`, "STOP"]);
        const end = await server.wait();
        t.expect(
          end.code === 0 && end.stdout.endsWith("Stopping server\n"),
          "STOP stops the server",
        );
        t.say("A datagram that is exactly STOP stopped it, as in simpleserverudp.py.");
      },
    );
  },
};

/** Names and numbers. */
const lookup: Section = {
  title: "Names, services and interfaces: lookup.ts",
  async run(t) {
    t.say("getaddrinfo reads /etc/hosts and DNS; services come from /etc/services.");
    const out = await t.client("examples/lookup.ts", ["localhost", "ssh"], {
      flags: [
        "--allow-net",
        "--allow-sys=hostname,networkInterfaces",
        "--allow-read=/etc/services",
      ],
    });
    t.expect(
      out.code === 0 && out.stdout.includes('getservbyname("ssh", "tcp") = 22'),
      "ssh is 22",
    );
  },
};

/** Happy eyeballs, and the contrast with one address at a time. */
const happy: Section = {
  title: "Happy eyeballs: happy_eyeballs_client.ts",
  async run(t) {
    t.say(
      "To see the race, we break IPv6 on purpose: a listener on [::1] with a backlog of 0 that " +
        "never accepts, filled by one connection, so the kernel drops every further SYN to it. " +
        "The HTTP server listens on 127.0.0.1 with the same port number.",
    );
    let v6: Deno.TcpListener | undefined, server: Running | undefined, port = 0;
    for (let i = 0; i < 10 && server === undefined; i++) {
      v6 = Deno.listen({ hostname: "::1", port: 0, tcpBacklog: 0 });
      port = v6.addr.port;
      const s = new Running(["run", "--allow-net", "examples/http_server.ts", "--port", `${port}`]);
      if (await s.waitFor(/Listening on /, 5000).then(() => true, () => false)) server = s;
      else (await s.stop(), v6.close());
    }
    if (!server || !v6) {
      throw new UserError("tour step failed: no port free on both ::1 and 127.0.0.1");
    }
    const filler = await Deno.connect({ hostname: "::1", port });
    try {
      const pin = ["--resolve", "::1,127.0.0.1"];
      t.say("Racing (RFC 8305): IPv6 first, IPv4 250 ms later, the first to connect wins.");
      const race = await t.client("examples/happy_eyeballs_client.ts", [
        "dual.test",
        `${port}`,
        ...pin,
      ]);
      t.expect(
        race.code === 0 && /::1 cancelled at [\d.]+ ms: 127\.0\.0\.1 won/.test(race.stdout),
        "race won",
      );
      t.say(
        "One address at a time (Beej's getaddrinfo loop, --sequential): the dead IPv6 path is " +
          "waited out, and IPv4 is never tried before the 2 s --timeout ends it.",
      );
      const seq = await t.client("examples/happy_eyeballs_client.ts", [
        "dual.test",
        `${port}`,
        ...pin,
        "--sequential",
        "--timeout",
        "2",
      ]);
      t.expect(
        seq.code === 1 && /::1 \(still connecting after 2000 ms\)$/m.test(seq.stderr) &&
          !/Trying 127\.0\.0\.1/.test(seq.stdout),
        "sequential never reaches IPv4 in 2 s",
      );
    } finally {
      filler.close();
      v6.close();
      await server.stop();
    }
  },
};

/** Every section, in reading order. Later examples add theirs here. */
export const SECTIONS: Section[] = [
  udp,
  tcp,
  echo,
  fixed,
  http,
  backoff,
  byteOrder,
  ipv6,
  lookup,
  happy,
];

if (import.meta.main) {
  const usage = [
    "Runs every example on loopback and narrates what each side printed, section by section.",
    "usage: deno task tour [SECTION...]",
    "  SECTION   the number of a section to run (default: all of them):",
    ...SECTIONS.map((s, i) => `  ${String(i + 1).padStart(8)}  ${s.title}`),
  ].join("\n");
  await runMain("tour", usage, async () => {
    const cli = parseCli(Deno.args, { maxPositionals: Infinity });
    const unknown = cli.positionals.find((n) => !/^\d+$/.test(n) || !SECTIONS[Number(n) - 1]);
    if (unknown !== undefined) {
      throw new UsageError(`no section "${unknown}": the sections are 1 to ${SECTIONS.length}`);
    }
    const chosen = cli.positionals.length === 0
      ? SECTIONS
      : cli.positionals.map((n) => SECTIONS[Number(n) - 1]);
    const guide = new Guide();
    const t0 = performance.now();
    console.log(
      faint(
        "Each program's lines appear as they arrive: `name | line` is its stdout, `name ! line` its stderr.",
      ),
    );
    for (const section of chosen) {
      const i = SECTIONS.indexOf(section);
      console.log(`\n${strong(`== ${i + 1}. ${section.title} ==`)}`);
      await section.run(guide);
    }
    console.log(
      `\nTour complete: ${chosen.length} section(s) in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s.`,
    );
  });
}

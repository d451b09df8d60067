/**
 * The protocol checks, one list per exercise. The grader runs them against a student's program;
 * the examples' own tests run the same functions against the examples, so the two cannot drift.
 * A check throws {@link Failed} with what was sent, what came back, and the lesson to read.
 */
import { asciiUpper } from "../../lib/bytes.ts";
import {
  bytes,
  enc,
  Failed,
  firstDifference,
  joinBytes,
  lowercaseText,
  type Seen,
  show,
  Skipped,
  sleep,
  talk,
  type Target,
  text,
  udpAsk,
  whereDiffer,
  withTcpPeer,
  withUdpPeer,
} from "./net.ts";
import type { ClientRun } from "./program.ts";
import { exceptionLine } from "../_process.ts";

/** A server under test: where it listens, and (where known) how much CPU it has used. */
export interface ServerTarget extends Target {
  /** CPU seconds used so far by the server's processes; absent or NaN where unknown. */
  cpu?: () => Promise<number>;
}

/** A client under test: runs it once against the grader's server at `host`/`port`. */
export interface ClientTarget {
  /**
   * Runs the client once, stopped after `limitMs`. `stdin` is its input. `message` fills
   * `{message}` in its command; a command without `{message}` gets it as a line of stdin.
   */
  run(o: {
    host: string;
    port: number;
    stdin?: string;
    message?: string;
    limitMs: number;
  }): Promise<ClientRun>;
}

/**
 * One check: a name a student understands, and the function that runs it. It passes when `run`
 * returns; a string it returns is a note shown with the pass (worth reading, not a failure).
 */
export interface Check<T> {
  name: string;
  run(target: T): Promise<void | string>;
}

interface Common {
  /** The name on the command line. */
  name: string;
  /** TCP or UDP. */
  transport: "tcp" | "udp";
  /** One line: the protocol and where it comes from. */
  summary: string;
}

/** An exercise: a server (the grader is the client) or a client (the grader is the server). */
export type Exercise =
  & Common
  & ({ role: "server"; checks: Check<ServerTarget>[] } | {
    role: "client";
    checks: Check<ClientTarget>[];
  });

const upper = (b: Uint8Array) => asciiUpper(b, new Uint8Array(b.length));

/** Fails unless `got` equals `want`, naming the first difference. */
function same(got: Uint8Array, want: Uint8Array, sent: string, lesson: string): void {
  const at = firstDifference(got, want);
  if (at < 0) return;
  if (got.length < want.length && at === got.length) {
    throw new Failed(
      `${sent}: only ${bytes(got.length)} of the ${
        bytes(want.length)
      } expected came back. ${lesson}`,
    );
  }
  throw new Failed(
    `${sent}: expected ${show(want)}, got ${show(got)}; ${whereDiffer(got, want)}. ${lesson}`,
  );
}

// ---- UDP servers ------------------------------------------------------------------------------

const UDP_LESSON = "See examples/udp_server.ts.";

async function udpUpper(t: Target, payload: Uint8Array, lesson: string): Promise<void> {
  const got = await udpAsk(t, payload);
  if (!got) {
    throw new Failed(
      `a datagram of ${bytes(payload.length)} (${show(payload)}) got no reply in 2 s. ${lesson}`,
    );
  }
  same(got.reply, upper(payload), `a datagram of ${bytes(payload.length)}`, lesson);
}

const udpServer: Exercise = {
  name: "udp-server",
  role: "server",
  transport: "udp",
  summary: "UDPServer.py (003): each datagram back upper-cased, to its sender",
  checks: [
    {
      name: "replies upper-cased, from its port, to the sender's address and port",
      async run(t) {
        const got = await udpAsk(t, enc.encode("hello udp"));
        if (!got) throw new Failed(`"hello udp" got no reply in 2 s. ${UDP_LESSON}`);
        same(got.reply, enc.encode("HELLO UDP"), `"hello udp"`, UDP_LESSON);
        if (got.from.port !== t.port) {
          throw new Failed(
            `the reply came from port ${got.from.port}, not ${t.port}: reply with the socket that ` +
              `received (sendto on it), or clients that check the sender drop it. ${UDP_LESSON}`,
          );
        }
      },
    },
    {
      name: "answers 5 senders at once, each with its own reply",
      async run(t) {
        const asks = Array.from({ length: 5 }, (_, i) => enc.encode(`sender number ${i}`));
        const got = await Promise.all(asks.map((a) => udpAsk(t, a)));
        got.forEach((g, i) => {
          if (!g) throw new Failed(`sender ${i} of 5 got no reply in 2 s. ${UDP_LESSON}`);
          same(g.reply, upper(asks[i]), `sender ${i} of 5`, UDP_LESSON);
        });
      },
    },
    {
      name: "an empty datagram gets an empty reply, as UDPServer.py sends",
      async run(t) {
        const got = await udpAsk(t, new Uint8Array(0));
        if (!got) {
          throw new Failed(
            `an empty datagram got no reply in 2 s: a 0-byte datagram is a message like any ` +
              `other (recvfrom returns b''), and UDPServer.py answers it. ${UDP_LESSON}`,
          );
        }
        same(got.reply, new Uint8Array(0), "an empty datagram", UDP_LESSON);
      },
    },
    {
      name: "a 2,049-byte datagram comes back whole",
      run: (t) =>
        udpUpper(
          t,
          lowercaseText(2049),
          "recvfrom(2048) cuts a longer datagram: a UDP datagram can carry 65,507 bytes. " +
            UDP_LESSON,
        ),
    },
    {
      name: "a 60,000-byte datagram comes back whole",
      run: (t) =>
        udpUpper(
          t,
          lowercaseText(60_000),
          "receive with a 65,536-byte buffer: a UDP datagram can carry 65,507 bytes. " + UDP_LESSON,
        ),
    },
    {
      name: "bytes that are not UTF-8 are upper-cased as bytes, and the server goes on",
      async run(t) {
        const bad = new Uint8Array([0x66, 0x6f, 0x6f, 0xff, 0xfe, 0x80, 0x62, 0x61, 0x72]);
        await udpUpper(
          t,
          bad,
          "decode() raises on bytes that are not UTF-8: upper-case the bytes (bytes.upper()), " +
            "or catch the error so one datagram cannot stop the server. " + UDP_LESSON,
        );
        await udpUpper(
          t,
          enc.encode("still there?"),
          "after a datagram that is not UTF-8. " + UDP_LESSON,
        );
      },
    },
    {
      name: "spaces, tabs and newlines around the text come back as they were",
      async run(t) {
        await udpUpper(
          t,
          enc.encode("  hi there \t\n"),
          "every byte comes back, upper-cased: do not strip() the message. " + UDP_LESSON,
        );
      },
    },
  ],
};

const udpLengthServer: Exercise = {
  name: "udp-length-server",
  role: "server",
  transport: "udp",
  summary: "the UDP server of the 004 slides: `The msg was N bytes long`",
  checks: [0, 1, 65_507].map((size) => ({
    name: `a ${size.toLocaleString("en-US")}-byte datagram: The msg was ${size} bytes long`,
    async run(t: Target) {
      const lesson =
        "The slides' server receives with MAX = 65535; see examples/udp_length_server.ts.";
      const got = await udpAsk(t, new Uint8Array(size).fill(0x78));
      if (!got) throw new Failed(`a datagram of ${bytes(size)} got no reply in 2 s. ${lesson}`);
      const want = `The msg was ${size} bytes long`;
      if (text(got.reply) !== want) {
        throw new Failed(
          `a datagram of ${bytes(size)}: expected "${want}", got ${show(got.reply)}. ${lesson}`,
        );
      }
    },
  })),
};

// ---- UDP client -------------------------------------------------------------------------------

const UDP_CLIENT_LESSON = "See examples/udp_client.ts.";

/** Checks that a client run ended by itself in time with exit 0. */
function endedWell(run: ClientRun, what: string, lesson: string): void {
  if (run.code === null) {
    throw new Failed(
      `${what}: the client was still running after ${
        (run.ms / 1000).toFixed(1)
      } s and was stopped. ${lesson}`,
    );
  }
  if (/Traceback|Exception|panicked|Uncaught/.test(run.stderr)) {
    const line = run.stderr.trim().split("\n").pop();
    throw new Failed(
      `${what}: the client crashed (${
        JSON.stringify(line)
      }); end quietly at the end of input. ${lesson}`,
    );
  }
  if (run.code !== 0) {
    throw new Failed(`${what}: the client exited with code ${run.code}${lastLine(run)}. ${lesson}`);
  }
}

/** How a client run ended, for a failure message: `; it exited with code 2 (it said "...")`. */
function ending(run: ClientRun): string {
  if (run.code === null) return `; the client was stopped after ${(run.ms / 1000).toFixed(1)} s`;
  return run.code === 0 ? "" : `; it exited with code ${run.code}${lastLine(run)}`;
}

function lastLine(run: ClientRun): string {
  // A usage error (exit 2) is usually explained first; a crash by its exception line.
  const output = run.stderr.trim() || run.stdout.trim();
  const line = run.code === 2 && !/Traceback/.test(output)
    ? output.split("\n")[0]
    : exceptionLine(output);
  return line ? ` (it said ${JSON.stringify(line.slice(0, 200))})` : "";
}

function printed(run: ClientRun, want: string, what: string, lesson: string): void {
  if (run.stdout.includes(want)) return;
  const near = run.stdout.trim().split("\n").pop() ?? "";
  throw new Failed(
    `${what}: the output has no ${
      JSON.stringify(want.length > 60 ? want.slice(0, 60) + "…" : want)
    }` +
      ` (last line: ${JSON.stringify(near.slice(0, 80))})${ending(run)}. ${lesson}`,
  );
}

/**
 * A line of the output is `want`, alone or after a label (`From Server: HELLO TCP`); a substring
 * is not enough (`From Server: b'HELLO TCP'` prints the reply's repr, not the reply).
 */
function printedLine(run: ClientRun, want: string, what: string, lesson: string): void {
  const lines = run.stdout.split(/\r?\n/);
  const label = (l: string) => /^[^'"]*:\s*$/.test(l.slice(0, l.length - want.length));
  if (lines.some((l) => l === want || (l.endsWith(want) && label(l)))) return;
  const near = lines.find((l) => l.includes(want)) ?? lines.filter(Boolean).pop() ?? "";
  throw new Failed(
    `${what}: no line is ${JSON.stringify(want)}, alone or after a label such as "From ` +
      `Server: " (closest: ${JSON.stringify(near.slice(0, 80))})${ending(run)}. Print the ` +
      `reply's text (decode it), not its repr. ${lesson}`,
  );
}

const udpClient: Exercise = {
  name: "udp-client",
  role: "client",
  transport: "udp",
  summary: "UDPClient.py (003): each input line to the server, `Returned from server: ...`",
  checks: [
    {
      name: "sends a line, prints Returned from server: and the reply",
      async run(c) {
        const seen = await withUdpPeer(0, async (t) => {
          const run = await c.run({ ...t, stdin: "hello udp\n", limitMs: 5000 });
          printed(
            run,
            "Returned from server: HELLO UDP",
            "for the line hello udp",
            UDP_CLIENT_LESSON,
          );
        });
        const first = text(seen[0] ?? new Uint8Array()).replace(/\r?\n$/, "");
        if (first !== "hello udp") {
          throw new Failed(
            `the server received ${JSON.stringify(first)}, not "hello udp". ${UDP_CLIENT_LESSON}`,
          );
        }
      },
    },
    {
      name: "sends each input line and ends cleanly at the end of input",
      async run(c) {
        await withUdpPeer(0, async (t) => {
          const run = await c.run({ ...t, stdin: "one\ntwo\n", limitMs: 5000 });
          printed(
            run,
            "Returned from server: ONE",
            "for the first of two lines",
            UDP_CLIENT_LESSON,
          );
          printed(
            run,
            "Returned from server: TWO",
            "for the second of two lines",
            UDP_CLIENT_LESSON,
          );
          endedWell(
            run,
            "at the end of its input (two lines)",
            "UDPClient.py ends in a traceback; " + UDP_CLIENT_LESSON,
          );
        });
      },
    },
    {
      name: "a lost datagram is sent again (the grader drops the first)",
      async run(c) {
        await withUdpPeer(1, async (t) => {
          const run = await c.run({ ...t, stdin: "are you there\n", limitMs: 6000 });
          if (run.code === null && !run.stdout.includes("ARE YOU THERE")) {
            throw new Failed(
              `the grader dropped the first datagram, as a network may, and no resend came in 6 s: ` +
                `recvfrom() without a timeout waits forever. Set a timeout, then send again. ` +
                "See examples/udp_client.ts and examples/udp_backoff_client.ts.",
            );
          }
          printed(
            run,
            "Returned from server: ARE YOU THERE",
            "after the first datagram was dropped",
            UDP_CLIENT_LESSON,
          );
        });
      },
    },
  ],
};

// ---- TCP server -------------------------------------------------------------------------------

const TCP_LESSON = "See examples/tcp_server.ts.";

const tcpServer: Exercise = {
  name: "tcp-server",
  role: "server",
  transport: "tcp",
  summary: "the textbook's TCPServer.py: the message back upper-cased, then close",
  checks: [
    {
      name: "one line, answered while the client waits (TCPClient.py does not half-close)",
      async run(t) {
        const ask = enc.encode("hello tcp");
        const got = await talk(t, [ask], { halfClose: false, want: ask.length });
        if (got.reply.length < ask.length && !got.eof && !got.reset) {
          throw new Failed(
            `"hello tcp" was sent and the connection kept open, as TCPClient.py does; no reply in ` +
              `3 s. Answer what has arrived: do not wait for the client to close. ${TCP_LESSON}`,
          );
        }
        same(got.reply, upper(ask), `"hello tcp"`, TCP_LESSON);
      },
    },
    {
      name: "a 100 KiB message comes back whole",
      async run(t) {
        const big = lowercaseText(100 * 1024);
        const got = await talk(t, [big], { waitMs: 10_000 });
        // The hint follows what came back: a multiple of 1,024 bytes is the textbook's recv(1024).
        const n = got.reply.length;
        const power = n >= 1024 && n < big.length && (n & (n - 1)) === 0;
        const why = power
          ? `One recv(${n}) returns at most ${bytes(n)}, only what has arrived`
          : `One recv() returns only what has arrived, which may be part of the message`;
        same(
          got.reply,
          upper(big),
          `${bytes(big.length)} sent, then a half-close`,
          `${why}: read until recv() returns 0 bytes (EOF). ${TCP_LESSON}`,
        );
      },
    },
    {
      name: "after the client's half-close, the reply ends with the server closing",
      async run(t) {
        const got = await talk(t, [enc.encode("bye")]);
        same(got.reply, enc.encode("BYE"), `"bye" then shutdown(SHUT_WR)`, TCP_LESSON);
        if (!got.eof) {
          throw new Failed(
            `"bye" then shutdown(SHUT_WR): the reply came, but the server did not close in 3 s` +
              `${got.reset ? " (it reset the connection instead)" : ""}. recv() returning 0 ` +
              `bytes means the client is done: close then. ${TCP_LESSON}`,
          );
        }
      },
    },
    {
      name: "only a to z change: straße, é and bytes that are not UTF-8 come back as they were",
      async run(t) {
        const ask = Uint8Array.from([...enc.encode("straße é "), 0xff, 0xfe, ...enc.encode(" ok")]);
        const got = await talk(t, [ask]);
        same(
          got.reply,
          upper(ask),
          `"straße é", two bytes that are not UTF-8 and " ok"`,
          "Upper-case the bytes as Python's bytes.upper() does, which changes only a to z; " +
            "decoding and upper-casing text turns ß into SS and bad bytes into U+FFFD. " +
            TCP_LESSON,
        );
      },
    },
    {
      name: "10 clients at once each get their own reply, with no handshake dropped",
      async run(t) {
        // Against listen(1) the kernel queues 2 finished handshakes; a server that serves one
        // client at a time lets the queue overflow, so some clients' handshakes are dropped
        // (they retry 1 s later) or reset. Which ones varies from run to run; that it happens
        // does not, so the check fails on it rather than on a count of replies.
        const asks = Array.from({ length: 10 }, (_, i) => enc.encode(`client number ${i}`));
        const t0 = performance.now();
        const got = await Promise.all(
          asks.map((a) =>
            talk(t, [a], { connectMs: 16_000, waitMs: 16_000 }).then(
              (g) => ({ ...g, after: performance.now() - t0 }),
              (err: Failed) => err,
            )
          ),
        );
        const failed = got.find((g) => g instanceof Failed);
        if (failed) throw new Failed(`client ${got.indexOf(failed)} of 10: ${failed.message}`);
        const done = got as Exclude<typeof got[number], Failed>[];
        done.forEach((g, i) => {
          if (g.reply.length > 0) same(g.reply, upper(asks[i]), `client ${i} of 10`, TCP_LESSON);
        });
        const reset = done.filter((g) => g.reset && g.reply.length === 0).length;
        const late = done.filter((g) => !g.reset && g.after >= 900).length;
        if (reset > 0 || late > 0) {
          throw new Failed(
            `the accept queue overflowed: of 10 clients at once, ${reset} ${
              reset === 1 ? "was" : "were"
            } reset and ${late} answered only after the kernel's 1 s retry of a dropped ` +
              `handshake. listen(1) queues 2 connections on Linux and a server that serves one ` +
              `client at a time drains it slowly: pass listen() a backlog of 16 or more and ` +
              `serve each client in its own thread or task. ${TCP_LESSON}`,
          );
        }
        done.forEach((g, i) => {
          if (g.reply.length === 0) {
            throw new Failed(`client ${i} of 10 got no reply in 16 s. ${TCP_LESSON}`);
          }
        });
      },
    },
    {
      name: "a client that connects and says nothing does not block the next one",
      async run(t) {
        await silentThen(t, async () => {
          const got = await talk(t, [enc.encode("next")], { waitMs: 2000 });
          if (got.reply.length === 0) {
            throw new Failed(
              `a client connected and sent nothing; the next client's "next" got no reply in 2 s. ` +
                `Serve each client in its own thread or task, so one slow client cannot hold the ` +
                `others. ${TCP_LESSON}`,
            );
          }
          same(got.reply, enc.encode("NEXT"), `the next client's "next"`, TCP_LESSON);
        });
      },
    },
  ],
};

/** Holds one silent connection open while `body` runs. */
async function silentThen(t: Target, body: () => Promise<void>): Promise<void> {
  const silent = await Deno.connect({ hostname: t.host, port: t.port });
  try {
    await sleep(100); // accepted, if it is going to be
    await body();
  } finally {
    silent.close();
  }
}

// ---- TCP client -------------------------------------------------------------------------------

const TCP_CLIENT_LESSON = "See examples/tcp_client.ts.";

const tcpClient: Exercise = {
  name: "tcp-client",
  role: "client",
  transport: "tcp",
  summary: "the textbook's TCPClient.py: a line to the server, the upper-cased reply printed",
  checks: [
    {
      name: "sends a line and prints the reply",
      async run(c) {
        const seen = await withTcpPeer({ upper: true }, async (t) => {
          const run = await c.run({ ...t, stdin: "hello tcp\n", limitMs: 5000 });
          printedLine(run, "HELLO TCP", "for the line hello tcp", TCP_CLIENT_LESSON);
        });
        const got = text(seen[0]?.data ?? new Uint8Array()).replace(/\r?\n$/, "");
        if (got !== "hello tcp") {
          throw new Failed(
            `the server received ${JSON.stringify(got)}, not "hello tcp". ${TCP_CLIENT_LESSON}`,
          );
        }
      },
    },
    {
      name: "a 100 KiB reply, arriving in pieces, is printed whole",
      async run(c) {
        const line = text(lowercaseText(100 * 1024));
        await withTcpPeer({ upper: true, pieceBytes: 8192, pieceMs: 20 }, async (t) => {
          const run = await c.run({ ...t, stdin: line + "\n", limitMs: 8000 });
          if (!run.stdout.includes(line.toUpperCase())) {
            const longest = Math.max(0, ...run.stdout.split("\n").map((l) => l.length));
            const why = longest > 0 && longest % 1024 === 0 && longest < 8192
              ? "One recv(1024) gets at most 1,024 bytes"
              : longest === 8192
              ? "One recv() got only the first 8 KiB piece"
              : "A single recv() gets only what has arrived";
            throw new Failed(
              `a ${bytes(line.length)} line was sent and came back in 8 KiB pieces; the longest ` +
                `line printed has ${longest.toLocaleString("en-US")} characters${ending(run)}. ` +
                `${why}: read until the server closes. ${TCP_CLIENT_LESSON}`,
            );
          }
        });
      },
    },
    {
      name: "says it is done sending (half-close) when the server waits for that",
      async run(c) {
        const seen = await withTcpPeer({ upper: true, afterEof: true, idleMs: 3000 }, async (t) => {
          const run = await c.run({ ...t, stdin: "the end\n", limitMs: 5000 });
          if (!run.stdout.includes("THE END")) {
            throw new Failed(
              `this server answers once the client says it is done (EOF), as a server may; the ` +
                `client never said so in 3 s: call shutdown(SHUT_WR) after the last byte. ` +
                TCP_CLIENT_LESSON,
            );
          }
        });
        if (!seen[0]?.eof) {
          throw new Failed(`the server never saw the end of the message. ${TCP_CLIENT_LESSON}`);
        }
      },
    },
  ],
};

// ---- Echo server ------------------------------------------------------------------------------

const ECHO_LESSON = "See examples/echo_server.ts.";
export const SHORT = "short message";
export const FOUR_SCORE = "Four score and seven years ago our fathers did stuff";

async function echoes(t: Target, parts: Uint8Array[], what: string, pauseMs = 0): Promise<void> {
  const want = joinBytes(parts);
  const got = await talk(t, parts, { pauseMs });
  same(got.reply, want, what, ECHO_LESSON);
  if (!got.eof) {
    throw new Failed(
      `${what}: the echo came back but the server did not close in 3 s after the client's ` +
        `shutdown(SHUT_WR): recv() returns 0 bytes then; close the connection. ${ECHO_LESSON}`,
    );
  }
}

const echoServer: Exercise = {
  name: "echo-server",
  role: "server",
  transport: "tcp",
  summary: "the echo exercise of 001: the bytes back unchanged until the client half-closes",
  checks: [
    {
      name: `the companion tests' messages: "${SHORT}" (13 bytes) and the 52-byte Four score`,
      async run(t) {
        await echoes(t, [enc.encode(SHORT)], `"${SHORT}"`);
        await echoes(t, [enc.encode(FOUR_SCORE)], "the 52-byte Four score message");
      },
    },
    {
      name: "exactly 16 and 32 bytes are echoed before the client half-closes",
      async run(t) {
        for (const n of [16, 32]) {
          const msg = lowercaseText(n);
          const got = await talk(t, [msg], { halfClose: false, want: n });
          same(got.reply, msg, `${bytes(n)} with the connection kept open`, ECHO_LESSON);
        }
      },
    },
    {
      name: "a message that arrives in pieces, 300 ms apart, comes back whole",
      async run(t) {
        const parts = ["Four score ", "and seven years ago ", "our fathers did stuff"].map((p) =>
          enc.encode(p)
        );
        const want = joinBytes(parts);
        const got = await talk(t, parts, { pauseMs: 300 });
        if (got.reply.length < want.length) {
          throw new Failed(
            `52 bytes were sent in 3 pieces, 300 ms apart; ${bytes(got.reply.length)} came back ` +
              `(${show(got.reply)}). A short read is not the end of the message: only EOF (recv ` +
              `returns 0 bytes) is. ${ECHO_LESSON}`,
          );
        }
        same(got.reply, want, "52 bytes in 3 pieces", ECHO_LESSON);
      },
    },
    {
      name: "a client that half-closes at once gets the echo, then the close",
      run: (t) =>
        echoes(
          t,
          [enc.encode("half-close after me")],
          `"half-close after me" and shutdown(SHUT_WR)`,
        ),
    },
    {
      name: "all 256 byte values come back exactly",
      run: (t) =>
        echoes(t, [Uint8Array.from({ length: 256 }, (_, i) => i)], "the bytes 0x00 to 0xff"),
    },
  ],
};

// ---- Echo client ------------------------------------------------------------------------------

const ECHO_CLIENT_LESSON = "See examples/echo_client.ts.";

// The grader's echo server answers in capitals, so the echo the client prints can be told apart
// from the message it sent (and from its own `sending "..."` log line).
async function echoClientRun(
  c: ClientTarget,
  msg: string,
  o: { pieceBytes?: number; pieceMs?: number; afterEof?: boolean } = {},
) {
  let run!: ClientRun;
  const seen = await withTcpPeer({ upper: true, idleMs: 6000, ...o }, async (t) => {
    run = await c.run({ ...t, message: msg, limitMs: 5000 });
  });
  return { run, seen: seen[0] };
}

/** The server received exactly `msg`, and the client printed the (capitalised) echo on a line. */
function echoed(run: ClientRun, seen: Seen | undefined, msg: string, what: string): void {
  const sent = enc.encode(msg);
  if (!seen) {
    throw new Failed(
      `${what}: the client never connected to the grader's server${ending(run)}. ` +
        ECHO_CLIENT_LESSON,
    );
  }
  if (firstDifference(seen.data, sent) !== -1) {
    throw new Failed(
      `${what}: the grader's server received ${show(seen.data)}, not ${show(sent)}; ` +
        `${whereDiffer(seen.data, sent)}. ${ECHO_CLIENT_LESSON}`,
    );
  }
  printedLine(
    run,
    msg.toUpperCase(),
    `${what} (this server echoes in capitals)`,
    ECHO_CLIENT_LESSON,
  );
}

const echoClient: Exercise = {
  name: "echo-client",
  role: "client",
  transport: "tcp",
  summary: "the echo exercise of 001: send a message, print the whole echo",
  checks: [
    {
      name: `the companion tests' messages: "${SHORT}" and the 52-byte Four score`,
      async run(c) {
        for (const msg of [SHORT, FOUR_SCORE]) {
          const { run, seen } = await echoClientRun(c, msg);
          echoed(run, seen, msg, `for ${JSON.stringify(msg.slice(0, 20))}`);
          endedWell(run, `for ${JSON.stringify(msg.slice(0, 20))}`, ECHO_CLIENT_LESSON);
        }
      },
    },
    {
      name: "exactly 16 and 32 bytes: the client does not wait for a short read",
      async run(c) {
        for (const msg of ["0123456789abcdef", "0123456789abcdef".repeat(2)]) {
          const { run, seen } = await echoClientRun(c, msg);
          if (run.code === null && seen?.data.length === msg.length) {
            throw new Failed(
              `a ${bytes(msg.length)} message was echoed in full, and the client was still ` +
                `waiting after 5 s: a message whose length is a multiple of 16 ends with a full ` +
                `read, so "stop at a short read" waits forever. Half-close after sending and read ` +
                `until EOF. ${ECHO_CLIENT_LESSON}`,
            );
          }
          echoed(run, seen, msg, `for ${bytes(msg.length)}`);
        }
      },
    },
    {
      name: "an echo that arrives in 4-byte pieces, 100 ms apart, is printed whole",
      async run(c) {
        const { run, seen } = await echoClientRun(c, FOUR_SCORE, { pieceBytes: 4, pieceMs: 100 });
        echoed(
          run,
          seen,
          FOUR_SCORE,
          "the 52-byte echo came back 4 bytes at a time; a short read is not the end of the echo",
        );
      },
    },
    {
      name: "says it is done sending (half-close) while it still waits for the echo",
      async run(c) {
        const { run, seen } = await echoClientRun(c, SHORT, { afterEof: true });
        const what = "this server echoes only once the client says it is done (EOF)";
        if (seen?.eof && run.code === null) {
          throw new Failed(
            `${what}; the client's FIN came only when the grader stopped it after 5 s: call ` +
              `shutdown(SHUT_WR) after sending, then read the echo. ${ECHO_CLIENT_LESSON}`,
          );
        }
        if (!seen?.eof) {
          throw new Failed(
            `${what}; the client never said so${ending(run)}: call shutdown(SHUT_WR) after ` +
              `sending. ${ECHO_CLIENT_LESSON}`,
          );
        }
        if (!run.stdout.split(/\r?\n/).some((l) => l.endsWith(SHORT.toUpperCase()))) {
          throw new Failed(
            `${what}; the client closed its side but did not print the echo that followed ` +
              `(${JSON.stringify(SHORT.toUpperCase())})${
                ending(run)
              }: shutdown(SHUT_WR) ends only ` +
              `the sending; close() ends the reading too. ${ECHO_CLIENT_LESSON}`,
          );
        }
      },
    },
  ],
};

// ---- Fixed-length server ----------------------------------------------------------------------

const FIXED_LESSON = "See examples/fixed_length_server.ts.";
const GREETING = enc.encode("Hi there, server");
const HELLO = enc.encode("Hello World!");

async function greeted(t: Target, parts: Uint8Array[], what: string, pauseMs = 0): Promise<void> {
  const got = await talk(t, parts, { halfClose: false, pauseMs });
  same(got.reply, HELLO, what, FIXED_LESSON);
  if (!got.eof) {
    throw new Failed(
      `${what}: the reply came, but the connection then ${
        got.reset ? "was reset" : "stayed open"
      }` +
        `: close it cleanly after the reply. ${FIXED_LESSON}`,
    );
  }
}

const fixedLengthServer: Exercise = {
  name: "fixed-length-server",
  role: "server",
  transport: "tcp",
  summary: "the 004 slides' recv_all server (port 1060): 16 bytes in, Hello World! out",
  checks: [
    {
      name: "16 bytes: the reply Hello World!, then a clean close",
      run: (t) => greeted(t, [GREETING], `"Hi there, server" (16 bytes)`),
    },
    {
      name: "16 bytes arriving one per write, 10 ms apart, are assembled",
      run: (t) =>
        greeted(
          t,
          [...GREETING].map((b) => new Uint8Array([b])),
          "16 bytes, one per write: one recv(16) gets only the first; loop until all 16 are in",
          10,
        ),
    },
    {
      name: "a peer that sends 10 bytes and closes does not stop the server",
      async run(t) {
        const early = await Deno.connect({ hostname: t.host, port: t.port });
        await early.write(GREETING.subarray(0, 10)).catch(() => {});
        early.close();
        await sleep(200);
        const got = await talk(t, [GREETING], { halfClose: false }).catch((err) => {
          if (!(err instanceof Failed)) throw err;
          throw new Failed(
            `a peer sent 10 bytes and closed; then ${err.message.replace(/\.$/, "")}. recv_all ` +
              `must treat an early EOF as that client's error, not the server's. ${FIXED_LESSON}`,
          );
        });
        same(got.reply, HELLO, "the client after one that sent 10 bytes and closed", FIXED_LESSON);
      },
    },
  ],
};

// ---- HTTP server ------------------------------------------------------------------------------

const HTTP_LESSON = "See examples/http_server.ts.";

/** Sends a request (in parts) and returns the status code and the response's bytes. */
async function request(
  t: Target,
  parts: string[],
  pauseMs = 0,
): Promise<{ status: number; response: string; body: string }> {
  const got = await talk(t, parts.map((p) => enc.encode(p)), { pauseMs, halfClose: false });
  const response = text(got.reply);
  const m = response.match(/^HTTP\/1\.[01] (\d{3})[^\r\n]*\r?\n/);
  const sent = JSON.stringify(parts.join("").split("\r\n")[0]);
  if (!m) {
    throw new Failed(
      `${sent}: no HTTP status line came back (got ${show(got.reply)}). A response starts ` +
        `\`HTTP/1.1 404 Not Found\\r\\n\`. ${HTTP_LESSON}`,
    );
  }
  const split = response.search(/\r?\n\r?\n/);
  const body = split < 0 ? "" : response.slice(split).replace(/^\r?\n\r?\n/, "");
  return { status: Number(m[1]), response, body };
}

function status(got: { status: number }, want: number, sent: string, why: string): void {
  if (got.status !== want) {
    throw new Failed(`${sent} got ${got.status}, not ${want}: ${why} ${HTTP_LESSON}`);
  }
}

const GET = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

const httpServer: Exercise = {
  name: "http-server",
  role: "server",
  transport: "tcp",
  summary: "simplehttpserver.py (000): 404 for GET and HEAD, 501 for other methods",
  checks: [
    {
      name: "GET gets 404 Not Found",
      async run(t) {
        const got = await request(t, [GET]);
        status(got, 404, "GET /", "there are no pages.");
        const head = got.response.slice(0, got.response.length - got.body.length);
        if (!/\ncontent-length:/i.test(head)) {
          return "the response has no Content-Length header: legal with Connection: close (the " +
            "body ends where the connection does), but the lesson sends one, so a client can " +
            "tell a complete body from a cut one.";
        }
      },
    },
    {
      name: "after its response, with Connection: close, the server closes the connection",
      async run(t) {
        // The client keeps its own side open, as a browser does: the server's FIN must come.
        const got = await talk(t, [enc.encode(GET)], { halfClose: false, waitMs: 2000 });
        const m = text(got.reply).match(/^HTTP\/1\.[01] (\d{3})/);
        status({ status: Number(m?.[1] ?? 0) }, 404, "GET /", "there are no pages.");
        if (!got.eof) {
          throw new Failed(
            `GET / got its response, with Connection: close, but the server had not closed the ` +
              `connection 2 s later${got.reset ? " (it reset it instead)" : ""}: a client that ` +
              `reads to the end of the response waits forever. Close after the response. ` +
              HTTP_LESSON,
          );
        }
      },
    },
    {
      name: "POST, PUT and DELETE get 501 Not Implemented",
      async run(t) {
        for (const method of ["POST", "PUT", "DELETE"]) {
          const req =
            `${method} / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
          status(await request(t, [req]), 501, method, "only GET and HEAD are implemented.");
        }
      },
    },
    {
      name: "HEAD gets the 404 status and headers, and no body",
      async run(t) {
        const got = await request(t, [GET.replace("GET", "HEAD")]);
        status(got, 404, "HEAD /", "HEAD is GET without the body (RFC 9110 9.3.2).");
        if (got.body.length > 0) {
          throw new Failed(
            `HEAD / got a body of ${
              bytes(got.body.length)
            }: a HEAD response has none. ${HTTP_LESSON}`,
          );
        }
      },
    },
    {
      name: "a request split across 4 writes, 100 ms apart, gets its 404",
      async run(t) {
        const parts = [
          "GE",
          "T / HT",
          "TP/1.1\r\nHost: 127.0.0.1\r",
          "\nConnection: close\r\n\r\n",
        ];
        const got = await request(t, parts, 100).catch((err) => {
          throw err instanceof Failed
            ? new Failed(
              `${
                err.message.replace(/ See .*$/, "")
              } One recv() may hold part of a line: read until the blank line. ${HTTP_LESSON}`,
            )
            : err;
        });
        status(got, 404, "GET / in 4 pieces", "read until the end of the head (a blank line).");
      },
    },
    {
      name: "a client that connects and says nothing does not block the next request",
      async run(t) {
        await silentThen(t, async () => {
          const got = await talk(t, [enc.encode(GET)], { halfClose: false, waitMs: 2000 });
          if (got.reply.length === 0) {
            throw new Failed(
              `a client connected and sent nothing; the next GET got no answer in 2 s. Serve each ` +
                `connection in its own thread or task, with a read timeout. ${HTTP_LESSON}`,
            );
          }
        });
      },
    },
    {
      name: "a client that closes before the first newline leaves the server idle",
      async run(t) {
        const conn = await Deno.connect({ hostname: t.host, port: t.port });
        await conn.write(enc.encode("GET / HT")).catch(() => {});
        conn.close();
        await sleep(200);
        if (!t.cpu) throw new Skipped("the server's CPU time cannot be read here (no /proc)");
        const before = await t.cpu();
        await sleep(1000);
        const used = (await t.cpu()) - before;
        if (Number.isNaN(used)) {
          throw new Skipped("the server's CPU time cannot be read here (no /proc)");
        }
        if (used > 0.3) {
          throw new Failed(
            `after a client sent "GET / HT" and closed, the server used ${used.toFixed(2)} s of ` +
              `CPU in the next second: at EOF recv() returns b'' at once, forever, so a loop ` +
              `waiting for a newline spins. Stop reading at EOF. ${HTTP_LESSON}`,
          );
        }
        status(await request(t, [GET]), 404, "GET / after that", "the server must go on.");
      },
    },
  ],
};

/** Every exercise, in the order they are listed. */
export const EXERCISES: Exercise[] = [
  udpServer,
  udpClient,
  tcpServer,
  tcpClient,
  echoServer,
  echoClient,
  fixedLengthServer,
  udpLengthServer,
  httpServer,
];

/** The exercise called `name`, or undefined. */
export function exercise(name: string): Exercise | undefined {
  return EXERCISES.find((e) => e.name === name);
}

/**
 * Runs every check of the server exercise `name` against `target` (for the examples' own
 * tests); throws the first failure, named after its check.
 */
export async function assertPasses(name: string, target: ServerTarget): Promise<void> {
  const ex = exercise(name);
  if (ex?.role !== "server") throw new Error(`no server exercise ${name}`);
  for (const check of ex.checks) {
    try {
      await check.run(target);
    } catch (err) {
      if (err instanceof Skipped) continue;
      throw new Error(`${name}: ${check.name}: ${(err as Error).message}`);
    }
  }
}

/**
 * `deno task wire`, live: tcpdump on `lo` while a pair runs, each scenario checked from its
 * capture. Skipped, with the reason printed, where tcpdump is missing or cannot capture (in a user
 * namespace it cannot drop to its own user, so CI runs this file outside its loopback-only
 * namespace, after installing tcpdump).
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { deno, ROOT } from "./_process.ts";
import { describe, PAIRS, recorded, type Row, rows } from "./wire/main.ts";
import { type Packet, readPcap } from "./wire/pcap.ts";

const probe = await deno(["task", "-q", "wire", "udp"], { timeoutMs: 60_000 });
const why = probe.code === 2 && /^wire: /.test(probe.stderr) ? probe.stderr.trim() : "";
if (why) console.error(`the live capture tests are skipped: ${why}`);

/** What a program printed: its heading (`COMMAND (exit N):`) and its lines. */
type Printed = { head: string; text: string };
/** A scenario's check, on the packets and, for a live capture, on what each program printed. */
type Check = (packets: Row[], printed?: Printed[], times?: number[]) => void;

/**
 * `deno task wire NAME --pcap FILE`: the printed packet lines must be the file's, described;
 * returns the rows, what each program printed and each packet's capture time.
 */
async function live(name: string) {
  const file = await Deno.makeTempFile({ dir: "/tmp", suffix: ".pcap" });
  try {
    const out = await deno(["task", "-q", "wire", name, "--pcap", file], { timeoutMs: 60_000 });
    assertEquals(out.code, 0, out.stderr);
    const [packetText, ...sections] = out.stdout.trimEnd().split("\n\n");
    const packets = readPcap(await Deno.readFile(file));
    assertEquals(packetText.split("\n"), describe(packets, PAIRS[name]));
    onLoopbackOnly(packets);
    // Every process it started has stopped: no command line still names the capture file.
    assertEquals(await commandLinesWith(file), []);
    const printed = sections.filter((s) => !s.startsWith("the capture is in ")).map((p) => {
      const [head, ...rest] = p.split("\n");
      return { head, text: rest.map((l) => l.slice(2)).join("\n") };
    });
    return { rows: rows(packets, PAIRS[name]), printed, times: packets.map((p) => p.time) };
  } finally {
    await Deno.remove(file);
  }
}

/** The command lines of running processes that include `text` (read with `ls` and `cat`). */
async function commandLinesWith(text: string): Promise<string[]> {
  const run = async (cmd: string, args: string[]) =>
    new TextDecoder().decode(
      (await new Deno.Command(cmd, { args, stderr: "null" }).output()).stdout,
    );
  const pids = (await run("ls", ["/proc"])).split("\n").filter((n) => /^\d+$/.test(n));
  const all = await run("cat", pids.map((pid) => `/proc/${pid}/cmdline`));
  return all.split("\0").filter((arg) => arg.includes(text));
}

/** Every packet went from loopback to loopback. */
function onLoopbackOnly(packets: Packet[]) {
  for (const p of packets) {
    for (const a of [p.src, p.dst]) assert(/^(127\.|::1$)/.test(a), `${a} is not loopback`);
  }
}

/** Checks `name` on its committed recording, and on a live capture where tcpdump can capture. */
function scenario(name: string, title: string, check: Check) {
  Deno.test(`wire ${name}, recorded: ${title}`, async () => {
    const packets = readPcap(await Deno.readFile(recorded(name)));
    onLoopbackOnly(packets);
    check(rows(packets, PAIRS[name]), undefined, packets.map((p) => p.time));
  });
  Deno.test({
    name: `wire ${name}, live: ${title}`,
    ignore: Boolean(why),
    async fn() {
      const { rows, printed, times } = await live(name);
      for (let i = 1; i < rows.length; i++) assert(rows[i].ms >= rows[i - 1].ms, "out of order");
      check(rows, printed, times);
    },
  });
}

const show = (ps: Row[]) => ps.map((p) => `${p.from} ${p.flags}`);
const fins = (ps: Row[]) => ps.filter((p) => p.flags.includes("F"));
const resets = (ps: Row[]) => ps.filter((p) => p.flags.includes("R"));
const data = (ps: Row[]) => ps.filter((p) => p.bytes > 0).map((p) => `${p.from} ${p.preview}`);

scenario("tcp", "the handshake before any data, one FIN from each side, the last ACK", (ps) => {
  assertEquals(show(ps.slice(0, 3)), ["client S", "server S.", "client ."]);
  assertMatch(ps[0].cause, /^connect\(\)/);
  assertEquals(fins(ps).map((p) => `${p.from} ${p.cause}`), [
    "client shutdown(SHUT_WR)",
    "server close()",
  ]);
  assertEquals(show(ps.slice(-1)), ["client ."]); // the client only ACKs: no second FIN
  assertEquals(resets(ps), []);
  assertEquals(data(ps), ["client tcp is reliable", "server TCP IS RELIABLE"]);
});

scenario(
  "udp",
  "one datagram each way, no handshake, a new source port per client socket",
  (ps) => {
    assertEquals(ps.map((p) => `${p.from} ${p.flags} ${p.bytes} ${p.preview}`), [
      "client UDP 11 udp is lazy",
      "server UDP 11 UDP IS LAZY",
      "client UDP 5 again",
      "server UDP 5 AGAIN",
    ]);
    assertEquals(ps[0].cause, "sendto()");
    // Each answer goes back to the port its request came from; the second socket got another.
    assertEquals(ps[0].clientPort, ps[1].clientPort);
    assertEquals(ps[2].clientPort, ps[3].clientPort);
    assert(ps[0].clientPort !== ps[2].clientPort, "the same source port twice");
  },
);

scenario("echo", "the message, the client's half-close, the echo, one FIN each way", (ps) => {
  assertEquals(show(ps.slice(0, 3)), ["client S", "server S.", "client ."]);
  assertEquals(data(ps)[0], "client Four score and seven yea"); // 24 bytes shown
  const echoed = ps.filter((p) => p.from === "server" && p.bytes).map((p) => p.bytes);
  assertEquals(echoed.reduce((a, b) => a + b), 30); // all of it, 16 bytes a recv()
  assertEquals(fins(ps).map((p) => p.from), ["client", "server"]);
  assertEquals(resets(ps), []);
});

scenario(
  "fixed-length",
  "the server half-closes first (its lingering close), then the client closes",
  (ps) => {
    assertEquals(data(ps), ["client Hi there, server", "server Hello World!"]);
    assertEquals(fins(ps).map((p) => `${p.from} ${p.cause}`), [
      "server shutdown(SHUT_WR)",
      "client close()",
    ]);
    assertEquals(resets(ps), []);
  },
);

scenario(
  "http",
  "the GET and the client's half-close, the 404, the server's FIN, no reset",
  (ps, printed) => {
    assertEquals(show(ps.slice(0, 3)), ["client S", "server S.", "client ."]);
    assertEquals(data(ps), [
      "client GET / HTTP/1.1\\r\\nHost: 12", // the first 24 bytes, \r\n shown escaped
      "server HTTP/1.1 404 Not Found\\r\\n",
    ]);
    // In either order: the server does not wait for the client's FIN before its close().
    assertEquals(fins(ps).map((p) => `${p.from} ${p.cause}`).sort(), [
      "client shutdown(SHUT_WR)",
      "server close()",
    ]);
    assertEquals(resets(ps), []);
    if (printed) assertMatch(printed.at(-1)!.text, /^HTTP\/1\.1 404 Not Found$/m);
  },
);

scenario(
  "happy-eyeballs",
  "SYNs to ::1 unanswered, the IPv4 SYN 250 ms later wins",
  (ps, printed) => {
    const v6 = ps.filter((p) => p.server === "::1");
    const v4 = ps.filter((p) => p.server === "127.0.0.1");
    assertEquals(ps[0], v6[0]); // the preferred family first
    assertEquals(ps[0].cause, "connect() to ::1: never answered");
    // The cancelled attempt's socket, closed while its SYN waits, sends nothing at all: no FIN, no
    // reset; every packet to ::1 is that SYN (or the kernel's retransmission of it).
    assertEquals([...new Set(show(v6))], ["client S"]);
    assert(v6.every((p) => p.lost));
    assertEquals(show(v4.slice(0, 3)), ["client S", "server S.", "client ."]);
    const delay = v4[0].ms - v6[0].ms;
    assert(delay >= 240 && delay < 1000, `the IPv4 SYN came ${delay} ms after the IPv6 one`);
    assertEquals(v4.length + v6.length, ps.length);
    assertEquals(resets(ps), []);
    if (printed) assertMatch(printed.at(-1)!.text, /::1 cancelled at [\d.]+ ms: 127\.0\.0\.1 won/);
  },
);

scenario(
  "slow-accept",
  "the kernel completes the handshake and takes the bytes before accept()",
  (ps, printed, times) => {
    assertEquals(show(ps.slice(0, 3)), ["client S", "server S.", "client ."]);
    // The reply comes only after accept(); everything before it the kernel did alone.
    const reply = ps.findIndex((p) => p.from === "server" && p.bytes > 0);
    const before = ps.slice(0, reply);
    assertEquals(data(before), ["client accept me later"]); // taken in and ACKed by the kernel
    assertEquals(fins(before).map((p) => p.from), ["client"]);
    assertEquals(show(before.slice(-1)), ["server ."]); // the kernel ACKed the FIN too
    assertEquals(data(ps.slice(reply)), ["server ACCEPT ME LATER"]);
    if (printed) {
      // The server printed time.time() when accept() returned: the clock tcpdump stamps with.
      const accepted = Number(printed[0].text.match(/accept\(\) returned at ([\d.]+) s/)![1]);
      assert(times![reply - 1] < accepted && accepted < times![reply], "accept() not in between");
    }
  },
);

scenario(
  "backoff",
  "the same datagram again after 0.1 s, then after 0.2 s more, then the answer",
  (ps, printed) => {
    assertEquals(ps.map((p) => `${p.from} ${p.bytes} ${p.preview}`), [
      "client 18 Send this message!",
      "client 18 Send this message!",
      "client 18 Send this message!",
      "server 25 The msg was 18 bytes lon",
    ]);
    // One socket for every try: the answer comes back to the port all three left from.
    assertEquals(new Set(ps.map((p) => p.clientPort)).size, 1);
    const [first, second] = [ps[1].ms - ps[0].ms, ps[2].ms - ps[1].ms];
    // At least the client's waits, 0.1 s then 0.2 s; a loaded machine can only add to them.
    assert(first >= 95 && second >= 195, `waited ${first}, then ${second} ms`);
    if (printed) assertEquals(printed[0].text.match(/Pretending to drop/g)?.length, 2);
  },
);

scenario(
  "ipv6",
  "one datagram from ::1 to ::1, and the port the server decoded is the one sent",
  (ps, printed) => {
    assertEquals(ps.map((p) => `${p.from} ${p.flags} ${p.server} ${p.preview}`), [
      "client UDP ::1 hello",
    ]);
    if (printed) {
      // The server prints the sockaddr_in6 recvfrom() filled: its port, in network byte order.
      const [, hi, lo, port] = printed[0].text.match(
        /port ([\da-f]{2}) ([\da-f]{2}) \((\d+), network order\)/,
      )!;
      assertEquals(Number(port), ps[0].clientPort);
      assertEquals(parseInt(hi + lo, 16), ps[0].clientPort);
    }
  },
);

scenario(
  "idle",
  "the server's FIN comes after the idle clock, with nothing sent either way",
  (ps, printed) => {
    assertEquals(show(ps.slice(0, 3)), ["client S", "server S.", "client ."]);
    assertEquals(data(ps), []);
    assertEquals(resets(ps), []);
    const [theirs, ours] = fins(ps);
    assertEquals([theirs.from, theirs.cause, ours.from], [
      "server",
      "close(): the idle clock ran out",
      "client",
    ]);
    assert(theirs.ms >= 450 && theirs.ms < 2000, `the server closed after ${theirs.ms} ms`);
    if (printed) {
      assertMatch(
        printed.at(-1)!.text,
        /^the server closed after [\d.]+ s of silence \(recv\(\) returned b''\)$/,
      );
    }
  },
);

scenario(
  "byte-order",
  "the 8 bytes leave in the order they were packed, most significant first",
  (ps, printed) => {
    assertEquals(ps.map((p) => `${p.flags} ${p.bytes} ${p.preview}`), [
      "UDP 8 12 34 a5 ab cd ef 07 ff",
    ]);
    assertMatch(ps[0].who, /^socket:(\d+) > itself:\1$/); // one socket, sending to itself
    if (printed) assertMatch(printed[0].text, /^12 34 a5 ab cd ef 07 ff$/m); // what it printed
  },
);

/** A server closes with bytes unread: its reply goes out, then a reset, and the client loses it. */
const resetCheck = (reply: string): Check => (ps, printed) => {
  const last = ps.at(-1)!;
  assertEquals(
    `${last.from} ${last.flags} ${last.cause}`,
    "server R. a reset: close() with unread bytes",
  );
  assert(data(ps).at(-1)!.startsWith(`server ${reply}`)); // the reply was sent, then the reset
  // The server never sends its FIN; the client's may or may not leave before the reset arrives.
  assertEquals(fins(ps).filter((p) => p.from === "server"), []);
  if (printed) {
    assertMatch(printed.at(-1)!.head, /\(exit 1\):$/);
    assertEquals(printed.at(-1)!.text, "tcp_client: connection reset by the peer");
  }
};

/** The lesson drains what it did not read before close(): no reset, and the reply arrives. */
const lingerCheck = (reply: string): Check => (ps, printed) => {
  assertEquals(resets(ps), []);
  // One FIN from each side, in either order: the client half-closes right after sending, while
  // the server reads and replies.
  assertEquals(fins(ps).map((p) => `${p.from} ${p.cause}`).sort(), [
    "client shutdown(SHUT_WR)",
    "server shutdown(SHUT_WR)",
  ]);
  if (printed) assertMatch(printed.at(-1)!.text, new RegExp(`^Returned from server: ${reply}`));
};

scenario(
  "reset",
  "closed with unread bytes, the textbook server resets; the client loses the reply",
  resetCheck("Hello World!"),
);
scenario(
  "linger",
  "the same bytes to fixed_length_server.ts: drained, no reset, the reply kept",
  lingerCheck("Hello World!"),
);
scenario(
  "http-reset",
  "a body the server never read resets the connection; the client loses the 501",
  resetCheck("HTTP/1.1 501"),
);
scenario(
  "http-linger",
  "http_server.ts reads the body away before close(): no reset, the 501 arrives",
  lingerCheck("HTTP/1.1 501 Not Implemented"),
);

Deno.test("README: its UDP, TCP, backoff and happy eyeballs drawings show the packets the recordings hold", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const diagrams = [...readme.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  // A drawing's arrows as "client SYN", "server data", "client SYN lost"...: its client is the
  // participant named *_client.
  const drawn = (client: string) => {
    const text = diagrams.find((d) => d.includes(` as ${client}\n`))!;
    const id = text.match(new RegExp(`participant (\\w+) as ${client}\n`))![1];
    return [...text.matchAll(/^ *(\w+)(->>|-x)\w+: (.*)$/gm)].map(([, from, arrow, what]) => {
      const kind = /^SYN, ACK/.test(what)
        ? "SYN, ACK"
        : /^(SYN|ACK|FIN)\b/.test(what)
        ? what.slice(0, 3)
        : "data"; // a payload: sendto("..."), "...", GET ...
      return `${from === id ? "client" : "server"} ${kind}${arrow === "-x" ? " lost" : ""}`;
    });
  };
  // A recording's packets the same way, without the ACKs a drawing leaves out: all but the
  // handshake's last and the very last packet.
  const captured = async (name: string) => {
    const rs = rows(readPcap(await Deno.readFile(recorded(name))), PAIRS[name]);
    return rs.filter((r, i) => r.flags !== "." || rs[i - 1]?.flags === "S." || i === rs.length - 1)
      .map((r) => {
        const kind = r.flags === "S."
          ? "SYN, ACK"
          : r.flags === "S"
          ? "SYN"
          : r.flags.includes("F")
          ? "FIN"
          : r.bytes
          ? "data"
          : "ACK";
        return `${r.from} ${kind}${r.lost ? " lost" : ""}`;
      });
  };
  assertEquals(drawn("tcp_client"), await captured("tcp"));
  const udp = await captured("udp");
  assertEquals(drawn("udp_client"), udp.slice(0, 2)); // the first client's exchange
  // The server pretends to drop: on the wire every try arrives (on loopback nothing is lost).
  assertEquals(drawn("udp_backoff_client"), await captured("backoff"));
  const he = drawn("happy_eyeballs_client");
  assertEquals(he, (await captured("happy-eyeballs")).slice(0, he.length));
});

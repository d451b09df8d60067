/**
 * The pcap reader (tests/wire/pcap.ts) on capture files written here, byte by byte, in each
 * byte order, time unit and loopback link type: what tcpdump would have written.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { ipv6Text, readPcap, tcpFlags } from "./wire/pcap.ts";
import { deno } from "./_process.ts";
import { PAIRS } from "./wire/main.ts";

const LOOP6 = [...Array(15).fill(0), 1];

/** An IPv4 header (20 bytes) + `l4` from 127.0.0.1 to 127.0.0.1. */
function ipv4(proto: number, l4: number[]): number[] {
  const total = 20 + l4.length;
  return [
    0x45,
    0,
    total >> 8,
    total & 255,
    0,
    0,
    0x40,
    0,
    64,
    proto,
    0,
    0,
    127,
    0,
    0,
    1,
    127,
    0,
    0,
    1,
    ...l4,
  ];
}

/** An IPv6 header (40 bytes) + `l4` from ::1 to ::1. */
function ipv6(next: number, l4: number[]): number[] {
  return [0x60, 0, 0, 0, l4.length >> 8, l4.length & 255, next, 64, ...LOOP6, ...LOOP6, ...l4];
}

const be16 = (n: number) => [n >> 8, n & 255];
/** A TCP header of 20 bytes (data offset 5) with `flags`, then `data`. */
const tcp = (from: number, to: number, flags: number, data: number[] = []) => [
  ...be16(from),
  ...be16(to),
  0,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0x50,
  flags,
  0xff,
  0xff,
  0,
  0,
  0,
  0,
  ...data,
];
/** A UDP header + `data`. */
const udp = (from: number, to: number, data: number[]) => [
  ...be16(from),
  ...be16(to),
  ...be16(8 + data.length),
  0,
  0,
  ...data,
];

/** A pcap file: the global header, then each frame with its record header. */
function pcap(
  link: number,
  little: boolean,
  nano: boolean,
  frames: [number, number[]][],
): Uint8Array {
  const size = 24 + frames.reduce((n, [, f]) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, nano ? 0xa1b23c4d : 0xa1b2c3d4, little);
  v.setUint16(4, 2, little);
  v.setUint16(6, 4, little);
  v.setUint32(16, 262144, little);
  v.setUint32(20, link, little);
  let at = 24;
  for (const [time, frame] of frames) {
    v.setUint32(at, Math.floor(time), little);
    v.setUint32(at + 4, Math.round((time % 1) * (nano ? 1e9 : 1e6)), little);
    v.setUint32(at + 8, frame.length, little);
    v.setUint32(at + 12, frame.length, little);
    out.set(frame, at + 16);
    at += 16 + frame.length;
  }
  return out;
}

const ETHERNET = (type: number, ip: number[]) => [...Array(12).fill(0), ...be16(type), ...ip];
const hi = [...new TextEncoder().encode("hi")];

for (const little of [true, false]) {
  for (const nano of [true, false]) {
    Deno.test(`pcap: Ethernet (lo), ${little ? "little" : "big"}-endian, ${nano ? "ns" : "µs"}: a handshake, data, a FIN, a datagram`, () => {
      const file = pcap(1, little, nano, [
        [1000.25, ETHERNET(0x0800, ipv4(6, tcp(40000, 12000, 0x02)))],
        [1000.5, ETHERNET(0x0800, ipv4(6, tcp(12000, 40000, 0x12)))],
        [1000.75, ETHERNET(0x0800, ipv4(6, tcp(40000, 12000, 0x18, hi)))],
        [1001, ETHERNET(0x86dd, ipv6(6, tcp(40000, 12000, 0x11)))],
        [1001.5, ETHERNET(0x86dd, ipv6(17, udp(5000, 12000, hi)))],
        [1002, ETHERNET(0x0806, Array(28).fill(0))], // ARP: not IP, skipped
      ]);
      const got = readPcap(file);
      assertEquals(
        got.map((p) =>
          `${p.proto} ${p.src}.${p.srcPort} > ${p.dst}.${p.dstPort} ${p.flags} ${p.payload.length}`
        ),
        [
          "TCP 127.0.0.1.40000 > 127.0.0.1.12000 S 0",
          "TCP 127.0.0.1.12000 > 127.0.0.1.40000 S. 0",
          "TCP 127.0.0.1.40000 > 127.0.0.1.12000 P. 2",
          "TCP ::1.40000 > ::1.12000 F. 0",
          "UDP ::1.5000 > ::1.12000  2",
        ],
      );
      assertEquals(got.map((p) => p.time), [1000.25, 1000.5, 1000.75, 1001, 1001.5]);
      assertEquals(new TextDecoder().decode(got[2].payload), "hi");
      assertEquals(got.map((p) => p.family), [4, 4, 4, 6, 6]);
    });
  }
}

Deno.test("pcap: Linux cooked (v1 and v2), raw IP and BSD loopback link layers", () => {
  const ip = ipv4(17, udp(1, 2, hi));
  const sll = [0, 0, 0, 772, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0].map((n) => n & 255).concat(be16(0x0800));
  const sll2 = [...be16(0x0800), 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, ...Array(8).fill(0)];
  for (const [link, head] of [[113, sll], [276, sll2], [101, []], [0, [2, 0, 0, 0]]] as const) {
    const got = readPcap(pcap(link, true, false, [[1, [...head, ...ip]]]));
    assertEquals(got.length, 1, `link type ${link}`);
    assertEquals([got[0].proto, got[0].srcPort, got[0].dstPort, got[0].payload.length], [
      "UDP",
      1,
      2,
      2,
    ]);
  }
});

Deno.test("pcap: a file cut short keeps its whole packets; not a pcap file is one clear error", () => {
  const file = pcap(1, true, false, [[1, ETHERNET(0x0800, ipv4(6, tcp(1, 2, 0x04)))], [
    2,
    ETHERNET(0x0800, ipv4(6, tcp(1, 2, 0x14))),
  ]]);
  assertEquals(readPcap(file.subarray(0, file.length - 5)).map((p) => p.flags), ["R"]);
  assertThrows(() => readPcap(new Uint8Array(10)), Error, "shorter than its 24-byte header");
  assertThrows(
    () => readPcap(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, ...Array(20).fill(0)])),
    Error,
    "pcapng is not read",
  );
});

Deno.test("pcap: TCP flags in tcpdump's spelling, IPv6 addresses as RFC 5952 writes them", () => {
  assertEquals([0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14].map(tcpFlags), [
    "S",
    "S.",
    ".",
    "P.",
    "F.",
    "R",
    "R.",
  ]);
  const v6 = (...g: number[]) => ipv6Text(Uint8Array.from(g.flatMap((x) => [x >> 8, x & 255])));
  assertEquals(v6(0, 0, 0, 0, 0, 0, 0, 1), "::1");
  assertEquals(v6(0, 0, 0, 0, 0, 0, 0, 0), "::");
  assertEquals(v6(0xfe80, 0, 0, 0, 0, 0, 0, 1), "fe80::1");
  assertEquals(v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), "2001:db8::1:0:0:1");
  assertEquals(v6(0x2001, 0xdb8, 1, 0, 1, 1, 1, 1), "2001:db8:1:0:1:1:1:1"); // one zero group stays
  assertEquals(v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), "::ffff:7f00:1");
});

Deno.test("pcap: a real capture (tcpdump -i lo, tcp_client.ts against tcp_server.ts): what tcpdump -r shows", async () => {
  // Recorded 2026-12-07 by `deno task wire --record tcp` (tcpdump -i lo, filtered to the port).
  const got = readPcap(
    await Deno.readFile(new URL("./fixtures/wire/tcp.pcap", import.meta.url)),
  );
  const client = got[0].srcPort;
  const lines = got.map((p) =>
    `${p.srcPort === client ? "client" : "server"} ${p.flags} ${p.payload.length}`
  );
  assertEquals(lines, [
    "client S 0", // connect(): the handshake, before any data and before accept() returns
    "server S. 0",
    "client . 0",
    "client P. 15", // sendall("tcp is reliable")
    "server . 0",
    "client F. 0", // shutdown(SHUT_WR): the client's only FIN
    "server P. 15", // "TCP IS RELIABLE"
    "client . 0",
    "server F. 0", // close()
    "client . 0", // the client only acknowledges: no second FIN
  ]);
});

Deno.test("deno task wire: without tcpdump, or without its privilege, one line saying what to do and exit 2; a bad name is a usage error", async () => {
  const args = [
    "run",
    "--allow-net=127.0.0.1",
    "--allow-run",
    "--allow-read",
    "--allow-write",
    "tests/wire/main.ts",
  ];
  const missing = await deno([...args, "tcp"], { env: { PATH: "/nonexistent" } });
  assertEquals([missing.code, missing.stdout, missing.stderr.trim()], [
    2,
    "",
    "wire: tcpdump is missing: apt-get install tcpdump",
  ]);
  // A tcpdump without the privilege to capture (as a user's is): one line, what to do, exit 2.
  const dir = await Deno.makeTempDir({ dir: "/tmp" });
  try {
    await Deno.writeTextFile(
      `${dir}/tcpdump`,
      `#!/bin/sh\necho "tcpdump: lo: You don't have permission to perform this capture on that device" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const denied = await deno([...args, "tcp"], { env: { PATH: `${dir}:/usr/bin:/bin` } });
    assertEquals([denied.code, denied.stdout], [2, ""]);
    assertEquals(denied.stderr.trim().split("\n").length, 1);
    assertMatch(
      denied.stderr,
      /^wire: tcpdump cannot capture on lo \(tcpdump: lo: You don't have permission .*\): run as root .*setcap cap_net_raw,cap_net_admin=eip/,
    );
    // A tcpdump that captures, but no python3 for the textbook server: said, exit 2, and the
    // stand-in tcpdump is stopped.
    await Deno.writeTextFile(
      `${dir}/tcpdump`,
      `#!/bin/sh\necho "listening on lo" >&2\nexec /bin/sleep 30\n`,
      { mode: 0o755 },
    );
    const t0 = performance.now();
    const noPython = await deno([...args, "reset"], { env: { PATH: dir } });
    assertEquals([noPython.code, noPython.stdout], [2, ""]);
    assertMatch(noPython.stderr, /^wire: cannot start "python3": [^\n]*\n$/);
    assert(performance.now() - t0 < 10_000, "the stand-in tcpdump was not stopped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const bad = await deno([...args, "nope"]);
  assertEquals(bad.code, 2);
  assertEquals(
    bad.stderr.split("\n")[0],
    "usage: deno task wire EXAMPLE [--pcap FILE]  |  deno task wire --record [EXAMPLE...]",
  );
  const help = await deno([...args, "--help"]);
  assertEquals([help.code, help.stdout], [0, bad.stderr]);
  // Each scenario is listed with what it shows.
  assertEquals(
    bad.stderr.trim().split("\n").slice(1).map((l) => l.trim().split(" ")[0]),
    Object.keys(PAIRS),
  );
});

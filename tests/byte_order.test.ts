import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import {
  decode,
  encode,
  hostByteOrder,
  htonl,
  htons,
  LAYOUT,
  type Message,
  ntohl,
  ntohs,
} from "../examples/byte_order.ts";
import { hex } from "../lib/bytes.ts";
import { diagram } from "../lib/diagram.ts";
import { deno, lines } from "./_process.ts";
import { checkTranscript } from "./_transcript.ts";

const FLAGS = ["A", "B", "C", "D", "E", "F", "G", "H"] as const;
const noFlags = () => Object.fromEntries(FLAGS.map((f) => [f, false])) as Message["flags"];
const msg = (m: Partial<Message>): Message => ({
  field16: 0,
  flags: noFlags(),
  field24: 0,
  byte1: 0,
  byte2: 0,
  ...m,
});

Deno.test("htons/htonl: big-endian on the wire, whatever the host", () => {
  assertEquals(hex(htons(55555)), "d9 03");
  assertEquals(ntohs(new Uint8Array([0xd9, 0x03])), 55555);
  assertEquals(hex(htonl(0x7f000001)), "7f 00 00 01");
  assertEquals(ntohl(new Uint8Array([0x7f, 0, 0, 1])), 2130706433);
  assertEquals(
    hostByteOrder(),
    new Uint8Array(new Uint16Array([0x0102]).buffer)[0] === 2 ? "little-endian" : "big-endian",
  );
});

Deno.test("the document's message: a known message's exact bytes", () => {
  const m = msg({
    field16: 0x1234,
    field24: 0xabcdef,
    byte1: 7,
    byte2: 255,
    flags: { ...noFlags(), A: true, C: true, F: true, H: true },
  });
  assertEquals(hex(encode(m)), "12 34 a5 ab cd ef 07 ff");
  assertEquals(decode(encode(m)), m);
});

Deno.test("the document's message: each field at its minimum and maximum, each flag alone", () => {
  assertEquals(hex(encode(msg({}))), "00 00 00 00 00 00 00 00");
  const max = msg({
    field16: 65535,
    field24: 16777215,
    byte1: 255,
    byte2: 255,
    flags: Object.fromEntries(FLAGS.map((f) => [f, true])) as Message["flags"],
  });
  assertEquals(hex(encode(max)), "ff ff ff ff ff ff ff ff");
  assertEquals(hex(encode(msg({ field16: 65535 }))), "ff ff 00 00 00 00 00 00");
  assertEquals(hex(encode(msg({ field24: 16777215 }))), "00 00 00 ff ff ff 00 00");
  assertEquals(hex(encode(msg({ byte1: 255 }))), "00 00 00 00 00 00 ff 00");
  assertEquals(hex(encode(msg({ byte2: 255 }))), "00 00 00 00 00 00 00 ff");
  FLAGS.forEach((f, i) => {
    const m = msg({ flags: { ...noFlags(), [f]: true } });
    assertEquals(encode(m)[2], 0x80 >> i, `flag ${f} is bit ${16 + i}`);
    assertEquals(decode(encode(m)), m);
  });
});

Deno.test("the document's message: 1000 random valid messages round-trip", () => {
  const r = (n: number) => Math.floor(Math.random() * 2 ** n);
  for (let i = 0; i < 1000; i++) {
    const m = msg({
      field16: r(16),
      field24: r(24),
      byte1: r(8),
      byte2: r(8),
      flags: Object.fromEntries(FLAGS.map((f) => [f, Math.random() < 0.5])) as Message["flags"],
    });
    assertEquals(decode(encode(m)), m);
  }
});

Deno.test("the document's message: a value too wide is cut to its low bits, as in C", () => {
  assertEquals(decode(encode(msg({ field16: 0x12345 }))).field16, 0x2345);
  assertEquals(decode(encode(msg({ field24: 0x1abcdef }))).field24, 0xabcdef);
  assertEquals(decode(encode(msg({ byte1: 0x1ff }))).byte1, 0xff);
  assertThrows(() => decode(new Uint8Array(7)), RangeError);
});

const DIAGRAM = [
  " 0                   1                   2                   3",
  " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
  "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
  "|         16-bit field          |A|B|C|D|E|F|G|H| 24-bit field  |",
  "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
  "|     24-bit field (cont.)      |  8-bit field  |  8-bit field  |",
  "+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+",
];

Deno.test("the RFC-style diagram of the document's message", () => {
  assertEquals(diagram(LAYOUT), DIAGRAM);
});

Deno.test("byte_order script: prints the conversions, the diagram, and the UDP round trip", async () => {
  const out = await deno(["run", "--allow-net=127.0.0.1", "examples/byte_order.ts"]);
  assertEquals(out.code, 0);
  const got = lines(out.stdout);
  assertMatch(
    got[0],
    /^This host is (little-endian: 55555 \(0xd903\) sits in memory as 03 d9|big-endian: 55555 \(0xd903\) sits in memory as d9 03)\.$/,
  );
  assertEquals(got.slice(1, 3), [
    "htons(55555) = d9 03 on the wire; ntohs(d9 03) = 55555",
    "htonl(127.0.0.1) = 7f 00 00 01 on the wire; ntohl(7f 00 00 01) = 2130706433",
  ]);
  assertEquals(got.slice(6, 13), DIAGRAM);
  assertEquals(got.slice(-3), [
    "field16=0x1234, flags A C F H, field24=0xabcdef, bytes 7 and 255 encode as:",
    "12 34 a5 ab cd ef 07 ff",
    "Sent the 8 bytes to ourselves over UDP and decoded them: the same message.",
  ]);
});

Deno.test("byte_order.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/byte_order.ts");
});

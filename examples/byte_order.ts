/**
 * @module Network byte order: multi-byte fields travel most significant byte first
 * (big-endian), whatever order the CPU keeps them in; and a binary message drawn and packed
 * the way RFCs specify them.
 *
 * Run it:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 examples/byte_order.ts
 * ```
 *
 * What it prints (the first line depends on the CPU; x86 and most ARM are little-endian):
 *
 * ```text
 * This host is little-endian: 55555 (0xd903) sits in memory as 03 d9.
 * htons(55555) = d9 03 on the wire; ntohs(d9 03) = 55555
 * htonl(127.0.0.1) = 7f 00 00 01 on the wire; ntohl(7f 00 00 01) = 2130706433
 *
 * The message format, as an RFC draws it:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         16-bit field          |A|B|C|D|E|F|G|H| 24-bit field  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     24-bit field (cont.)      |  8-bit field  |  8-bit field  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * field16=0x1234, flags A C F H, field24=0xabcdef, bytes 7 and 255 encode as:
 * 12 34 a5 ab cd ef 07 ff
 * Sent the 8 bytes to ourselves over UDP and decoded them: the same message.
 * ```
 *
 * Follows `002_b26497df760d23fc.txt` (CNP3 new edition, "Using sockets for inter-process
 * communication"): `htons(55555)` for the port of a `sockaddr_in6`, and the message of a 16-bit
 * field, eight 1-bit flags A..H, a 24-bit field and two 8-bit fields, 8 bytes. In C, `htons`
 * and `htonl` swap bytes on a little-endian CPU and do nothing on a big-endian one. JavaScript
 * never shows you memory's byte order unless you ask: `DataView` reads and writes big-endian by
 * default, which is exactly network byte order.
 */
import { parseCli } from "../lib/cli.ts";
import { bindUdp, DatagramReceiver } from "../lib/datagram.ts";
import { runMain } from "../lib/errors.ts";
import { diagram, type Field, hex, pack, unpack } from "../lib/wire.ts";

/** `htons`: a 16-bit number as the 2 bytes that go on the wire. */
export function htons(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, n); // big-endian unless told otherwise
  return b;
}
/** `ntohs`: 2 bytes from the wire as a number. */
export const ntohs = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint16(0);
/** `htonl`: a 32-bit number as the 4 bytes that go on the wire. */
export function htonl(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}
/** `ntohl`: 4 bytes from the wire as a number. */
export const ntohl = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0);

/** The host's own byte order: how a 16-bit 1 sits in memory. */
export function hostByteOrder(): "little-endian" | "big-endian" {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? "little-endian" : "big-endian";
}

/** The document's message, as a typed object. */
export interface Message {
  field16: number;
  flags: Record<"A" | "B" | "C" | "D" | "E" | "F" | "G" | "H", boolean>;
  field24: number;
  byte1: number;
  byte2: number;
}
const FLAGS = ["A", "B", "C", "D", "E", "F", "G", "H"] as const;

/** Its layout, field by field, high-order bit first. */
export const LAYOUT: Field[] = [
  { name: "field16", bits: 16, label: "16-bit field" },
  ...FLAGS.map((f) => ({ name: f, bits: 1 })),
  { name: "field24", bits: 24, label: "24-bit field" },
  { name: "byte1", bits: 8, label: "8-bit field" },
  { name: "byte2", bits: 8, label: "8-bit field" },
];

/** Encodes a message to its 8 bytes (a RangeError names any field out of range). */
export function encode(m: Message): Uint8Array {
  const flags = Object.fromEntries(FLAGS.map((f) => [f, m.flags[f] ? 1 : 0]));
  return pack(LAYOUT, {
    ...flags,
    field16: m.field16,
    field24: m.field24,
    byte1: m.byte1,
    byte2: m.byte2,
  });
}

/** Decodes 8 bytes into a message. */
export function decode(bytes: Uint8Array): Message {
  const v = unpack(LAYOUT, bytes);
  const flags = Object.fromEntries(FLAGS.map((f) => [f, v[f] === 1])) as Message["flags"];
  return { field16: v.field16, flags, field24: v.field24, byte1: v.byte1, byte2: v.byte2 };
}

if (import.meta.main) {
  await runMain(
    "byte_order",
    "usage: deno run --allow-net=127.0.0.1 examples/byte_order.ts",
    async () => {
      parseCli(Deno.args, {});
      const order = hostByteOrder();
      const mem = new Uint8Array(new Uint16Array([55555]).buffer);
      console.log(`This host is ${order}: 55555 (0xd903) sits in memory as ${hex(mem)}.`);
      console.log(
        `htons(55555) = ${hex(htons(55555))} on the wire; ntohs(d9 03) = ${ntohs(htons(55555))}`,
      );
      const lo = (127 << 24 | 1) >>> 0;
      console.log(
        `htonl(127.0.0.1) = ${hex(htonl(lo))} on the wire; ntohl(7f 00 00 01) = ${
          ntohl(htonl(lo))
        }`,
      );
      console.log("\nThe message format, as an RFC draws it:\n");
      for (const line of diagram(LAYOUT)) console.log(line);
      const msg: Message = {
        field16: 0x1234,
        flags: { A: true, B: false, C: true, D: false, E: false, F: true, G: false, H: true },
        field24: 0xabcdef,
        byte1: 7,
        byte2: 255,
      };
      const bytes = encode(msg);
      console.log(
        `\nfield16=0x1234, flags A C F H, field24=0xabcdef, bytes 7 and 255 encode as:\n${
          hex(bytes)
        }`,
      );
      // sendto() ourselves: the bytes cross a real socket and come back to be decoded.
      const rx = new DatagramReceiver(bindUdp("127.0.0.1", 0));
      try {
        await rx.send(bytes, rx.addr);
        const got = await rx.next(2000);
        const same = got !== null && JSON.stringify(decode(got.data)) === JSON.stringify(msg);
        console.log(
          `Sent the 8 bytes to ourselves over UDP and decoded them: ${
            same ? "the same message." : "DIFFERENT!"
          }`,
        );
        return same ? 0 : 1;
      } finally {
        rx.close();
      }
    },
  );
}

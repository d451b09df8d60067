/**
 * @module Network byte order: multi-byte fields travel most significant byte first (big-endian),
 * whatever order the CPU keeps them in; and a binary message packed and drawn as RFCs do.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 examples/byte_order.ts
 * ```
 *
 * ```text
 * $ deno run --allow-net=127.0.0.1 examples/byte_order.ts
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
 * Source: `002_b26497df760d23fc.txt`: `htons(55555)` for a `sockaddr_in6`'s port, and its message
 * of a 16-bit field, flags A..H, a 24-bit field and two 8-bit fields. In C, `htons` swaps bytes
 * on a little-endian CPU; `DataView` reads and writes big-endian unless told otherwise, which is
 * exactly network byte order. (The first line depends on the CPU: x86 and most ARM are little.)
 */
import { hex } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { diagram, type Field } from "../lib/diagram.ts";
import { requireUnstableNet, runMain } from "../lib/errors.ts";

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

/** Its layout, for the diagram: field by field, high-order bit first. */
export const LAYOUT: Field[] = [
  { name: "field16", bits: 16, label: "16-bit field" },
  ...FLAGS.map((f) => ({ name: f, bits: 1 })),
  { name: "field24", bits: 24, label: "24-bit field" },
  { name: "byte1", bits: 8, label: "8-bit field" },
  { name: "byte2", bits: 8, label: "8-bit field" },
];

function check(name: string, value: number, bits: number): number {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer from 0 to ${max}, got ${value}`);
  }
  return value;
}

/** Encodes a message to its 8 bytes, every field most significant byte (and bit) first. */
export function encode(m: Message): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, check("field16", m.field16, 16)); // bytes 0-1: htons(field16)
  // Byte 2: flag A is the high-order bit (0x80), H the low-order one (0x01).
  view.setUint8(2, FLAGS.reduce((b, f, i) => (m.flags[f] ? b | (0x80 >> i) : b), 0));
  const f24 = check("field24", m.field24, 24); // bytes 3-5: no 24-bit type, so 16 + 8 bits
  view.setUint16(3, f24 >>> 8);
  view.setUint8(5, f24 & 0xff);
  view.setUint8(6, check("byte1", m.byte1, 8));
  view.setUint8(7, check("byte2", m.byte2, 8));
  return bytes;
}

/** Decodes 8 bytes into a message. */
export function decode(bytes: Uint8Array): Message {
  if (bytes.length !== 8) throw new RangeError(`the message must be 8 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const flags = Object.fromEntries(FLAGS.map((f, i) => [f, (bytes[2] & (0x80 >> i)) !== 0]));
  return {
    field16: view.getUint16(0),
    flags: flags as Message["flags"],
    field24: (view.getUint16(3) << 8) | view.getUint8(5),
    byte1: view.getUint8(6),
    byte2: view.getUint8(7),
  };
}

if (import.meta.main) {
  await runMain(
    "byte_order",
    "Shows network byte order: htons/htonl, then a message drawn as an RFC does, encoded, sent\n" +
      "over loopback UDP and decoded.\nusage: deno run --allow-net=127.0.0.1 examples/byte_order.ts\n" +
      "  (no arguments)",
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
      // socket(AF_INET, SOCK_DGRAM) + bind(), then sendto() ourselves and recvfrom(): the bytes
      // cross a real socket and come back to be decoded.
      requireUnstableNet();
      const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      try {
        await socket.send(bytes, socket.addr);
        const [got] = await within(socket.receive(), 2000, "our own datagram did not come back");
        const same = JSON.stringify(decode(got)) === JSON.stringify(msg);
        console.log(
          `Sent the 8 bytes to ourselves over UDP and decoded them: ${
            same ? "the same message." : "DIFFERENT!"
          }`,
        );
        return same ? 0 : 1;
      } finally {
        socket.close();
      }
    },
  );
}

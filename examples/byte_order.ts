/**
 * @module Network byte order: multi-byte fields travel most significant byte first (big-endian),
 * whatever order the CPU keeps them in; and a binary message packed and drawn as RFCs do.
 *
 * ```text
 * $ deno run --allow-net=127.0.0.1 examples/byte_order.ts
 * This host is little-endian: 55555 (0xd903) sits in memory as 03 d9.
 * htons(55555) = d9 03 on the wire; ntohs(d9 03) = 55555
 * htonl(127.0.0.1) = 7f 00 00 01 on the wire; ntohl(7f 00 00 01) = 2130706433
 * ...
 * field16=0x1234, flags A C F H, field24=0xabcdef, bytes 7 and 255 encode as:
 * 12 34 a5 ab cd ef 07 ff
 * Sent the 8 bytes to ourselves over UDP and decoded them: the same message.
 * ```
 * Source: Bonaventure, CNP3, "Using sockets for inter-process communication": `htons(55555)` for
 * a `sockaddr_in6`'s port, and a message of a 16-bit field, flags A..H, a 24-bit field and two
 * 8-bit fields, drawn as an RFC draws it (the `...` above). `DataView` is big-endian unless told
 * otherwise: network byte order. (The first line depends on the CPU: x86 and most ARM are little.)
 */
import { hex } from "../lib/bytes.ts";
import { parseCli } from "../lib/cli.ts";
import { within } from "../lib/deadline.ts";
import { diagram, type Field } from "../lib/diagram.ts";
import { runMain } from "../lib/errors.ts";

/** `htons`: a 16-bit number as the 2 bytes that go on the wire, the high byte first. */
export const htons = (n: number): Uint8Array => Uint8Array.from([n >> 8, n & 0xff]);
/** `ntohs`: 2 bytes from the wire as a number (a DataView reads big-endian by default). */
export const ntohs = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint16(0);
/** `htonl`: a 32-bit number as the 4 bytes that go on the wire, most significant first. */
export const htonl = (n: number): Uint8Array => Uint8Array.from([n >>> 24, n >> 16, n >> 8, n]);
/** `ntohl`: 4 bytes from the wire as a number. */
export const ntohl = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(0);

/** The host's own byte order: how a 16-bit 1 sits in memory. */
export const hostByteOrder = () =>
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? "little-endian" : "big-endian";

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

/** Encodes a message to its 8 bytes, every field most significant byte (and bit) first. A value
 * too wide for its field is cut to its low bits, as C's assignment to a narrower type does. */
export function encode(m: Message): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, m.field16); // bytes 0-1: htons(field16)
  // Byte 2: flag A is the high-order bit (0x80), H the low-order one (0x01).
  view.setUint8(2, FLAGS.reduce((b, f, i) => (m.flags[f] ? b | (0x80 >> i) : b), 0));
  view.setUint16(3, m.field24 >>> 8); // bytes 3-5: no 24-bit setter, so 16 bits, then 8
  view.setUint8(5, m.field24 & 0xff);
  view.setUint8(6, m.byte1);
  view.setUint8(7, m.byte2);
  return bytes;
}

/** Decodes 8 bytes into a message (a DataView throws a RangeError when there are fewer). */
export function decode(bytes: Uint8Array): Message {
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

const USAGE = `Shows htons/htonl, and a message drawn as an RFC does, encoded, sent and decoded.
usage: deno run --allow-net=127.0.0.1 examples/byte_order.ts`;

if (import.meta.main) {
  await runMain("byte_order", USAGE, async () => {
    parseCli(Deno.args, {});
    const mem = hex(new Uint8Array(new Uint16Array([55555]).buffer));
    console.log(`This host is ${hostByteOrder()}: 55555 (0xd903) sits in memory as ${mem}.`);
    const port = htons(55555), lo = htonl((127 << 24 | 1) >>> 0);
    console.log(`htons(55555) = ${hex(port)} on the wire; ntohs(d9 03) = ${ntohs(port)}`);
    console.log(`htonl(127.0.0.1) = ${hex(lo)} on the wire; ntohl(7f 00 00 01) = ${ntohl(lo)}`);
    console.log("\nThe message format, as an RFC draws it:\n");
    for (const line of diagram(LAYOUT)) console.log(line);
    const flags = { A: true, B: false, C: true, D: false, E: false, F: true, G: false, H: true };
    const msg: Message = { field16: 0x1234, flags, field24: 0xabcdef, byte1: 7, byte2: 255 };
    const bytes = encode(msg);
    console.log("\nfield16=0x1234, flags A C F H, field24=0xabcdef, bytes 7 and 255 encode as:");
    console.log(hex(bytes));
    // socket(AF_INET, SOCK_DGRAM) + bind(), sendto() ourselves, recvfrom(): a real round trip.
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      await socket.send(bytes, socket.addr);
      const [got] = await within(socket.receive(), 2000, "our own datagram did not come back");
      const same = JSON.stringify(decode(got)) === JSON.stringify(msg);
      const what = same ? "the same message." : "DIFFERENT!";
      console.log(`Sent the 8 bytes to ourselves over UDP and decoded them: ${what}`);
      return same ? 0 : 1;
    } finally {
      socket.close(); // close()
    }
  });
}

/**
 * A reader for the pcap capture files tcpdump writes (`tcpdump -w FILE`), as far as the course
 * needs: loopback's link layers, IPv4 and IPv6, TCP and UDP. Every field is read at its offset,
 * in the byte order the format gives it: the file's own headers in the writer's order (the magic
 * number says which), everything from the IP header on in network byte order (big-endian).
 * It is a lesson of its own, beside `examples/byte_order.ts`: each header is a fixed layout of
 * fields, read with `DataView`, whose getters are big-endian (network order) unless told otherwise.
 * `deno task wire`, the site's "On the wire" sections and the tour read captures with it.
 */

/** One TCP segment or UDP datagram, as captured. */
export interface Packet {
  /** Capture time, in seconds since 1970 (fractional). */
  time: number;
  /** 4 or 6. */
  family: 4 | 6;
  /** Source and destination addresses, as text (`127.0.0.1`, `::1`). */
  src: string;
  dst: string;
  /** Source and destination ports. */
  srcPort: number;
  dstPort: number;
  /** "TCP" or "UDP". */
  proto: "TCP" | "UDP";
  /** TCP flags as tcpdump names them, in its order (`S`, `S.`, `P.`, `F.`, `R`); "" for UDP. */
  flags: string;
  /** The TCP or UDP payload (what the application sent). */
  payload: Uint8Array;
}

/** The link-layer header lengths of the link types a loopback capture can have. */
const LINK_HEADER: Record<number, (b: DataView, at: number) => [number, number]> = {
  // [bytes to skip, EtherType or 0 to read the IP version]
  0: () => [4, 0], // BSD loopback: a 4-byte address family in the host's order
  1: (b, at) => [14, b.getUint16(at + 12)], // Ethernet: Linux's lo is an Ethernet with zero MACs
  101: () => [0, 0], // raw IP
  113: (b, at) => [16, b.getUint16(at + 14)], // Linux cooked capture (tcpdump -i any)
  276: (b, at) => [20, b.getUint16(at)], // Linux cooked capture v2
};

/** Reads every TCP and UDP packet of a pcap file; other packets (ARP, ICMP) are skipped. */
export function readPcap(file: Uint8Array): Packet[] {
  const b = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 24) throw new Error("not a pcap file: shorter than its 24-byte header");
  // The magic number, read big-endian, says the writer's byte order and the time unit.
  const magic = b.getUint32(0);
  const known: Record<number, [boolean, number]> = {
    0xa1b2c3d4: [false, 1e-6], // big-endian writer, microseconds
    0xd4c3b2a1: [true, 1e-6], // little-endian writer, microseconds
    0xa1b23c4d: [false, 1e-9], // nanoseconds
    0x4d3cb2a1: [true, 1e-9],
  };
  if (!(magic in known)) {
    throw new Error(`not a pcap file: magic 0x${magic.toString(16)} (pcapng is not read)`);
  }
  const [little, unit] = known[magic];
  const link = b.getUint32(20, little);
  const header = LINK_HEADER[link];
  if (!header) throw new Error(`link type ${link} is not one loopback uses`);
  const packets: Packet[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const time = b.getUint32(at, little) + b.getUint32(at + 4, little) * unit;
    const captured = b.getUint32(at + 8, little);
    const start = at + 16;
    at = start + captured;
    if (at > file.length) break; // a capture cut short: the last record is incomplete
    const [skip, etherType] = header(b, start);
    const packet = readIp(file.subarray(start + skip, at), etherType, time);
    if (packet) packets.push(packet);
  }
  return packets;
}

/** The IPv4 or IPv6 header, then the TCP or UDP header behind it; undefined for anything else. */
function readIp(ip: Uint8Array, etherType: number, time: number): Packet | undefined {
  const b = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  if (ip.length < 20) return undefined;
  const version = ip[0] >> 4;
  if (
    (etherType && etherType !== 0x0800 && etherType !== 0x86dd) || (version !== 4 && version !== 6)
  ) {
    return undefined;
  }
  let proto: number, src: string, dst: string, body: Uint8Array;
  if (version === 4) {
    const headerLength = (ip[0] & 0x0f) * 4; // IHL: in 32-bit words
    const total = b.getUint16(2);
    proto = ip[9];
    src = ip.subarray(12, 16).join(".");
    dst = ip.subarray(16, 20).join(".");
    body = ip.subarray(headerLength, Math.min(total, ip.length));
  } else {
    if (ip.length < 40) return undefined;
    proto = ip[6]; // next header (extension headers are not followed: loopback sends none)
    src = ipv6Text(ip.subarray(8, 24));
    dst = ipv6Text(ip.subarray(24, 40));
    body = ip.subarray(40, Math.min(40 + b.getUint16(4), ip.length));
  }
  const t = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const common = { time, family: version as 4 | 6, src, dst };
  if (proto === 6 && body.length >= 20) {
    const offset = (body[12] >> 4) * 4; // data offset: the TCP header's length in 32-bit words
    return {
      ...common,
      srcPort: t.getUint16(0),
      dstPort: t.getUint16(2),
      proto: "TCP",
      flags: tcpFlags(body[13]),
      payload: body.subarray(offset),
    };
  }
  if (proto === 17 && body.length >= 8) {
    return {
      ...common,
      srcPort: t.getUint16(0),
      dstPort: t.getUint16(2),
      proto: "UDP",
      flags: "",
      payload: body.subarray(8, t.getUint16(4)),
    };
  }
  return undefined;
}

/** TCP flags in tcpdump's spelling: SYN `S`, FIN `F`, RST `R`, PSH `P`, then `.` for ACK. */
export function tcpFlags(bits: number): string {
  const names: [number, string][] = [[0x02, "S"], [0x01, "F"], [0x04, "R"], [0x08, "P"]];
  const letters = names.filter(([bit]) => bits & bit).map(([, name]) => name).join("");
  return letters + (bits & 0x10 ? "." : "");
}

/** An IPv6 address as text, the longest run of zero groups written `::` (RFC 5952). */
export function ipv6Text(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}

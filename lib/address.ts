/** Socket addresses, written the way the course documents write them. @module */
import { strong } from "./log.ts";

/** A host and port, as Deno's `NetAddr` carries them. */
export interface HostPort {
  /** An IP address (`127.0.0.1`, `::1`) or a name. */
  hostname: string;
  /** A port number. */
  port: number;
}

/** Does this text look like an IPv6 literal (has a colon)? Brackets are allowed. */
export function isIPv6Literal(host: string): boolean {
  return host.includes(":");
}

/** Is this text an IPv4 dotted quad (four numbers 0..255)? */
export function isIPv4Literal(host: string): boolean {
  const parts = host.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** `[::1]` → `::1`: the bracketed form of URLs is accepted wherever a host is. */
export function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * `127.0.0.1#53309`: the `ip#port` form the Kurose & Ross course prints for a peer. The `#`
 * cannot be confused with the colons of an IPv6 address (`::1#53309`).
 */
export function hashAddr(addr: HostPort | Deno.Addr): string {
  return "hostname" in addr ? `${addr.hostname}#${addr.port}` : addr.transport;
}

/** `127.0.0.1:12000` or `[::1]:55555`: the URL-style form, with brackets around IPv6. */
export function hostPort(addr: HostPort | Deno.Addr): string {
  if (!("hostname" in addr)) return addr.transport;
  const h = isIPv6Literal(addr.hostname) ? `[${addr.hostname}]` : addr.hostname;
  return `${h}:${addr.port}`;
}

/** Is this a wildcard address, one that binds every interface (`0.0.0.0` or `::`)? */
export function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

/**
 * Same host and port? Addresses are compared as bytes, not text: `127.0.0.1`, `::ffff:127.0.0.1`
 * (as a dual-stack socket reports it) and `::ffff:7f00:1` are one address.
 */
export function sameAddress(a: HostPort, b: HostPort): boolean {
  const key = (host: string) => {
    const bare = stripBrackets(host);
    if (isIPv4Literal(bare)) return ipv6Bytes(`::ffff:${bare}`).join();
    return isIPv6Literal(bare) ? ipv6Bytes(bare).join() : bare.toLowerCase();
  };
  return a.port === b.port && key(a.hostname) === key(b.hostname);
}

/**
 * The local address a client socket binds to reach `server`: the server's family, and loopback
 * when the server is on loopback (so `--allow-net=127.0.0.1` is enough), the wildcard address
 * otherwise. (C's implicit bind at the first `sendto()` always takes the wildcard address.)
 */
export function localAddressFor(server: string): string {
  if (isLoopback(server)) return server;
  return isIPv6Literal(server) ? "::" : "0.0.0.0";
}

/** Is this a loopback address (127.0.0.0/8 or ::1)? */
function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.");
}

/**
 * What the Kurose & Ross servers print once they listen: `serverIP: <ip>`, `serverPort: <port>`,
 * for a wildcard bind the addresses classmates can use (from `Deno.networkInterfaces()`, loopback
 * last; the documents' trick of "connecting" a UDP socket to 8.8.8.8 fails on a machine without a
 * default route), and the quit hint (Ctrl+C, where the course said Ctrl+Z, which only suspends
 * the process and keeps the port taken).
 */
export function serverBanner(addr: HostPort): string[] {
  const lines = [`serverIP: ${addr.hostname}`, `serverPort: ${addr.port}`];
  if (isWildcard(addr.hostname)) {
    let found: Deno.NetworkInterfaceInfo[] | undefined;
    try {
      found = Deno.networkInterfaces()
        .filter((i) => addr.hostname !== "0.0.0.0" || i.family === "IPv4")
        .sort((a, b) => Number(isLoopback(a.address)) - Number(isLoopback(b.address)));
    } catch {
      // NotCapable: --allow-sys=networkInterfaces was not granted.
    }
    if (found === undefined) {
      lines.push(
        "Listening on every interface. To list this host's addresses here, add " +
          "--allow-sys=networkInterfaces; or run `ip -brief address` (Linux) or `ipconfig` (Windows).",
      );
    } else {
      lines.push("Reachable at:");
      for (const a of found) {
        lines.push(`  ${hostPort({ hostname: a.address, port: addr.port })}  (${a.name})`);
      }
    }
  }
  lines.push(strong("Press Ctrl+C to quit. Listening..."));
  return lines;
}

/** `inet_pton(AF_INET6, ...)`: an IPv6 address's 16 bytes (`::` and `::ffff:a.b.c.d` too). */
export function ipv6Bytes(address: string): Uint8Array {
  let text = stripBrackets(address).replace(/%.*$/, ""); // drop a zone id (fe80::1%eth0)
  const out = new Uint8Array(16);
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    if (!isIPv4Literal(v4[1])) throw new RangeError(`not an IPv6 address: ${address}`);
    const [a, b, c, d] = v4[1].split(".").map(Number);
    text = text.slice(0, -v4[1].length) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) throw new RangeError(`not an IPv6 address: ${address}`);
  const parse = (s: string) => (s === "" ? [] : s.split(":"));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) {
    throw new RangeError(`not an IPv6 address: ${address}`);
  }
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  groups.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`not an IPv6 address: ${address}`);
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

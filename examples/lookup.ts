/**
 * @module Names and numbers: this host's name, getaddrinfo for a name and a service, service
 * names and ports, and this host's interfaces. No traffic is sent except the name lookup.
 *
 * Run it:
 *
 * ```sh
 * deno run --allow-net --allow-sys=hostname,networkInterfaces --allow-read=/etc/services examples/lookup.ts [NAME=localhost] [SERVICE=http]
 * ```
 *
 * Try it:
 *
 * ```text
 * $ deno run --allow-net --allow-sys=hostname,networkInterfaces --allow-read=/etc/services examples/lookup.ts localhost http
 * gethostname() = "myhost"
 * getaddrinfo("localhost", "http"):
 *   AF_INET   SOCK_STREAM  IPPROTO_TCP  127.0.0.1  port 80
 *   AF_INET   SOCK_DGRAM   IPPROTO_UDP  127.0.0.1  port 80
 * getservbyname("ssh", "tcp") = 22
 * getservbyport(80, "tcp") = "http"
 * (services from /etc/services)
 * interfaces:
 *   lo  IPv4  127.0.0.1/8
 * ```
 *
 * Follows `001_e066542f0be65e1e.txt` (UW Python certificate, "TCP/IP and Sockets"):
 * `gethostname()`, `getaddrinfo(host, service)` (family, socket type, protocol, socket address),
 * `getservbyname('ssh')` = 22 and `getservbyport(80)` = `http`. getaddrinfo here is the real
 * one (node:dns `lookup`, which reads /etc/hosts and keeps the system's order), not a DNS query.
 * Without `--allow-read=/etc/services` it uses a small built-in table and says so; without
 * `--allow-sys` it says which lookup it skipped. The UW document's `gethostbyname_ex` (canonical
 * name and aliases) has no equivalent in Deno and is left out.
 */
import { parseCli, parsePort } from "../lib/cli.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { getaddrinfo } from "../lib/resolve.ts";
import { getservbyname, getservbyport, loadServices, type Services } from "../lib/services.ts";

const USAGE =
  `usage: deno run --allow-net --allow-sys=hostname,networkInterfaces --allow-read=/etc/services examples/lookup.ts [NAME=localhost] [SERVICE=http]`;

/** A service name or number as a port, like getaddrinfo's second argument. */
export function servicePort(services: Services, service: string): number {
  if (/^\d+$/.test(service)) return parsePort(service, "service");
  const port = getservbyname(services, service, "tcp") ?? getservbyname(services, service, "udp");
  if (port === undefined) {
    throw new UserError(`unknown service "${service}" (not in ${services.source})`);
  }
  return port;
}

/** The rows getaddrinfo(name, service) gives: a stream and a datagram row per address. */
export async function addrinfo(name: string, port: number): Promise<string[]> {
  const rows: string[] = [];
  for (const { address, family } of await getaddrinfo(name)) {
    const af = family === 6 ? "AF_INET6" : "AF_INET ";
    rows.push(`  ${af}  SOCK_STREAM  IPPROTO_TCP  ${address}  port ${port}`);
    rows.push(`  ${af}  SOCK_DGRAM   IPPROTO_UDP  ${address}  port ${port}`);
  }
  return rows;
}

/** Runs `f`, or says which --allow-sys permission it needs. */
function withSys<T>(what: string, f: () => T): T | string {
  try {
    return f();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) return `(needs --allow-sys=${what})`;
    throw err;
  }
}

if (import.meta.main) {
  await runMain("lookup", USAGE, async () => {
    const cli = parseCli(Deno.args, { maxPositionals: 2 });
    const [name = "localhost", service = "http"] = cli.positionals;
    // gethostname(): the name this machine calls itself.
    const hostname = withSys("hostname", () => Deno.hostname());
    console.log(
      `gethostname() = ${hostname.startsWith("(") ? hostname : JSON.stringify(hostname)}`,
    );
    // getaddrinfo(name, service): every address, in the order the system prefers.
    const services = await loadServices();
    const port = servicePort(services, service);
    console.log(`getaddrinfo(${JSON.stringify(name)}, ${JSON.stringify(service)}):`);
    for (const row of await addrinfo(name, port)) console.log(row);
    // getservbyname() and getservbyport(): the services table, both ways.
    console.log(`getservbyname("ssh", "tcp") = ${getservbyname(services, "ssh")}`);
    console.log(`getservbyport(80, "tcp") = ${JSON.stringify(getservbyport(services, 80))}`);
    console.log(
      services.fallbackReason
        ? `(services from the built-in table: ${services.fallbackReason})`
        : "(services from /etc/services)",
    );
    // The interfaces and their addresses (what `ip address` shows).
    const interfaces = withSys("networkInterfaces", () => Deno.networkInterfaces());
    console.log(`interfaces:${typeof interfaces === "string" ? ` ${interfaces}` : ""}`);
    if (typeof interfaces !== "string") {
      for (const i of interfaces) console.log(`  ${i.name}  ${i.family}  ${i.cidr}`);
    }
  });
}

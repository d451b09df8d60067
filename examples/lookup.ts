/**
 * @module Names and numbers: this host's name, getaddrinfo for a name and a service, service names
 * and ports, and this host's interfaces. Only the name lookup may send anything (a DNS query).
 *
 * ```text
 * $ deno run --allow-net --allow-sys=hostname,networkInterfaces --allow-read=/etc/services examples/lookup.ts localhost http
 * gethostname() = "myhost"
 * getaddrinfo("localhost", "http"):
 *   AF_INET   SOCK_STREAM  IPPROTO_TCP  127.0.0.1  port 80
 * getservbyname("ssh", "tcp") = 22
 * getservbyport(80, "tcp") = "http"
 * (services from /etc/services)
 * interfaces:
 *   lo  IPv4  127.0.0.1/8
 *   ...
 * ```
 * Source: UW Python certificate, "TCP/IP and Sockets": `gethostname()`, `getaddrinfo(host,
 * service)`, `getservbyname('ssh')`, `getservbyport(80)`. getaddrinfo reads /etc/hosts, then asks
 * DNS, in the system's order; Deno gives no socket types, so rows are built as glibc builds them.
 */
import { parseCli, parsePort } from "../lib/cli.ts";
import { runMain, UserError } from "../lib/errors.ts";
import { getaddrinfo } from "../lib/resolve.ts";
import { getservbyname, getservbyport, loadServices, type Services } from "../lib/services.ts";

const USAGE = `Shows this host's name, NAME's addresses, SERVICE's port and the interfaces.
usage: deno run --allow-net --allow-sys=hostname,networkInterfaces --allow-read=/etc/services \\
         examples/lookup.ts [NAME] [SERVICE]
  NAME        the host name to look up (default localhost)
  SERVICE     a service name or a port number (default http)`;

/** A service name or number as a port, like getaddrinfo's second argument. */
export function servicePort(services: Services, service: string): number {
  if (/^\d+$/.test(service)) return parsePort(service, "service");
  const port = getservbyname(services, service, "tcp") ?? getservbyname(services, service, "udp");
  if (port === undefined) {
    throw new UserError(`unknown service "${service}" (not in ${services.source})`);
  }
  return port;
}

/**
 * The rows getaddrinfo(name, service) returns on Linux: for each address, one per protocol the
 * services table lists for a named service, or STREAM, DGRAM and RAW for a port number.
 */
export async function addrinfo(name: string, service: string, services: Services) {
  const port = servicePort(services, service);
  const types = /^\d+$/.test(service)
    ? ["SOCK_STREAM  IPPROTO_TCP", "SOCK_DGRAM   IPPROTO_UDP", "SOCK_RAW     0          "]
    : [
      ...(getservbyname(services, service, "tcp") === port ? ["SOCK_STREAM  IPPROTO_TCP"] : []),
      ...(getservbyname(services, service, "udp") === port ? ["SOCK_DGRAM   IPPROTO_UDP"] : []),
    ];
  // getaddrinfo(name): every address, in the order the system prefers.
  const rows: string[] = [];
  for (const { address, family } of await getaddrinfo(name)) {
    const af = family === 6 ? "AF_INET6" : "AF_INET ";
    for (const type of types) rows.push(`  ${af}  ${type}  ${address}  port ${port}`);
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
    console.log(`gethostname() = ${hostname.startsWith("(") ? hostname : `"${hostname}"`}`);
    // getaddrinfo(name, service): every address, in the order the system prefers.
    const services = await loadServices();
    console.log(`getaddrinfo(${JSON.stringify(name)}, ${JSON.stringify(service)}):`);
    for (const row of await addrinfo(name, service, services)) console.log(row);
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

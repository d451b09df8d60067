/**
 * Service names and port numbers, as `getservbyname()` and `getservbyport()` find them: in
 * /etc/services (the system's table), or in a small built-in table when that file cannot be
 * read (no `--allow-read=/etc/services`, or a system without it, such as Windows).
 * @module
 */

/** One service entry: `http 80/tcp www` is name, port, protocol and aliases. */
export type Service = { name: string; port: number; protocol: "tcp" | "udp"; aliases: string[] };

/**
 * The services table, the file it came from (or `built-in table`), and why /etc/services was not
 * used, if it was not.
 */
export type Services = { entries: Service[]; source: string; fallbackReason?: string };

// The well-known ports the course documents use, with IANA's names and protocols.
const BUILT_IN: [string, number, string[], ("tcp" | "udp")[]][] = [
  ["echo", 7, [], ["tcp", "udp"]],
  ["ftp", 21, [], ["tcp"]],
  ["ssh", 22, [], ["tcp"]],
  ["telnet", 23, [], ["tcp"]],
  ["smtp", 25, ["mail"], ["tcp"]],
  ["domain", 53, [], ["tcp", "udp"]],
  ["http", 80, ["www"], ["tcp"]],
  ["pop3", 110, ["pop-3"], ["tcp"]],
  ["ntp", 123, [], ["udp"]],
  ["imap2", 143, ["imap"], ["tcp"]],
  ["https", 443, [], ["tcp", "udp"]],
];

/** Parses the /etc/services format: `name port/protocol [aliases...] [# comment]`. */
export function parseServices(text: string): Service[] {
  const out: Service[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const m = /^(\d+)\/(tcp|udp)$/.exec(portProto ?? "");
    if (m) out.push({ name, port: Number(m[1]), protocol: m[2] as "tcp" | "udp", aliases });
  }
  return out;
}

/** Loads the services table: /etc/services if it can be read, else the built-in table. */
export async function loadServices(path = "/etc/services"): Promise<Services> {
  try {
    return { entries: parseServices(await Deno.readTextFile(path)), source: path };
  } catch (err) {
    const reason =
      err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied
        ? `no permission to read ${path} (add --allow-read=${path})`
        : err instanceof Deno.errors.NotFound
        ? `${path} does not exist here`
        : `${path} could not be read: ${(err as Error).message}`;
    const entries = BUILT_IN.flatMap(([name, port, aliases, protocols]) =>
      protocols.map((protocol) => ({ name, port, protocol, aliases }))
    );
    return { entries, source: "built-in table", fallbackReason: reason };
  }
}

/** `getservbyname(name, protocol)`: the port of a named service (aliases count). */
export function getservbyname(
  services: Services,
  name: string,
  protocol: "tcp" | "udp" = "tcp",
): number | undefined {
  return services.entries.find((s) =>
    s.protocol === protocol && (s.name === name || s.aliases.includes(name))
  )?.port;
}

/** `getservbyport(port, protocol)`: the official name of the service on a port. */
export function getservbyport(
  services: Services,
  port: number,
  protocol: "tcp" | "udp" = "tcp",
): string | undefined {
  return services.entries.find((s) => s.protocol === protocol && s.port === port)?.name;
}

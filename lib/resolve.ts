/**
 * Name resolution the way C and Python do it: `getaddrinfo`, through `node:dns`'s `lookup`: the
 * system's resolver, with its sources (/etc/hosts, then DNS, as nsswitch says) and, asked for
 * `verbatim`, its order. (`Deno.resolveDns` reads /etc/hosts too, but it is a DNS client: it
 * knows no other source and does not sort as getaddrinfo does.)
 * @module
 */
import { lookup } from "node:dns/promises";
import { isIPv4Literal, isIPv6Literal, stripBrackets } from "./address.ts";
import { UserError } from "./errors.ts";

/** One resolved address. */
export interface ResolvedAddress {
  /** The IP address, without brackets. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/**
 * `getaddrinfo(host)`: every address of `host`, in the system's order; a literal address as it
 * is, without a lookup. A failure is one line: `no address found for NAME`, `cannot resolve NAME:
 * no answer from the name server (offline?)`, or the permission it needs.
 */
export async function getaddrinfo(
  host: string,
  family: 0 | 4 | 6 = 0,
  look = lookup, // the system's; a test passes one that answers by itself
): Promise<ResolvedAddress[]> {
  const bare = stripBrackets(host);
  if (isIPv4Literal(bare) || isIPv6Literal(bare)) {
    const f = isIPv6Literal(bare) ? 6 : 4;
    if (family !== 0 && family !== f) {
      throw new UserError(
        `${bare} is an IPv${f} address, but an IPv${family} address is needed here: an ` +
          `IPv${family} socket cannot send to an IPv${f} address`,
      );
    }
    return [{ address: bare, family: f }];
  }
  try {
    const found = await look(bare, { all: true, family, order: "verbatim" });
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ENOTFOUND" || code === "EAI_NONAME" || code === "ENODATA") {
      throw new UserError(`no ${family === 0 ? "" : `IPv${family} `}address found for ${bare}`);
    }
    if (code === "EAI_AGAIN") {
      throw new UserError(`cannot resolve ${bare}: no answer from the name server (offline?)`);
    }
    if (code === "EPERM" || err instanceof Deno.errors.NotCapable) {
      throw new UserError(
        `no permission to look up "${bare}": add it to --allow-net (e.g. --allow-net=${bare})`,
      );
    }
    throw new UserError(`cannot resolve ${bare}: ${(err as Error).message}`);
  }
}

/** Looks up the addresses of one family, 4 or 6 (an empty list or a rejection: none). */
export type Resolve = (host: string, family: 4 | 6) => Promise<string[]>;

/** `getaddrinfo(host)` for one family: the addresses only. */
export async function resolveFamily(host: string, family: 4 | 6): Promise<string[]> {
  return (await getaddrinfo(host, family)).map((a) => a.address);
}

/**
 * The family the system puts first for `host`: the family of getaddrinfo's first answer
 * (RFC 6724 ordering, /etc/gai.conf on Linux). IPv6 if the lookup fails.
 */
export async function systemPreference(host: string): Promise<4 | 6> {
  try {
    return (await getaddrinfo(host, 0))[0].family;
  } catch {
    return 6;
  }
}

/**
 * A lookup that answers from a fixed list instead of getaddrinfo (like curl's `--resolve`):
 * for demos and tests of a race where the system has no name with both families.
 */
export function pinnedResolver(addresses: string[]): Resolve {
  return (_host, family) =>
    Promise.resolve(addresses.filter((a) => isIPv6Literal(a) === (family === 6)));
}

/**
 * Flags, the same in every example. A bad value, an unknown flag or a missing value is a
 * {@link UsageError}: one line and the usage on stderr, exit 2. `--help` prints the usage, exit 0.
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";

/** A mistake on the command line: reported with the usage text, exit code 2. */
export class UsageError extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Thrown by {@link parseCli} when `--help` is given: print usage and exit 0. */
export class HelpRequested extends Error {
  constructor() {
    super("help requested");
    this.name = "HelpRequested";
  }
}

/** What a script accepts on its command line. */
export interface CliSpec {
  /** Value flags with their defaults (`undefined`: no default). `host` and `port` go here. */
  strings?: Record<string, string | undefined>;
  /** On/off flags (default off). `help` is always accepted. */
  booleans?: string[];
  /** Short or alternative names: `{ p: "port", ipaddress: "host" }`. `h` means `help`. */
  alias?: Record<string, string>;
  /** How many positional arguments are allowed (default 0). `Infinity` for any number. */
  maxPositionals?: number;
}

/** Parsed command line with typed, validated accessors. */
export interface Cli {
  /** The value of a string flag (or its default). */
  string(name: string): string | undefined;
  /** `--host` without the brackets of `[::1]`. */
  host(): string;
  /** A port number 0..65535 from a string flag; a {@link UsageError} otherwise. */
  port(name?: string): number;
  /** A finite number within [min, max] from a string flag; a {@link UsageError} otherwise. */
  number(name: string, min?: number, max?: number): number;
  /** Whether a boolean flag was given. */
  flag(name: string): boolean;
  /** Positional arguments, as strings. */
  positionals: string[];
}

/**
 * The flags every example takes, `--host`/`-H`/`-ip` and `--port`/`-p`, with defaults, plus
 * `more` value flags: `parseCli(Deno.args, hostPortFlags(1060))`.
 */
export function hostPortFlags(
  port: number,
  more: Record<string, string> = {},
  host = "127.0.0.1",
): CliSpec {
  const alias = { H: "host", ip: "host", ipaddress: "host", p: "port" }; // UDPClient.py's -ip too
  return { strings: { host, port: `${port}`, ...more }, alias };
}

/** Parses a port the strict way: decimal digits only, 0..65535 (0 lets the OS choose). */
export function parsePort(text: string, flag = "port"): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`bad --${flag} "${text}": a port is a whole number from 0 to 65535`);
  }
  return Number(text);
}

/**
 * Parses `args` against `spec`. Throws {@link UsageError} for unknown flags, missing values and
 * too many positionals, and {@link HelpRequested} for `--help`/`-h`.
 */
export function parseCli(args: string[], spec: CliSpec): Cli {
  const strings = spec.strings ?? {};
  const booleans = ["help", ...(spec.booleans ?? [])];
  const alias: Record<string, string> = { h: "help", ...spec.alias };
  const known = new Set([...Object.keys(strings), ...booleans, ...Object.keys(alias)]);
  const defaults: Record<string, string> = {};
  for (const [k, v] of Object.entries(strings)) if (v !== undefined) defaults[k] = v;

  // Python's argparse accepts long single-dash names such as the course's `-ip`; parseArgs would
  // read `-ip` as `-i -p`, so such names are rewritten to their `--` form first.
  const long = Object.keys(alias).filter((k) => k.length > 1);
  args = args.map((a) => long.includes(a.slice(1)) && /^-[^-]/.test(a) ? `-${a}` : a);
  // A value that looks like a flag (`--port -1`) is joined to its flag, so it is refused as a
  // value instead of taken for an unknown flag `-1`.
  const name = (a: string) => alias[a.replace(/^--?/, "")] ?? a.replace(/^--?/, "");
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i].startsWith("-") && name(args[i]) in strings && /^-\d/.test(args[i + 1])) {
      args.splice(i, 2, `--${name(args[i])}=${args[i + 1]}`);
    }
  }
  const parsed: Record<string, unknown> & { _: unknown[] } = parseArgs(args, {
    string: Object.keys(strings),
    boolean: booleans,
    alias,
    default: defaults,
    stopEarly: false,
    unknown: (arg: string, key?: string) => {
      if (key !== undefined && !known.has(key)) throw new UsageError(`unknown flag "${arg}"`);
      return true;
    },
  });
  if (parsed.help) throw new HelpRequested();

  // A value flag given last, or followed by another flag, comes back as "" from parseArgs.
  for (const name of Object.keys(strings)) {
    const value = parsed[name];
    const given = args.filter((a) => namesFlag(a, name, alias));
    if (given.length > 1) throw new UsageError(`--${name} given more than once`);
    if (value === "" && given.length === 1 && !given[0].includes("=")) {
      throw new UsageError(`--${name} needs a value`);
    }
  }
  const positionals = parsed._.map(String);
  const max = spec.maxPositionals ?? 0;
  if (positionals.length > max) {
    throw new UsageError(
      max === 0
        ? `unexpected argument "${positionals[0]}"`
        : `too many arguments: "${positionals.slice(max).join(" ")}"`,
    );
  }

  const string = (name: string) => {
    const v = parsed[name];
    return typeof v === "string" ? v : undefined;
  };
  return {
    string,
    host() {
      const host = string("host") ?? "";
      return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    },
    port(name = "port") {
      return parsePort(string(name) ?? "", name);
    },
    number(name, min = -Infinity, max = Infinity) {
      const text = string(name) ?? "";
      const n = Number(text);
      // Decimal only: Number() would also take "0x10", "1e3" and " 5 ".
      if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text) || n < min || n > max) {
        throw new UsageError(`bad --${name} "${text}": expected a number from ${min} to ${max}`);
      }
      return n;
    },
    flag(name) {
      return parsed[name] === true;
    },
    positionals,
  };
}

/** Does `arg` name the flag `name` (`--port`, `--port=1`, `-p`, `-p1`, `--ipaddress`)? */
function namesFlag(arg: string, name: string, alias: Record<string, string>): boolean {
  const names = [name, ...Object.keys(alias).filter((k) => alias[k] === name)];
  return names.some((n) =>
    n.length === 1
      ? arg.startsWith(`-${n}`) && !arg.startsWith("--")
      : arg === `--${n}` || arg.startsWith(`--${n}=`)
  );
}

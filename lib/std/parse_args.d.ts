/** What {@link parseArgs} accepts (the subset of the std options this repository uses). */
export interface ParseOptions {
  /** Flags that take no value. */
  boolean?: string | readonly string[];
  /** Flags whose value is kept as a string. */
  string?: string | readonly string[];
  /** Other names for flags: `{ p: "port" }`. */
  alias?: Record<string, string | readonly string[]>;
  /** Values for flags not given. */
  default?: Record<string, unknown>;
  /** Stop at the first positional argument. */
  stopEarly?: boolean;
  /** Put the arguments after `--` in `"--"`. */
  "--"?: boolean;
  /** Called for a flag not declared; return false to drop it. */
  unknown?: (arg: string, key?: string, value?: unknown) => unknown;
  /** Flags that may be given several times, collected in an array. */
  collect?: string | readonly string[];
}

/** The parsed arguments: positionals in `_`, each flag by name. */
export interface Args {
  /** The positional arguments. */
  _: (string | number)[];
  /** The arguments after `--`, when asked for. */
  "--"?: string[];
  /** Each flag's value. */
  [flag: string]: unknown;
}

/** Parses command line arguments, as minimist does. */
export function parseArgs(args: readonly string[], options?: ParseOptions): Args;

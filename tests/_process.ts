/**
 * The one subprocess runner: the examples run as real subprocesses, exactly as the README
 * documents them, for the tests and the tour; and the grader's program under test.
 *
 * @module
 */

/**
 * The repository root as a file system path: subprocesses run from here, like a student following
 * the README. From `import.meta.dirname`, so a space or an accent in the path stays as it is (a
 * URL's `pathname` keeps `%20`, and gives `/C:/...` on Windows).
 */
export const ROOT: string = import.meta.dirname!.replace(/[\\/][^\\/]+$/, "") +
  (Deno.build.os === "windows" ? "\\" : "/");

/** What a finished process printed. */
export interface Output {
  /** The exit code. */
  code: number;
  /** Everything printed to stdout. */
  stdout: string;
  /** Everything printed to stderr. */
  stderr: string;
}

import { cpuSeconds, hasProc, processTree } from "./_proc.ts";

const decoder = new TextDecoder();

/**
 * Runs `deno <args>` to completion, with optional stdin. NO_COLOR is set, as a pipe would anyway.
 * Killed after `timeoutMs` so a hang fails the test instead of the whole suite.
 */
export function deno(args: string[], options: RunOptions = {}): Promise<Output> {
  return command([Deno.execPath(), ...args], options);
}

/** How {@link deno} and {@link command} run a program. */
interface RunOptions {
  stdin?: string | Uint8Array;
  /** Killed after this long (default 20 s). */
  timeoutMs?: number;
  /** Where it runs (default: the repository root). */
  cwd?: string;
  /** More environment variables. */
  env?: Record<string, string>;
}

/**
 * Whether this machine lets a test make a network namespace with nothing but loopback
 * (`unshare -rn`, util-linux): there, a name lookup cannot leave the machine, and fails at once.
 */
export async function canIsolate(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  try {
    return (await new Deno.Command("unshare", { args: ["-rn", "true"], stderr: "null" }).output())
      .success;
  } catch {
    return false; // no unshare here, or no permission to run it
  }
}

/**
 * Runs `deno <args>` in a network namespace with only loopback (see {@link canIsolate}): a
 * lookup through the system resolver finds no name server, and no packet leaves the machine.
 */
export function denoOffline(args: string[]): Promise<Output> {
  const run = `ip link set lo up 2>/dev/null; exec "$0" "$@"`;
  return command(["unshare", "-rn", "sh", "-c", run, Deno.execPath(), ...args]);
}

/**
 * The line of `output` that names a crash (Python's `ValueError: ...`, Deno's `error: Uncaught
 * ...`, Rust's `panicked at`, Java's `Exception in thread`), even when lines were printed after
 * it; else the last non-empty line.
 */
export function exceptionLine(output: string): string {
  const lines = output.split("\n").map((l) => l.trimEnd()).filter(Boolean);
  const crash = /^(\w+\.)*\w*(Error|Exception|Interrupt)\b(:|$)|Uncaught|panicked at|^Exception in/;
  return lines.findLast((l) => crash.test(l.trim())) ?? lines[lines.length - 1] ?? "";
}

/** Runs any command to completion, with optional stdin; NO_COLOR is set, as a pipe would anyway. */
async function command(
  argv: string[],
  { stdin, timeoutMs = 20_000, cwd = ROOT, env = {} }: RunOptions = {},
): Promise<Output> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
      await w.close();
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The command could not be started at all (not found, not executable). */
export class CannotStart extends Error {}

/**
 * A running process whose output can be awaited line by line: an example started with
 * `new Running(["run", ...])` (the arguments after `deno`), or any command with
 * {@link Running.command} (the grader's program under test).
 */
export class Running {
  #child: Deno.ChildProcess;
  #stdout = "";
  #stderr = "";
  #waiters: (() => void)[] = [];
  #done: Promise<void>;
  #follower?: (line: string, stream: "stdout" | "stderr") => void;
  #keep = true;
  #shown = { stdout: 0, stderr: 0 };
  #code: number | null = null;

  /**
   * Starts `deno <args>` from the repository root, or watches a child already spawned with
   * piped stdout and stderr.
   *
   * @param args the arguments after `deno`, or the child process
   * @param stdin written to the process's stdin, which is then closed (default: no stdin)
   * @param limit the most characters kept of each stream (the rest is read and dropped)
   */
  constructor(args: string[] | Deno.ChildProcess, stdin?: string, readonly limit = Infinity) {
    this.#child = Array.isArray(args)
      ? new Deno.Command(Deno.execPath(), {
        args,
        cwd: ROOT,
        stdin: stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn()
      : args;
    if (stdin !== undefined && Array.isArray(args)) {
      const w = this.#child.stdin.getWriter();
      w.write(new TextEncoder().encode(stdin)).then(() => w.close()).catch(() => {});
    }
    const pump = async (stream: ReadableStream<Uint8Array>, which: "out" | "err") => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        if (!this.#keep) continue;
        if (which === "out" && this.#stdout.length < this.limit) this.#stdout += chunk;
        else if (which === "err" && this.#stderr.length < this.limit) this.#stderr += chunk;
        this.#emit(false);
        for (const wake of this.#waiters.splice(0)) wake();
      }
    };
    this.#child.status.then((status) => this.#code = status.code);
    this.#done = Promise.all([pump(this.#child.stdout, "out"), pump(this.#child.stderr, "err")])
      .then(() => {
        this.#emit(true);
        for (const wake of this.#waiters.splice(0)) wake();
      });
  }

  /**
   * Calls `follower` with each line as the process prints it, starting with those printed so
   * far: the tour streams two programs' output, merged in the order it happened.
   *
   * @param follower gets each complete line (without its newline) and the stream it came from
   */
  follow(follower: (line: string, stream: "stdout" | "stderr") => void): void {
    this.#follower = follower;
    this.#emit(false);
  }

  #emit(atEnd: boolean) {
    if (!this.#follower) return;
    for (const stream of ["stdout", "stderr"] as const) {
      const text = stream === "stdout" ? this.#stdout : this.#stderr;
      let from = this.#shown[stream];
      for (let nl; (nl = text.indexOf("\n", from)) >= 0; from = nl + 1) {
        this.#follower(text.slice(from, nl), stream);
      }
      if (atEnd && from < text.length) {
        (this.#follower(text.slice(from), stream), from = text.length);
      }
      this.#shown[stream] = from;
    }
  }

  /**
   * Watches a child process spawned elsewhere (stdout and stderr piped).
   *
   * @param child the process
   * @param limit the most characters kept of each stream
   * @returns the running process
   */
  static from(child: Deno.ChildProcess, limit = Infinity): Running {
    return new Running(child, undefined, limit);
  }

  /**
   * Starts any `command` (not Deno): `stdin` is written and closed; at most `limit` characters of
   * each stream are kept.
   *
   * @throws CannotStart when the command cannot be started
   */
  static command(command: string[], stdin?: string, limit = Infinity): Running {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(command[0], {
        args: command.slice(1),
        stdin: stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
    } catch (err) {
      throw new CannotStart(
        `cannot start ${JSON.stringify(command[0])}: ${(err as Error).message}`,
      );
    }
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      w.write(new TextEncoder().encode(stdin)).then(() => w.close()).catch(() => {});
    }
    return new Running(child, undefined, limit);
  }

  /** Its exit code, or null while it runs. */
  get code(): number | null {
    return this.#code;
  }

  /** Its exception line (or else its last line), for a failure message: `; it said: "..."`. */
  lastWords(): string {
    const last = exceptionLine(this.#stderr.trim() || this.#stdout.trim());
    return last ? `; it said: ${JSON.stringify(last.slice(0, 200))}` : "";
  }

  /** Waits until it exits, at most `ms`; true if it did (and its output is all read). */
  async exited(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms));
    const ok = await Promise.race([this.wait().then(() => true), late]);
    clearTimeout(timer);
    return ok;
  }

  /** CPU seconds used so far by it and every process it started (NaN without /proc). */
  async cpu(): Promise<number> {
    if (!hasProc) return NaN;
    let sum = 0;
    for (const pid of await processTree(this.pid)) sum += (await cpuSeconds(pid)) || 0;
    return sum;
  }

  /** Stops it and every process it started: SIGTERM, then SIGKILL after 1 s. */
  async stopAll(): Promise<void> {
    if (this.#code === null) {
      const tree = hasProc ? await processTree(this.pid) : [this.pid];
      const kill = (signal: Deno.Signal) => {
        for (const pid of tree) {
          try {
            // Its own child through the handle (allowed under any --allow-run list); the rest by pid.
            if (pid === this.pid) this.#child.kill(signal);
            else Deno.kill(pid, signal);
          } catch { /* already gone, or not ours to kill under these permissions */ }
        }
      };
      kill("SIGTERM");
      await this.exited(1000);
      kill("SIGKILL"); // whatever is left: it, or children that outlived it
    }
    await this.wait();
  }

  /** From now on, what it prints is read and dropped (a server logging under load). */
  discard(): void {
    this.#keep = false;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything printed to stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything printed to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Waits until stdout matches `pattern`; throws after `timeoutMs` or if the process exits first.
   *
   * @param pattern what to wait for
   * @param timeoutMs how long at most (default 10 s)
   * @returns the match
   */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let ended = false, wake = () => {};
    // The exit wakes the wait too: the last output's waking can come before `ended` is set.
    this.#done.then(() => (ended = true, wake()));
    while (true) {
      const m = this.#stdout.match(pattern);
      if (m) return m;
      if (ended || Date.now() > deadline) {
        throw new Error(
          `no ${pattern} in output.\nstdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(wake = resolve);
        timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
      });
      clearTimeout(timer);
    }
  }

  /**
   * Sends `signal` (default SIGTERM) and waits for the exit; a process that has not exited after
   * `graceMs` (a hung or spinning server ignores signals) is killed with SIGKILL.
   *
   * @param signal the signal to send first
   * @param graceMs how long to wait before SIGKILL (default 5 s)
   * @returns all output and the exit code
   */
  async stop(signal: Deno.Signal = "SIGTERM", graceMs = 5000): Promise<Output> {
    try {
      this.#child.kill(signal);
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, graceMs);
    try {
      return await this.wait();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the process to exit by itself. */
  async wait(): Promise<Output> {
    const status = await this.#child.status;
    await this.#done;
    return { code: status.code, stdout: this.#stdout, stderr: this.#stderr };
  }
}

/**
 * Starts a server script with `--port 0` and returns it with the port it printed.
 *
 * @param script the path from the repository root
 * @param args more arguments for the script
 * @param portPattern how the script prints its port (first group: the number)
 * @param flags Deno's flags (default `--allow-net`)
 * @param portArgs how to ask for the port (default `--port 0`)
 * @returns the running server and its port
 */
export async function startServer(
  script: string,
  args: string[] = [],
  portPattern = /serverPort: (\d+)\n/,
  flags = ["--allow-net"],
  portArgs = ["--port", "0"],
): Promise<{ server: Running; port: number }> {
  const server = new Running(["run", ...flags, script, ...portArgs, ...args]);
  const m = await server.waitFor(portPattern);
  return { server, port: Number(m[1]) };
}

/**
 * Splits output into lines, without the empty string after a final newline.
 *
 * @param text the output
 * @returns its lines
 */
export function lines(text: string): string[] {
  return text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
}

// `deno eval` has every permission: it copies what a clone has into a new temporary folder.
const COPY = `
const dir = await Deno.makeTempDir({ prefix: Deno.args[0] });
async function copy(from, to) {
  const info = await Deno.stat(from);
  if (!info.isDirectory) return await Deno.copyFile(from, to);
  await Deno.mkdir(to);
  for await (const e of Deno.readDir(from)) await copy(from + "/" + e.name, to + "/" + e.name);
}
for (const p of ["deno.json", "deno.lock", "README.md", "LICENSE", "examples", "lib", "tests"]) {
  await copy(p, dir + "/" + p);
}
console.log(dir);
`;

/**
 * Copies the repository (what a clone has, not `_site/`) into a new temporary folder.
 *
 * @param prefix the start of the folder's name
 * @returns the folder's path
 */
export async function copyRepo(prefix: string): Promise<string> {
  const made = await deno(["eval", COPY, prefix]);
  if (made.code !== 0) throw new Error(`copying the repository failed: ${made.stderr}`);
  return made.stdout.trim();
}

/**
 * Removes a folder made by {@link copyRepo}.
 *
 * @param dir its path
 */
export async function removeCopy(dir: string): Promise<void> {
  await deno(["eval", `await Deno.remove(${JSON.stringify(dir)}, { recursive: true })`]);
}

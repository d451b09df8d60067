/**
 * Running the program under test: any command, with `{host}`, `{port}` and `{message}` filled
 * in; its output collected; it and every process it started stopped whatever happens.
 */
import { bound, cpuSeconds, hasProc, processTree } from "../_proc.ts";
import { Failed, sleep } from "./net.ts";
import { Running } from "../_process.ts";

/** The command could not be started at all (not found, not executable): a usage error. */
export class CannotStart extends Error {}

/** Fills `{host}`, `{port}` and `{message}` in each word of `command`. */
export function substitute(command: string[], values: Record<string, string>): string[] {
  return command.map((word) =>
    word.replace(/\{(host|port|message)\}/g, (all, key) => values[key] ?? all)
  );
}

const LIMIT = 1 << 20; // the most output kept per stream

/** A running program. */
export class Program {
  readonly #child: Deno.ChildProcess;
  readonly #run: Running;
  #code: number | null = null;

  /**
   * Starts `command`; `stdin` is written and closed (none: no input).
   *
   * @throws CannotStart when the command cannot be started
   */
  constructor(readonly command: string[], stdin?: string) {
    try {
      this.#child = new Deno.Command(command[0], {
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
      const w = this.#child.stdin.getWriter();
      w.write(new TextEncoder().encode(stdin)).then(() => w.close()).catch(() => {});
    }
    this.#run = Running.from(this.#child, LIMIT);
    this.#child.status.then((s) => this.#code = s.code);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** What it printed on stdout so far. */
  get stdout(): string {
    return this.#run.stdout;
  }

  /** What it printed on stderr so far. */
  get stderr(): string {
    return this.#run.stderr;
  }

  /** Its exit code, or null while it runs. */
  get code(): number | null {
    return this.#code;
  }

  /** The last non-empty line of its stderr (or stdout), for a failure message. */
  lastWords(): string {
    const lines = (this.stderr.trim() || this.stdout.trim()).split("\n");
    const last = lines[lines.length - 1] ?? "";
    return last ? `; it said: ${JSON.stringify(last.slice(0, 200))}` : "";
  }

  /** Waits until it exits, at most `ms`; true if it did (and its output is all read). */
  async exited(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms));
    const ok = await Promise.race([this.#run.wait().then(() => true), late]);
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
  async stop(): Promise<void> {
    if (this.#code === null) {
      const tree = hasProc ? await processTree(this.pid) : [this.pid];
      const kill = (signal: Deno.Signal) => {
        for (const pid of tree) {
          try {
            Deno.kill(pid, signal);
          } catch { /* already gone */ }
        }
      };
      kill("SIGTERM");
      await this.exited(1000);
      kill("SIGKILL"); // whatever is left: it, or children that outlived it
    }
    await this.#run.wait();
  }
}

/**
 * Waits until `program` has a socket on `port` (TCP: listening), at most `ms`. Read from
 * /proc/net, so no probe connection reaches a server that serves one client at a time; without
 * /proc, TCP is probed with a connection and UDP is given 1 s.
 */
export async function waitBound(
  program: Program,
  transport: "tcp" | "udp",
  host: string,
  port: number,
  ms = 10_000,
): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (program.code !== null) {
      throw new Failed(
        `the program exited (code ${program.code}) before it listened on port ${port}` +
          `${program.lastWords()}.`,
      );
    }
    if (hasProc) {
      if (await bound(transport, port)) return;
    } else if (transport === "udp") {
      return await sleep(1000);
    } else {
      const ok = await Deno.connect({ hostname: host, port }).then(
        (c) => (c.close(), true),
        () => false,
      );
      if (ok) return;
    }
    await sleep(20);
  }
  throw new Failed(
    `nothing listened on ${transport.toUpperCase()} port ${port} within ${ms / 1000} s: does ` +
      `the command use {port}?`,
  );
}

/** A free port for `transport` on `host`, from the OS (port 0), released at once. */
export function freePort(transport: "tcp" | "udp", host: string): number {
  if (transport === "tcp") {
    const l = Deno.listen({ hostname: host, port: 0 });
    const port = l.addr.port;
    l.close();
    return port;
  }
  const s = Deno.listenDatagram({ transport: "udp", hostname: host, port: 0 });
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

/** What a client program did in one run. */
export interface ClientRun {
  stdout: string;
  stderr: string;
  /** Exit code, or null if it was stopped for running too long. */
  code: number | null;
  /** How long it ran, in ms. */
  ms: number;
}

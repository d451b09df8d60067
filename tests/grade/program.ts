/**
 * Running the program under test: any command, with `{host}`, `{port}` and `{message}` filled
 * in; its output collected; it and every process it started stopped whatever happens.
 */
import { bound, hasProc } from "../_proc.ts";
import { Failed, sleep } from "./net.ts";
import { CannotStart, Running } from "../_process.ts";

export { CannotStart };

/** Fills `{host}`, `{port}` and `{message}` in each word of `command`. */
export function substitute(command: string[], values: Record<string, string>): string[] {
  return command.map((word) =>
    word.replace(/\{(host|port|message)\}/g, (all, key) => values[key] ?? all)
  );
}

const LIMIT = 1 << 20; // the most output kept per stream

/** Starts the program under test: `command`, with `stdin` written and closed. */
export function startProgram(command: string[], stdin?: string): Running {
  return Running.command(command, stdin, LIMIT);
}

/**
 * Waits until `program` has a socket on `port` (TCP: listening), at most `ms`. Read from
 * /proc/net, so no probe connection reaches a server that serves one client at a time; without
 * /proc, TCP is probed with a connection and UDP is given 1 s.
 */
export async function waitBound(
  program: Running,
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

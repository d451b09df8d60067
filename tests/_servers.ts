/**
 * Every server example, how to find the port it printed, and one well-behaved exchange with it:
 * the tests that attack servers (hostile_tcp, servers) check afterwards that this still works.
 */
import { assert, assertEquals } from "@std/assert";
import { readToEnd, sleep, writeAll } from "./_util.ts";
import { type Running, startServer } from "./_process.ts";
import { cpuSeconds } from "./_proc.ts";
import { within } from "../lib/deadline.ts";

/** A server script and how a well-behaved client talks to it. */
export interface ServerSpec {
  /** The file name in examples/, without `.ts`. */
  script: string;
  /** Matches the banner line that names the port; group 1 is the port. */
  port: RegExp;
  /** "tcp" or "udp". */
  transport: "tcp" | "udp";
  /** The address it binds by default. */
  host: string;
  /** What the client sends. */
  ask: string;
  /** The start of the reply (ipv6_server replies nothing: the line it prints is looked for). */
  want: string;
}

/** The TCP servers. */
export const TCP_SERVERS: ServerSpec[] = [
  { script: "tcp_server", port: /serverPort: (\d+)\n/, ask: "hello", want: "HELLO" },
  { script: "hardened_tcp_server", port: /serverPort: (\d+)\n/, ask: "hello", want: "HELLO" },
  { script: "echo_server", port: /making a server on [^\n]*:(\d+)\n/, ask: "hello", want: "hello" },
  {
    script: "fixed_length_server",
    port: /Listening at [^\n]*:(\d+) /,
    ask: "Hi there, server",
    want: "Hello World!",
  },
  {
    script: "http_server",
    port: /Listening on http:\/\/[^\n]*:(\d+)\//,
    ask: "GET / HTTP/1.0\r\n\r\n",
    want: "HTTP/1.1 404 Not Found",
  },
].map((s) => ({ ...s, transport: "tcp", host: "127.0.0.1" }));

/** The UDP servers. ipv6_server answers nothing: it prints what arrived. */
export const UDP_SERVERS: ServerSpec[] = [
  {
    script: "udp_server",
    port: /serverPort: (\d+)\n/,
    host: "127.0.0.1",
    ask: "hello",
    want: "HELLO",
  },
  {
    script: "udp_length_server",
    port: /Listening at [^\n]*:(\d+)/,
    host: "127.0.0.1",
    ask: "hello",
    want: "The msg was 5 bytes long",
  },
  {
    script: "ipv6_server",
    port: /Listening on \[::1\]:(\d+)/,
    host: "::1",
    ask: "hello",
    want: "received from [::1]",
  },
].map((s) => ({ ...s, transport: "udp" }));

/** One TCP exchange: send, half-close, read to EOF; returns the reply and its time in ms. */
export async function exchange(port: number, ask: string): Promise<[string, number]> {
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, new TextEncoder().encode(ask));
    await conn.closeWrite();
    const reply = new TextDecoder().decode(await readToEnd(conn, 1 << 16, 10_000));
    return [reply, performance.now() - t0];
  } finally {
    conn.close();
  }
}

/**
 * Checks that `spec`'s server at `port` still serves a well-behaved client. A UDP request is
 * sent up to 5 times, 1 s apart (a flood may have left the socket's queue full for a moment).
 */
export async function assertServes(spec: ServerSpec, port: number, server: Running) {
  if (spec.transport === "tcp") {
    const [reply, ms] = await exchange(port, spec.ask);
    assert(reply.startsWith(spec.want), `${spec.script} answered ${JSON.stringify(reply)}`);
    return ms;
  }
  const t0 = performance.now();
  const socket = Deno.listenDatagram({ transport: "udp", hostname: spec.host, port: 0 });
  // One pending receive() across the resends, so none is left behind when the socket closes.
  const reply = spec.script === "ipv6_server" ? null : socket.receive().catch(() => null);
  try {
    const to = { transport: "udp" as const, hostname: spec.host, port };
    const ask = spec.script === "ipv6_server" ? `${spec.ask} ${Date.now()}` : spec.ask;
    for (let attempt = 0; attempt < 5; attempt++) {
      await socket.send(new TextEncoder().encode(ask), to);
      if (reply === null) { // ipv6_server: look for the line it prints
        const seen = await server.waitFor(new RegExp(`message: ${ask}\n`), 1000).catch(() => null);
        if (seen) return performance.now() - t0;
        continue;
      }
      const got = await within(reply, 1000, "no reply").catch(() => null);
      if (got) {
        const text = new TextDecoder().decode(got[0]);
        assert(text.startsWith(spec.want), `${spec.script} answered ${JSON.stringify(text)}`);
        return performance.now() - t0;
      }
    }
    throw new Error(`${spec.script} did not answer 5 requests`);
  } finally {
    socket.close();
    await reply;
  }
}

/** Checks that a process uses under 0.1 s of CPU in the next second (nothing spins). */
export async function assertIdle(pid: number, what: string) {
  const cpu0 = await cpuSeconds(pid);
  await sleep(1000);
  const busy = (await cpuSeconds(pid)) - cpu0;
  assert(busy < 0.1, `${what}: ${busy.toFixed(2)} s of CPU in 1 s with no client`);
}

/** Starts `spec`'s server as a subprocess on a free port. */
export function start(spec: ServerSpec, args: string[] = []) {
  return startServer(`examples/${spec.script}.ts`, args, spec.port);
}

/** Stops `server` with `signal`: it must exit 0, without a stack trace. */
export async function stopped(server: Running, signal: Deno.Signal = "SIGINT") {
  const end = await server.stop(signal);
  assertEquals(end.code, 0, end.stderr);
  assert(!STACK.test(end.stderr), `a stack trace:\n${end.stderr}`);
}

/** The start of a stack trace in a program's stderr. */
export const STACK = /Uncaught| {4}at /;

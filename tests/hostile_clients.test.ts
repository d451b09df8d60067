/**
 * Hostile servers against the clients, each client run as a real subprocess: escape sequences
 * never reach the terminal raw.
 */
import { assert, assertEquals } from "@std/assert";
import { deno } from "./_process.ts";
import { sleep, writeAll } from "./_util.ts";

const EVIL = "pwned\x1b]0;pwned\x07\x1b[2J\r\n";

/** Checks that `out` shows the escapes escaped, and none of them raw. */
function assertSafe(out: { stdout: string; stderr: string }) {
  const all = out.stdout + out.stderr;
  // deno-lint-ignore no-control-regex
  assert(!/[\x07\x1b]/.test(all), `a raw escape reached the terminal: ${JSON.stringify(all)}`);
  assert(out.stdout.includes("\\x1b]0;pwned\\x07\\x1b[2J"), JSON.stringify(out.stdout));
}

/** A TCP server that answers every connection's first read with `EVIL`, then closes. */
async function evilTcp(body: (port: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      try {
        await conn.read(new Uint8Array(4096));
        await writeAll(conn, new TextEncoder().encode(EVIL));
      } catch { /* the client went away */ }
      conn.close();
    }
  })();
  try {
    await body(listener.addr.port);
  } finally {
    listener.close();
    await serving.catch(() => {});
  }
}

/** A UDP server that answers every datagram with `EVIL`. */
async function evilUdp(body: (port: number) => Promise<void>) {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    while (true) {
      const [, from] = await socket.receive();
      await socket.send(new TextEncoder().encode(EVIL), from);
    }
  })();
  try {
    await body((socket.addr as Deno.NetAddr).port);
  } finally {
    socket.close();
    await serving.catch(() => {});
  }
}

for (
  const [script, extra] of [
    ["tcp_client", ["hi"]],
    ["echo_client", ["an echo is as long as the message: 40 bytes"]],
    ["happy_eyeballs_client", []],
  ] as const
) {
  Deno.test(`${script}: a server's escape sequences are printed escaped`, async () => {
    await evilTcp(async (port) => {
      const args = script === "happy_eyeballs_client"
        ? ["127.0.0.1", `${port}`]
        : ["--port", `${port}`, ...extra];
      const out = await deno(["run", "--allow-net", `examples/${script}.ts`, ...args]);
      assertEquals(out.code, 0, out.stderr);
      assertSafe(out);
    });
  });
}

for (const script of ["udp_client", "udp_backoff_client"]) {
  Deno.test(`${script}: a server's escape sequences are printed escaped`, async () => {
    await evilUdp(async (port) => {
      const out = await deno([
        "run",
        "--allow-net",
        `examples/${script}.ts`,
        "--port",
        `${port}`,
        "hi",
      ]);
      assertEquals(out.code, 0, out.stderr);
      assertSafe(out);
    });
  });
}

/** A TCP server that drips one byte every 300 ms, 30 at most, on every connection. */
async function dripping(body: (port: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        for (let i = 0; i < 30; i++) {
          await conn.write(new Uint8Array([0x61]));
          await sleep(300);
        }
      })().catch(() => {}).finally(() => conns.delete(conn) && conn.close());
    }
  })();
  try {
    await body(listener.addr.port);
  } finally {
    listener.close();
    for (const c of conns) {
      conns.delete(c);
      c.close();
    }
    await serving.catch(() => {});
    await sleep(350); // the drip loops end
  }
}

for (
  const [script, args] of [
    ["tcp_client", ["--timeout", "1", "hi"]],
    ["echo_client", ["--timeout", "1", "a message longer than the 30 bytes dripped"]],
    ["fixed_length_client", ["--timeout", "1"]],
    ["happy_eyeballs_client", ["127.0.0.1", "--timeout", "1"]],
  ] as const
) {
  Deno.test(`${script}: a server that drips a byte every 300 ms is given up on in time`, async () => {
    await dripping(async (port) => {
      const portArgs = script === "happy_eyeballs_client"
        ? [args[0], `${port}`, ...args.slice(1)]
        : ["--port", `${port}`, ...args];
      const t0 = performance.now();
      const out = await deno(["run", "--allow-net", `examples/${script}.ts`, ...portArgs]);
      const ms = performance.now() - t0;
      assertEquals(out.code, 1, out.stderr);
      const errors = out.stderr.split("\n").filter((l) => l.startsWith(`${script}: `));
      assertEquals(errors.length, 1, out.stderr);
      // Before: each read had its own 1 s limit, so the 30-byte drip (9 s) was waited out.
      assert(ms < 4000, `gave up after ${ms.toFixed(0)} ms`);
    });
  });
}

/** A TCP server that sends up to 100 MB to each client, 64 KiB at a time, until it goes away. */
async function flooding(body: (port: number) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const block = new Uint8Array(64 * 1024).fill(0x61);
  const floods: Promise<void>[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      floods.push(
        (async () => {
          for (let sent = 0; sent < 100e6; sent += block.length) await writeAll(conn, block);
        })().catch(() => {}).finally(() => conn.close()),
      );
    }
  })();
  try {
    await body(listener.addr.port);
  } finally {
    listener.close();
    await serving.catch(() => {});
    await Promise.all(floods);
  }
}

for (
  const [script, reason] of [
    ["tcp_client", /: the reply is over \d+ bytes$/],
    ["echo_client", /: the server sent more than it was sent$/],
  ] as const
) {
  Deno.test(`${script}: a server that sends 100 MB is stopped at once, in one line`, async () => {
    await flooding(async (port) => {
      const t0 = performance.now();
      const out = await deno([
        "run",
        "--allow-net",
        `examples/${script}.ts`,
        "-p",
        `${port}`,
        "hi",
      ]);
      const ms = performance.now() - t0;
      assertEquals(out.code, 1, out.stderr);
      const errors = out.stderr.split("\n").filter((l) => l.startsWith(`${script}: `));
      assertEquals(errors.length, 1, out.stderr);
      assert(reason.test(errors[0]), errors[0]);
      // Before: echo_client read 16 MiB in 16-byte pieces, logging each (12.8 s, 647 MB).
      assert(out.stderr.split("\n").length < 40, `${out.stderr.split("\n").length} stderr lines`);
      assert(ms < 4000, `stopped after ${ms.toFixed(0)} ms`);
    });
  });
}

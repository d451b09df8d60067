/**
 * hardened_tcp_server.ts: each defence against a hostile client, checked with that client.
 * (The generic abuse every TCP server survives, resets in the accept queue, 300 clients at
 * once and 5,000 connect/close cycles included, is in servers.test.ts and hostile_tcp.test.ts.)
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { bind, serve } from "../examples/hardened_tcp_server.ts";
import { uppercase } from "../examples/tcp_client.ts";
import { startServer } from "./_process.ts";
import { assertIdle, exchange } from "./_servers.ts";
import { listenTcp, neverReads, readToEnd, sleep, until, withServer } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";
import { assertPasses } from "./grade/checks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const linux = Deno.build.os === "linux";

Deno.test("hardened: a silent client is dropped after the idle timeout", async () => {
  await withServer(
    bind("127.0.0.1", 0),
    (l, o) => serve(l, { ...o, idleTimeoutMs: 100 }),
    async (addr, log) => {
      const silent = await Deno.connect({ port: addr.port });
      try {
        const t0 = performance.now();
        assertEquals((await readToEnd(silent, 10, 5000)).length, 0); // EOF: the server closed
        assert(performance.now() - t0 < 4000);
        await until(
          () => log.some((l) => /sent under 512 bytes in 0\.1 s/.test(l)),
          () => `${log}`,
        );
      } finally {
        silent.close();
      }
    },
  );
});

Deno.test("hardened: at the connection cap, the next client waits until a slot frees", async () => {
  await withServer(
    bind("127.0.0.1", 0),
    (l, o) => serve(l, { ...o, maxConnections: 1 }),
    async (addr) => {
      const first = await Deno.connect({ port: addr.port });
      let done = false;
      const second = uppercase(addr, enc.encode("queued")).then((r) => (done = true, r));
      await sleep(100);
      assert(!done, "served beyond the cap");
      await first.closeWrite(); // the first exchange ends
      await readToEnd(first, 10);
      first.close();
      assertEquals(dec.decode(await second), "QUEUED");
    },
  );
});

Deno.test("hardened: a client that uploads 64 MiB and never reads is dropped by the write deadline", async () => {
  await withServer(
    bind("127.0.0.1", 0),
    (l, o) => serve(l, { ...o, idleTimeoutMs: 200 }),
    async (addr, log) => {
      const hog = await neverReads(addr.port); // our replies fill its buffers; our writes stall
      try {
        await until(() => log.some((l) => /read nothing for 0\.2 s$/.test(l)), () => `${log}`);
        assertEquals(dec.decode(await uppercase(addr, enc.encode("next"))), "NEXT");
      } finally {
        await hog.close();
      }
    },
  );
});

Deno.test("hardened: a graceful stop lets an exchange in progress finish, then closes the rest", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  const stop = new AbortController();
  const serving = serve(listener, { signal: stop.signal, drainMs: 300, log: () => {} });
  const port = (listener.addr as Deno.NetAddr).port;
  const busy = await Deno.connect({ port }); // mid-exchange when the stop comes
  const silent = await Deno.connect({ port }); // never finishes: closed after the drain
  await busy.write(enc.encode("almost "));
  await sleep(50);
  const t0 = performance.now();
  stop.abort();
  // New clients are refused at once (the listener is closed) ...
  const refused = await Deno.connect({ port }).then((c) => (c.close(), false), () => true);
  assert(refused, "accepted a client after the stop");
  // ... the one in progress may still finish its exchange ...
  await busy.write(enc.encode("done"));
  await busy.closeWrite();
  assertEquals(dec.decode(await readToEnd(busy, 100, 5000)), "ALMOST DONE");
  // ... and the silent one is closed once the drain time is over.
  assertEquals((await readToEnd(silent, 10, 5000)).length, 0);
  await serving;
  const ms = performance.now() - t0;
  assert(ms >= 250 && ms < 3000, `stopped after ${ms.toFixed(0)} ms`);
  busy.close();
  silent.close();
});

/** Connects and sends one byte every 300 ms until the server closes (30 bytes at most). */
async function dripper(port: number): Promise<{ done: Promise<void> }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const done = (async () => {
    try {
      for (let i = 0; i < 30; i++) {
        await conn.write(new Uint8Array([0x61]));
        await sleep(300);
      }
    } catch { /* the server closed the connection */ }
    conn.close();
  })();
  return { done };
}

Deno.test("hardened_tcp_server: 5 clients dripping a byte every 300 ms do not hold all 5 slots", async () => {
  const args = ["--max-connections", "5", "--idle-timeout", "2"];
  const { server, port } = await startServer(
    "examples/hardened_tcp_server.ts",
    args,
    /serverPort: (\d+)\n/,
  );
  try {
    const drips = await Promise.all(Array.from({ length: 5 }, () => dripper(port)));
    await sleep(100); // all five slots are taken
    const [reply, ms] = await exchange(port, "hello");
    assertEquals(reply, "HELLO");
    // The idle clock restarts only after 512 bytes: 7 bytes in 2 s do not keep a slot.
    assert(ms < 6000, `served after ${ms.toFixed(0)} ms`);
    await Promise.all(drips.map((d) => d.done));
    assertMatch(server.stdout, /under 512 bytes in 2 s/);
    if (linux) await assertIdle(server.pid, "hardened_tcp_server");
  } finally {
    const end = await server.stop("SIGINT");
    assertEquals(end.code, 0, end.stderr);
  }
});

Deno.test("hardened_tcp_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/hardened_tcp_server.ts");
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`hardened_tcp_server over ${host}: passes the grader's tcp-server checks`, async () => {
    await withServer(bind(host, 0), (l, o) => serve(l, { ...o, log: () => {} }), async (addr) => {
      await assertPasses("tcp-server", { host, port: addr.port });
    });
  });
}

import { assert, assertEquals } from "@std/assert";
import { serve } from "../examples/fixed_length_server.ts";
import { greet } from "../examples/fixed_length_client.ts";
import { deno, startServer } from "./_process.ts";
import { timedOut, within } from "../lib/deadline.ts";
import { listenTcp, readToEnd, sleep, withServer, writeAll } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";
import { assertPasses } from "./grade/checks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Connects, sends `parts` (with a pause between), half-closes, returns what came back. */
async function raw(port: number, parts: string[], pauseMs = 0): Promise<string> {
  const conn = await Deno.connect({ port });
  try {
    for (const p of parts) {
      await writeAll(conn, enc.encode(p));
      if (pauseMs) await sleep(pauseMs);
    }
    await conn.closeWrite(); // "that is all": a short message is now known to be short
    return dec.decode(await readToEnd(conn, 4096, 5000));
  } finally {
    conn.close();
  }
}

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`fixed length over ${host}: 16 bytes in, Hello World! out, as the slides print`, async () => {
    const log = await withServer(listenTcp(host, 0), serve, async (addr) => {
      assertEquals(dec.decode(await greet({ hostname: host, port: addr.port })), "Hello World!");
    });
    assertEquals(log, [
      "The incoming sixteen-octet message says 'Hi there, server'",
      "Reply sent, socket closed",
    ]);
  });
}

Deno.test("fixed length: fragments are assembled; extra bytes are ignored with a clean close", async () => {
  const log = await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    assertEquals(await raw(addr.port, ["Hi th", "ere, ser", "ver"], 30), "Hello World!");
    // 100 KB after the 16: the reply still arrives (no reset destroying it).
    assertEquals(await raw(addr.port, ["0123456789abcdef" + "x".repeat(100_000)]), "Hello World!");
  });
  assertEquals(log[0], "The incoming sixteen-octet message says 'Hi there, server'");
  assertEquals(log[2], "The incoming sixteen-octet message says '0123456789abcdef'");
});

Deno.test("fixed length: a peer that closes early is logged and the server carries on", async () => {
  const log = await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    assertEquals(await raw(addr.port, []), ""); // connects and sends nothing
    assertEquals(await raw(addr.port, ["short"]), "");
    assertEquals(
      dec.decode(await greet({ hostname: "127.0.0.1", port: addr.port })),
      "Hello World!",
    );
  });
  assert(/^127\.0\.0\.1#\d+: closed after 0 of 16 bytes: ''$/.test(log[0]), log[0]);
  assert(/^127\.0\.0\.1#\d+: closed after 5 of 16 bytes: 'short'$/.test(log[1]), log[1]);
  assertEquals(log[2], "The incoming sixteen-octet message says 'Hi there, server'");
});

Deno.test("fixed length: a silent peer holds only its own connection; others are served meanwhile", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  await withServer(listener, serve, async (addr) => {
    const silent = await Deno.connect({ port: addr.port });
    try {
      for (let i = 0; i < 3; i++) {
        const reply = await greet({ hostname: "127.0.0.1", port: addr.port }, { timeoutMs: 5000 });
        assertEquals(dec.decode(reply), "Hello World!");
      }
    } finally {
      silent.close();
    }
  });
});

Deno.test("fixed length: no reply after 15 single bytes; the 16th brings it", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  await withServer(listener, serve, async (addr) => {
    const conn = await Deno.connect({ port: addr.port });
    try {
      conn.setNoDelay(true); // each byte in its own segment
      const buf = new Uint8Array(64);
      for (const b of new TextEncoder().encode("Hi there, serve")) {
        await conn.write(Uint8Array.of(b));
        await sleep(2);
      }
      // 15 bytes in: the server must still be waiting, not answering.
      const reading = conn.read(buf);
      const early = await within(reading, 300, "").catch(timedOut);
      assertEquals(early, null, "a reply came after 15 bytes");
      await conn.write(new TextEncoder().encode("r"));
      // The read still pending from above takes the reply.
      const n = await within(reading, 5000, "no reply after the 16th byte");
      assertEquals(dec.decode(buf.subarray(0, n ?? 0)), "Hello World!");
    } finally {
      conn.close();
    }
  });
});

Deno.test("fixed length scripts: the header's transcript", async () => {
  const { server, port } = await startServer(
    "examples/fixed_length_server.ts",
    [],
    /Listening at 127\.0\.0\.1:(\d+) /,
  );
  try {
    const out = await deno([
      "run",
      "--allow-net",
      "examples/fixed_length_client.ts",
      "--port",
      `${port}`,
    ]);
    assertEquals([out.code, out.stdout, out.stderr], [0, "The server said 'Hello World!'\n", ""]);
    await server.waitFor(/Reply sent, socket closed\n/);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const end = await server.stop("SIGINT");
  assertEquals(end.code, 0);
  assertEquals(
    end.stdout,
    `Listening at 127.0.0.1:${port} (Ctrl+C to quit)\nThe incoming sixteen-octet message says 'Hi there, server'\nReply sent, socket closed\n`,
  );
});

Deno.test("fixed_length_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/fixed_length_server.ts");
});

Deno.test("fixed_length_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/fixed_length_client.ts");
});

Deno.test("fixed length: a client that keeps dripping after its reply is closed within about 1 s", async () => {
  await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    try {
      await writeAll(conn, enc.encode("Hi there, server!")); // one byte too many: draining starts
      const buf = new Uint8Array(64);
      const got = await conn.read(buf);
      assertEquals(dec.decode(buf.subarray(0, got!)), "Hello World!");
      // Drip one byte every 300 ms: each read is under the drain's second, the whole is not.
      // (The reply came with the server's FIN; its close() shows as our writes failing.)
      const t0 = performance.now();
      let closed = false;
      for (let i = 0; i < 20 && !closed; i++) {
        await conn.write(enc.encode("x")).catch(() => closed = true);
        await sleep(300);
      }
      // Before: a per-read 1 s limit let a 300 ms drip hold the connection for 64 KiB (5 hours).
      assert(closed && performance.now() - t0 < 3000, `${performance.now() - t0} ms`);
    } finally {
      conn.close();
    }
  });
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`fixed_length_server over ${host}: passes the grader's fixed-length-server checks (tests/grade/checks.ts)`, async () => {
    await withServer(
      listenTcp(host, 0),
      (l, o) => serve(l, { ...o, log: () => {} }),
      async (addr) => {
        await assertPasses("fixed-length-server", { host, port: addr.port });
      },
    );
  });
}

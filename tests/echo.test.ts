import { assert, assertEquals, assertMatch } from "@std/assert";
import { serve } from "../examples/echo_server.ts";
import { client } from "../examples/echo_client.ts";
import { deno, lines, startServer } from "./_process.ts";
import { listenTcp, neverReads, withServer } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";
import { assertPasses } from "./grade/checks.ts";

const FOUR_SCORE = "Four score and seven years ago our fathers did stuff";
const quiet = () => {};

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`echo over ${host}: the exercise's own tests (short message, Four score...)`, async () => {
    const log = await withServer(listenTcp(host, 0), serve, async (addr) => {
      const opts = { host, port: addr.port };
      assertEquals(await client("short message", opts, quiet), "short message");
      assertEquals(await client(FOUR_SCORE, opts, quiet), FOUR_SCORE);
    });
    // The 52-byte message arrives in 16-byte reads: 16 + 16 + 16 + 4.
    const got = log.filter((l) => l.startsWith("received")).slice(1);
    assertEquals(got, [
      'received "Four score and s"',
      'received "even years ago o"',
      'received "ur fathers did s"',
      'received "tuff"',
    ]);
    assertEquals(log[0], "waiting for a connection");
    assertMatch(log[1], /^connection - (127\.0\.0\.1|\[::1\]):\d+$/);
    assertEquals(log.filter((l) => l === "echo complete, client connection closed").length, 2);
  });
}

Deno.test("echo: exactly 16 and 32 bytes, where 'stop at a short read' hangs, come back at once", async () => {
  await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    const opts = { port: addr.port, timeoutMs: 2000 };
    assertEquals(await client("0123456789abcdef", opts, quiet), "0123456789abcdef");
    const twice = "0123456789abcdef".repeat(2);
    assertEquals(await client(twice, opts, quiet), twice);
    assertEquals(await client("", opts, quiet), "");
    // Any multiple of 16 ends, not only 16 and 32: 48, 64, 160.
    for (const n of [3, 4, 10]) {
      const msg = "0123456789abcdef".repeat(n);
      assertEquals(await client(msg, opts, quiet), msg);
    }
  });
});

Deno.test("echo: 1 MiB in 16-byte reads comes back whole, UTF-8 split across chunks intact", async () => {
  const big = "ü€ascii ".repeat(Math.ceil((1 << 20) / 11)); // 11 bytes each: over 1 MiB
  assert(new TextEncoder().encode(big).length >= 1 << 20);
  const listener = listenTcp("127.0.0.1", 0);
  await withServer(listener, (l, o) => serve(l, { ...o, log: quiet }), async (addr) => {
    assertEquals(await client(big, { port: addr.port, chunk: 65536 }, quiet), big);
  });
});

Deno.test("echo scripts: the transcript of both headers", async () => {
  const server = await startServer(
    "examples/echo_server.ts",
    [],
    /making a server on 127\.0\.0\.1:(\d+)\n/,
  );
  try {
    await server.server.waitFor(/waiting for a connection\n/);
    const out = await deno([
      "run",
      "--allow-net",
      "examples/echo_client.ts",
      "--port",
      `${server.port}`,
      FOUR_SCORE,
    ]);
    assertEquals(out.code, 0);
    assertEquals(out.stdout, `${FOUR_SCORE}\n`);
    assertEquals(lines(out.stderr), [
      `connecting to 127.0.0.1 port ${server.port}`,
      `sending "${FOUR_SCORE}"`,
      'received "Four score and s"',
      'received "even years ago o"',
      'received "ur fathers did s"',
      'received "tuff"',
      "closing socket",
    ]);
    await server.server.waitFor(/echo complete, client connection closed\n/);
  } catch (err) {
    await server.server.stop();
    throw err;
  }
  const end = await server.server.stop("SIGINT");
  assertEquals(end.code, 0);
  assertEquals(lines(end.stdout).slice(0, 5), [
    `making a server on 127.0.0.1:${server.port}`,
    "waiting for a connection",
    lines(end.stdout)[2], // connection - 127.0.0.1:<port>
    'received "Four score and s"',
    'sent "Four score and s"',
  ]);
  assertMatch(lines(end.stdout)[2], /^connection - 127\.0\.0\.1:\d+$/);
});

Deno.test("echo scripts: a refused connection asks whether the server is running", async () => {
  const l = listenTcp("127.0.0.1", 0);
  const port = l.addr.port;
  l.close();
  const out = await deno([
    "run",
    "--allow-net",
    "examples/echo_client.ts",
    "--port",
    `${port}`,
    "hi",
  ]);
  assertEquals(out.code, 1);
  assertMatch(
    out.stderr,
    /\necho_client: cannot connect to 127\.0\.0\.1:\d+: connection refused: .*is the server running/,
  );
  const none = await deno(["run", "--allow-net", "examples/echo_client.ts"]);
  assertEquals(none.code, 2);
  assertMatch(none.stderr, /^echo_client: no MESSAGE given\nusage: /);
});

Deno.test("echo: a client that never reads holds only its own connection; others are served", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  await withServer(listener, (l, o) => serve(l, { ...o, chunk: 65536 }), async (addr) => {
    const hog = await neverReads(addr.port);
    try {
      // The plain server has no write deadline (hardened_tcp_server.ts does): the hog's task
      // waits on its full socket, and everyone else is still answered.
      for (let i = 0; i < 5; i++) {
        assertEquals(
          await client(`after the hog ${i}`, { port: addr.port, timeoutMs: 5000 }, quiet),
          `after the hog ${i}`,
        );
      }
    } finally {
      await hog.close();
    }
  });
});

Deno.test("echo_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/echo_server.ts");
});

Deno.test("echo_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/echo_client.ts");
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`echo_server over ${host}: passes the grader's echo-server checks (tests/grade/checks.ts)`, async () => {
    await withServer(
      listenTcp(host, 0),
      (l, o) => serve(l, { ...o, log: () => {} }),
      async (addr) => {
        await assertPasses("echo-server", { host, port: addr.port });
      },
    );
  });
}

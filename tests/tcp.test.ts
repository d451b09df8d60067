import { assert, assertEquals, assertMatch } from "@std/assert";
import { bind, serve } from "../examples/tcp_server.ts";
import * as plain from "../examples/tcp_server.ts";
import * as hardened from "../examples/hardened_tcp_server.ts";
import { uppercase } from "../examples/tcp_client.ts";
import { deno, lines, startServer } from "./_process.ts";
import { neverReads, sleep, until, upperReference, withServer, writeAll } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";
import { assertPasses } from "./grade/checks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`tcp in-process over ${host}: short, empty, UTF-8 and invalid bytes`, async () => {
    const log = await withServer(bind(host, 0), serve, async (addr) => {
      assertEquals(
        dec.decode(await uppercase(addr, enc.encode("tcp is reliable"))),
        "TCP IS RELIABLE",
      );
      assertEquals(dec.decode(await uppercase(addr, enc.encode("straße é"))), "STRAßE é");
      assertEquals((await uppercase(addr, new Uint8Array(0))).length, 0);
      assertEquals(
        await uppercase(addr, new Uint8Array([0x61, 0xff, 0xfe])),
        new Uint8Array([0x41, 0xff, 0xfe]),
      );
    });
    assertMatch(
      log[0],
      new RegExp(`^Received from ${host.replace(/\./g, "\\.")}#\\d+: tcp is reliable$`),
    );
    assertEquals(log.length, 4);
  });

  Deno.test(`tcp over ${host}: 10 MiB of random bytes come back exactly upper-cased`, async () => {
    const data = new Uint8Array(10 << 20);
    for (let i = 0; i < data.length; i += 65536) {
      crypto.getRandomValues(data.subarray(i, i + 65536));
    }
    const log = await withServer(bind(host, 0), serve, async (addr) => {
      // The client writes and reads at once; reading only after writing would deadlock at ~7 MB.
      const reply = await uppercase(addr, data);
      assertEquals(reply.length, data.length);
      const want = upperReference(data);
      let same = true;
      for (let i = 0; i < want.length; i++) same &&= reply[i] === want[i];
      assert(same, "the reply is the ASCII-upper-cased input, byte for byte");
    });
    assertMatch(log[0], /\.\.\. \(10485760 bytes\)$/);
  });
}

Deno.test("tcp: 200 clients at once are all served", async () => {
  await withServer(bind("127.0.0.1", 0), serve, async (addr) => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => uppercase(addr, enc.encode(`client number ${i}`))),
    );
    replies.forEach((r, i) => assertEquals(dec.decode(r), `CLIENT NUMBER ${i}`));
  });
});

Deno.test("tcp: the course's TCPClient (send, one recv, no half-close) gets its reply", async () => {
  await withServer(bind("127.0.0.1", 0), serve, async (addr) => {
    const conn = await Deno.connect({ port: addr.port });
    try {
      await writeAll(conn, enc.encode("hello seed"));
      const buf = new Uint8Array(1024);
      const n = await conn.read(buf); // one recv(1024), as the original does
      assertEquals(dec.decode(buf.subarray(0, n!)), "HELLO SEED");
    } finally {
      conn.close();
    }
  });
});

for (const [name, server] of [["tcp_server", plain], ["hardened_tcp_server", hardened]] as const) {
  Deno.test(`${name}: a client that resets mid-stream ends only its own exchange`, async () => {
    const log = await withServer(server.bind("127.0.0.1", 0), server.serve, async (addr, log) => {
      // The rude client writes 8 MiB and never reads: the server's echo fills our receive buffer,
      // its writes block, and our writes block behind them. Then we close with unread data, which
      // sends a reset (RST) instead of FIN, in the middle of the server's write.
      const rude = await Deno.connect({ port: addr.port });
      const writing = writeAll(rude, new Uint8Array(8 << 20).fill(0x61)).catch(() => {});
      await sleep(100);
      rude.close();
      await writing;
      await until(
        () => log.some((l) => /reset|broken pipe/i.test(l)),
        () => `a reset logged: ${log}`,
      );
      assertEquals(dec.decode(await uppercase(addr, enc.encode("still there?"))), "STILL THERE?");
    });
    assert(!log.some((l) => l.startsWith("accept() failed")));
  });
}

Deno.test("tcp: a silent client holds only its own connection; others are served meanwhile", async () => {
  const listener = bind("127.0.0.1", 0);
  await withServer(listener, serve, async (addr) => {
    const silent = await Deno.connect({ port: addr.port });
    try {
      for (const word of ["one", "two", "three"]) {
        assertEquals(dec.decode(await uppercase(addr, enc.encode(word))), word.toUpperCase());
      }
    } finally {
      silent.close();
    }
  });
});

// The scripts, as documented.

Deno.test("tcp scripts: the header's transcript over IPv4 and IPv6, and Ctrl-C exits 0", async () => {
  for (const host of ["127.0.0.1", "::1"]) {
    const { server, port } = await startServer("examples/tcp_server.ts", ["--host", host]);
    try {
      await server.waitFor(/Listening\.\.\.\n/);
      assertEquals(lines(server.stdout), [
        `serverIP: ${host}`,
        `serverPort: ${port}`,
        "Press Ctrl+C to quit. Listening...",
      ]);
      const out = await deno([
        "run",
        "--allow-net",
        "examples/tcp_client.ts",
        "--host",
        host,
        "--port",
        `${port}`,
        "tcp",
        "is",
        "reliable",
      ]);
      assertEquals([out.code, out.stdout, out.stderr], [
        0,
        "Returned from server: TCP IS RELIABLE\n",
        "",
      ]);
      const piped = await deno([
        "run",
        "--allow-net",
        "examples/tcp_client.ts",
        "-H",
        host,
        "-p",
        `${port}`,
      ], { stdin: "one\ntwo\n" });
      assertEquals(lines(piped.stdout), ["Returned from server: ONE", "Returned from server: TWO"]);
      await server.waitFor(/Received from .*#\d+: two\n/);
    } catch (err) {
      await server.stop();
      throw err;
    }
    const end = await server.stop("SIGINT");
    assertEquals(end.code, 0);
    assertMatch(end.stdout, /: tcp is reliable\n[\s\S]*Server stopped\.\n$/);
  }
});

Deno.test("tcp scripts: nobody listening, a bad port, a port in use: one line each", async () => {
  const l = bind("127.0.0.1", 0);
  const port = l.addr.port;
  try {
    const inUse = await deno(["run", "--allow-net", "examples/tcp_server.ts", "--port", `${port}`]);
    assertEquals(inUse.code, 1);
    assertMatch(
      inUse.stderr,
      /^tcp_server: cannot listen on TCP 127\.0\.0\.1:\d+: address already in use: [^\n]*\n$/,
    );
  } finally {
    l.close();
  }
  const refused = await deno([
    "run",
    "--allow-net",
    "examples/tcp_client.ts",
    "--port",
    `${port}`,
    "hi",
  ]);
  assertEquals(refused.code, 1);
  assertEquals(
    refused.stderr,
    `tcp_client: cannot connect to 127.0.0.1:${port}: connection refused: nothing listens there; is the server running, on that host and port?\n`,
  );
  const bad = await deno(["run", "--allow-net", "examples/tcp_client.ts", "--port", "-5"]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /^tcp_client: /);
});

Deno.test("tcp: a client that sends but never reads stalls only its own exchange", async () => {
  const listener = bind("127.0.0.1", 0);
  await withServer(listener, serve, async (addr) => {
    const hog = await neverReads(addr.port); // its 64 MiB fill both buffers; its writes stall
    try {
      assertEquals(dec.decode(await uppercase(addr, enc.encode("next"))), "NEXT");
    } finally {
      await hog.close();
    }
  });
});

Deno.test("tcp_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/tcp_server.ts");
});

Deno.test("tcp_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/tcp_client.ts");
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`tcp_server over ${host}: passes the grader's tcp-server checks (tests/grade/checks.ts)`, async () => {
    await withServer(bind(host, 0), (l, o) => serve(l, { ...o, log: () => {} }), async (addr) => {
      await assertPasses("tcp-server", { host, port: addr.port });
    });
  });
}

import { within } from "../lib/deadline.ts";
import { sameAddress } from "../lib/address.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { bind, serve } from "../examples/udp_server.ts";
import { NoReplyError, uppercase } from "../examples/udp_client.ts";
import { deno, lines, startServer } from "./_process.ts";
import { checkTranscript } from "./_transcript.ts";
import { sleep, withServer } from "./_util.ts";
import { assertPasses } from "./grade/checks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`udp in-process over ${host}: replies upper-cased, logs the sender, stops on abort`, async () => {
    const socket = bind(host, 0);
    const addr = socket.addr as Deno.NetAddr;
    const log: string[] = [];
    const stop = new AbortController();
    const serving = serve(socket, { signal: stop.signal, log: (l: string) => void log.push(l) });
    try {
      const reply = await uppercase(addr, enc.encode("udp is lazy"));
      assertEquals(dec.decode(reply), "UDP IS LAZY");
      assertEquals(dec.decode(await uppercase(addr, enc.encode("straße é"))), "STRAßE é");
      assertEquals((await uppercase(addr, new Uint8Array(0))).length, 0); // empty gets empty
      // The largest datagram comes back whole: no 2048-byte cut as in the original.
      const big = crypto.getRandomValues(new Uint8Array(host === "::1" ? 65487 : 65507));
      const want = big.map((x) => (x >= 0x61 && x <= 0x7a ? x - 32 : x));
      assertEquals(await uppercase(addr, big), want);
      assertMatch(
        log[0],
        new RegExp(`^Received from ${host.replace(/\./g, "\\.")}#\\d+: udp is lazy$`),
      );
      assertEquals(log.length, 4);
    } finally {
      stop.abort();
      await serving;
    }
  });
}

Deno.test("udp: a datagram that is not UTF-8 is logged safely and answered", async () => {
  const socket = bind("127.0.0.1", 0);
  const log: string[] = [];
  const stop = new AbortController();
  const serving = serve(socket, { signal: stop.signal, log: (l: string) => void log.push(l) });
  try {
    const reply = await uppercase(socket.addr as Deno.NetAddr, new Uint8Array([0x61, 0xff, 0x0a]));
    assertEquals(reply, new Uint8Array([0x41, 0xff, 0x0a]));
    assertMatch(log[0], /: a\uFFFD\\n$/);
  } finally {
    stop.abort();
    await serving;
  }
});

Deno.test("udp: the client gives up with NoReplyError when nobody answers", async () => {
  const silent = bind("127.0.0.1", 0); // bound, never read: every datagram is "lost"
  try {
    await assertRejects(
      () => uppercase(silent.addr as Deno.NetAddr, enc.encode("x"), { timeoutMs: 20, retries: 2 }),
      NoReplyError,
      "after 3 attempt(s)",
    );
  } finally {
    silent.close();
  }
});

Deno.test("udp: a reply to the first send that arrives during the second wait is taken", async () => {
  const server = bind("127.0.0.1", 0);
  try {
    // The server answers the first request only after 80 ms: past the client's first 50 ms wait.
    const serving = (async () => {
      const [data, from] = await within(server.receive(), 5000, "no request");
      await sleep(80);
      await server.send(data.map((x) => x ^ 0x20), from);
      // The resend arrives too (the reply to it is never needed); a client that never resends
      // fails here, in 5 s, instead of hanging the suite.
      return within(server.receive(), 5000, "the client did not send again after its wait");
    })();
    const reply = await uppercase(server.addr as Deno.NetAddr, enc.encode("abc"), {
      timeoutMs: 50,
      retries: 1,
    });
    assertEquals(dec.decode(reply), "ABC");
    await serving;
  } finally {
    server.close();
  }
});

Deno.test("udp: a datagram from a stranger is not the reply; the server's is", async () => {
  const server = bind("127.0.0.1", 0);
  const stranger = bind("127.0.0.1", 0);
  try {
    const serving = (async () => {
      const [data, from] = await within(server.receive(), 5000, "no request");
      await stranger.send(enc.encode("SPOOF"), from);
      await sleep(20);
      await server.send(data, from);
    })();
    const reply = await uppercase(server.addr as Deno.NetAddr, enc.encode("real"), {
      timeoutMs: 2000,
      retries: 0,
    });
    await serving;
    assertEquals(dec.decode(reply), "real");
  } finally {
    server.close();
    stranger.close();
  }
});

// The scripts, run exactly as the README and the headers document them.

Deno.test("udp scripts: the header's transcript, piped lines, IPv4", async () => {
  const { server, port } = await startServer("examples/udp_server.ts");
  try {
    await server.waitFor(/Listening\.\.\.\n/);
    assertEquals(lines(server.stdout), [
      "serverIP: 127.0.0.1",
      `serverPort: ${port}`,
      "Press Ctrl+C to quit. Listening...",
    ]);
    const out = await deno(
      ["run", "--allow-net", "examples/udp_client.ts", "--host", "127.0.0.1", "--port", `${port}`],
      { stdin: "udp is lazy\nstraße é\n\nlast line without newline" },
    );
    assertEquals(out.stderr, "");
    assertEquals(out.code, 0);
    assertEquals(lines(out.stdout), [
      `I'm configured to send UDP packets to 127.0.0.1 on port ${port}`,
      "Press Ctrl+C to quit.",
      "Returned from server: UDP IS LAZY",
      "Returned from server: STRAßE é",
      "Returned from server: ",
      "Returned from server: LAST LINE WITHOUT NEWLINE",
    ]);
    await server.waitFor(/Received from 127\.0\.0\.1#\d+: last line without newline/);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const end = await server.stop("SIGINT");
  assertEquals(end.code, 0);
  assertMatch(end.stdout, /Received from 127\.0\.0\.1#\d+: udp is lazy\n/);
  assertMatch(end.stdout, /Server stopped\.\n$/);
});

Deno.test("udp scripts: IPv6, the seed's -ip flag and words as arguments", async () => {
  const { server, port } = await startServer("examples/udp_server.ts", ["--host", "::1"]);
  try {
    assertMatch(server.stdout, /^serverIP: ::1\n/);
    const out = await deno([
      "run",
      "--allow-net",
      "examples/udp_client.ts",
      "-ip",
      "::1",
      "-p",
      `${port}`,
      "hi",
      "there",
    ]);
    assertEquals(out.code, 0);
    assertEquals(lines(out.stdout).at(-1), "Returned from server: HI THERE");
    await server.waitFor(/Received from ::1#\d+: hi there/);
  } finally {
    assertEquals((await server.stop()).code, 0);
  }
});

Deno.test("udp scripts: a wildcard bind says how to find this host's addresses", async () => {
  const { server } = await startServer("examples/udp_server.ts", ["--host", "0.0.0.0"], undefined, [
    "--allow-net",
    "--allow-sys=networkInterfaces",
  ]);
  try {
    await server.waitFor(/Reachable at:\n( {2}.*\n)* {2}127\.0\.0\.1:\d+ {2}\(lo\)\n/);
  } finally {
    await server.stop();
  }
});

Deno.test("udp scripts: bad input is one line and a usage, never a stack trace", async () => {
  const bad = await deno(["run", "--allow-net", "examples/udp_client.ts", "--port", "70000"]);
  assertEquals(bad.code, 2);
  assertEquals(
    bad.stderr.split("\n")[0],
    'udp_client: bad --port "70000": a port is a whole number from 0 to 65535',
  );
  assertMatch(bad.stderr, /^usage: deno run --allow-net examples\/udp_client\.ts/m);

  const unknown = await deno(["run", "--allow-net", "examples/udp_server.ts", "--prot", "1"]);
  assertEquals(unknown.code, 2);
  assertEquals(unknown.stderr.split("\n")[0], 'udp_server: unknown flag "--prot"');

  const missing = await deno(["run", "--allow-net", "examples/udp_server.ts", "--port"]);
  assertEquals(missing.code, 2);
  assertEquals(missing.stderr.split("\n")[0], "udp_server: --port needs a value");

  const help = await deno(["run", "examples/udp_server.ts", "--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /^Sends each datagram back upper-cased to whoever sent it\.\nusage: /);

  const noNet = await deno(["run", "examples/udp_server.ts", "--port", "0"]);
  assertEquals(noNet.code, 1);
  assertEquals(lines(noNet.stderr), [
    "udp_server: cannot bind UDP 127.0.0.1:0: no network permission: run again with --allow-net (see the run line in the file's header)",
  ]);
});

Deno.test("udp scripts: a port in use exits 1 with one line", async () => {
  const taken = bind("127.0.0.1", 0);
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const out = await deno(["run", "--allow-net", "examples/udp_server.ts", "--port", `${port}`]);
    assertEquals(out.code, 1);
    assertEquals(lines(out.stderr).length, 1);
    assertMatch(
      out.stderr,
      /^udp_server: cannot bind UDP 127\.0\.0\.1:\d+: address already in use: .*--port/,
    );
  } finally {
    taken.close();
  }
});

Deno.test("udp scripts: a client with no server says each resend, then exits 1 with one error line", async () => {
  const silent = bind("127.0.0.1", 0);
  try {
    const port = (silent.addr as Deno.NetAddr).port;
    const t0 = performance.now();
    const out = await deno([
      "run",
      "--allow-net",
      "examples/udp_client.ts",
      "--port",
      `${port}`,
      "--timeout",
      "0.1",
      "hello",
    ]);
    assertEquals(out.code, 1);
    assertEquals(lines(out.stderr), [
      "no reply in 0.1 s; sending again (attempt 2 of 3)",
      "no reply in 0.1 s; sending again (attempt 3 of 3)",
      `udp_client: no reply after 3 attempt(s) to 127.0.0.1:${port} (0.1 s each): is the server running? An unconnected UDP socket cannot tell a lost datagram from a closed port`,
    ]);
    assert(performance.now() - t0 >= 300, "it waited for its timeouts");
  } finally {
    silent.close();
  }
});

Deno.test("udp scripts: without the unstable net API, one line says how to enable it", async () => {
  const out = await deno([
    "run",
    "--allow-net",
    "--config",
    "tests/fixtures/stable.json",
    "examples/udp_server.ts",
  ]);
  assertEquals(out.code, 1);
  assertMatch(
    out.stderr,
    /^udp_server: (cannot bind UDP \S+: )?UDP sockets need Deno's unstable net API: .*--unstable-net/,
  );
});

Deno.test("udp scripts: an address this machine does not have is one line with a hint", async () => {
  // 203.0.113.0/24 is TEST-NET-3 (RFC 5737); binding to it fails locally, nothing is sent.
  const out = await deno([
    "run",
    "--allow-net",
    "examples/udp_server.ts",
    "--host",
    "203.0.113.77",
    "--port",
    "0",
  ]);
  assertEquals(out.code, 1);
  assertEquals(lines(out.stderr), [
    "udp_server: cannot bind UDP 203.0.113.77:0: address not available: this machine has no such address; use 127.0.0.1, ::1, 0.0.0.0 or :: (or one of this host's addresses)",
  ]);
});

Deno.test("udp_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/udp_server.ts");
});

Deno.test("udp_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/udp_client.ts");
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`udp_server over ${host}: passes the grader's udp-server checks (tests/grade/checks.ts)`, async () => {
    await withServer(bind(host, 0), (l, o) => serve(l, { ...o, log: () => {} }), async (addr) => {
      await assertPasses("udp-server", { host, port: addr.port });
    });
  });
}

Deno.test("udp_client: each silent wait says what it does next (attempt n of m)", async () => {
  const silent = bind("127.0.0.1", 0);
  try {
    const port = (silent.addr as Deno.NetAddr).port;
    const args = ["--port", `${port}`, "--timeout", "1", "--retries", "1", "hello"];
    const out = await deno(["run", "--allow-net", "examples/udp_client.ts", ...args]);
    assertEquals(out.code, 1);
    const got = lines(out.stderr);
    assertMatch(got[0], /^no reply in 1 s; sending again \(attempt 2 of 2\)$/);
    assertMatch(
      got[1],
      /^udp_client: no reply after 2 attempt\(s\) to 127\.0\.0\.1:\d+ \(1 s each\)/,
    );
    assertEquals(got.length, 2);
  } finally {
    silent.close();
  }
});

Deno.test("sameAddress: compared as bytes, so every spelling of one address is one address", () => {
  const at = (hostname: string, port = 9) => ({ hostname, port });
  for (const v4mapped of ["127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1", "[::FFFF:7F00:0001]"]) {
    assert(sameAddress(at("127.0.0.1"), at(v4mapped)), v4mapped);
  }
  assert(sameAddress(at("::1"), at("0:0:0:0:0:0:0:1")));
  assert(!sameAddress(at("127.0.0.1"), at("127.0.0.2")));
  assert(!sameAddress(at("127.0.0.1"), at("127.0.0.1", 10)));
  assert(!sameAddress(at("::1"), at("127.0.0.1")));
});

Deno.test("udp_client: a server given as ::ffff:7f00:1 is recognised when it answers from 127.0.0.1", async () => {
  // A subprocess: the client binds the IPv6 wildcard to reach an IPv4-mapped address, which the
  // test task's loopback-only permissions do not allow in-process.
  await withServer(bind("127.0.0.1", 0), serve, async (addr) => {
    const args = ["--host", "::ffff:7f00:1", "--port", `${addr.port}`, "--timeout", "2", "mapped"];
    const out = await deno(["run", "--allow-net", "examples/udp_client.ts", ...args]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(lines(out.stdout).at(-1), "Returned from server: MAPPED");
  });
});

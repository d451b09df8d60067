import { within } from "../lib/deadline.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { ask, NoReplyError } from "../examples/udp_backoff_client.ts";
import { bind as bindUdp, serve } from "../examples/udp_length_server.ts";
import { deno, lines, startServer } from "./_process.ts";
import { sleep, withServer } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";
import { assertPasses } from "./grade/checks.ts";

const enc = new TextEncoder();

/** A bound socket that never answers, counting what it receives. */
function silentServer(host = "127.0.0.1") {
  const socket = bindUdp(host, 0);
  let received = 0;
  const counting = (async () => {
    try {
      while (true) {
        await socket.receive();
        received++;
      }
    } catch { /* closed */ }
  })();
  return {
    addr: socket.addr as Deno.NetAddr,
    get received() {
      return received;
    },
    async close() {
      socket.close();
      await counting;
    },
  };
}

/** Runs the length server in-process for the length of `body`. */
async function withLengthServer(
  host: string,
  opts: { drop?: number; seed?: number },
  body: (addr: Deno.NetAddr, log: string[]) => Promise<void>,
) {
  const socket = bindUdp(host, 0);
  const log: string[] = [];
  const stop = new AbortController();
  const serving = serve(socket, {
    ...opts,
    signal: stop.signal,
    log: (l: string) => void log.push(l),
  });
  try {
    await body(socket.addr as Deno.NetAddr, log);
  } finally {
    stop.abort();
    await serving;
  }
  return log;
}

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`backoff over ${host}: a silent server gets exactly 5 sends, then NoReplyError`, async () => {
    const silent = silentServer(host);
    const waits: number[] = [];
    try {
      const t0 = performance.now();
      const err = await assertRejects(
        () =>
          ask(silent.addr, "hello", { initialMs: 10, maxMs: 200, onWait: (ms) => waits.push(ms) }),
        NoReplyError,
      );
      const waited = performance.now() - t0;
      assertMatch(err.message, /^Maybe the server is down: no reply from .* after 5 sends/);
      assertEquals(waits, [10, 20, 40, 80, 160]);
      // The waits are real: 10 + 20 + 40 + 80 + 160 ms (a client reporting doubled waits but
      // waiting 10 ms each time would be done in 50 ms).
      assert(waited >= 300, `gave up after ${waited.toFixed(0)} ms`);
      await sleep(20);
      assertEquals(silent.received, 5);
    } finally {
      await silent.close();
    }
  });

  Deno.test(`backoff over ${host}: a server that drops the first two requests answers the third`, async () => {
    const waits: number[] = [];
    const log = await withLengthServer(host, { drop: 0.5, seed: 7 }, async (addr) => {
      const reply = await ask(addr, "Send this message!", {
        initialMs: 50,
        onWait: (ms) => waits.push(ms),
      });
      assertEquals(reply, "The msg was 18 bytes long");
    });
    assertEquals(waits, [50, 100, 200]);
    assertEquals(log.length, 3);
    assertMatch(log[0], /^Pretending to drop packet from .+#\d+$/);
    assertMatch(log[1], /^Pretending to drop packet from /);
    assertMatch(log[2], /^The client at .+#\d+ says Send this message!$/);
  });
}

Deno.test("backoff: a reply that arrives after its wait ran out is still taken", async () => {
  const server = bindUdp("127.0.0.1", 0);
  try {
    const replying = (async () => {
      const [data, from] = await within(server.receive(), 5000, "no request");
      await sleep(150); // past the client's first wait of 100 ms
      await server.send(enc.encode(`The msg was ${data.length} bytes long`), from);
    })();
    const waits: number[] = [];
    const reply = await ask(server.addr as Deno.NetAddr, "late", {
      onWait: (ms) => waits.push(ms),
    });
    await replying;
    assertEquals(reply, "The msg was 4 bytes long");
    assertEquals(waits, [100, 200]); // taken during the second wait, not lost with the first
  } finally {
    server.close();
  }
});

Deno.test("connected UDP: a stray datagram from a third socket is not taken for the reply", async () => {
  const server = bindUdp("127.0.0.1", 0);
  const stranger = bindUdp("127.0.0.1", 0);
  try {
    const serving = (async () => {
      const [data, from] = await within(server.receive(), 5000, "no request");
      await stranger.send(enc.encode("not from the server"), from);
      await sleep(20);
      await server.send(enc.encode(`from the server: ${data.length}`), from);
    })();
    const reply = await ask(server.addr as Deno.NetAddr, "hi", { initialMs: 1000 });
    await serving;
    assertEquals(reply, "from the server: 2");
  } finally {
    server.close();
    stranger.close();
  }
});

Deno.test("backoff scripts: the header's transcript (server dropping with --seed 8)", async () => {
  const { server, port } = await startServer("examples/udp_length_server.ts", [
    "--drop",
    "0.5",
    "--seed",
    "8",
  ], /Listening at 127\.0\.0\.1:(\d+), dropping 50% of requests \(Ctrl\+C to quit\)\n/);
  try {
    const out = await deno([
      "run",
      "--allow-net",
      "examples/udp_backoff_client.ts",
      "--port",
      `${port}`,
    ]);
    assertEquals(out.code, 0);
    assertEquals(lines(out.stdout), [
      "Waiting up to 0.1 seconds for a reply",
      "Waiting up to 0.2 seconds for a reply",
      "The server says The msg was 18 bytes long",
    ]);
    await server.waitFor(/says Send this message!\n/);
  } finally {
    const end = await server.stop("SIGINT");
    assertEquals(end.code, 0);
    const log = lines(end.stdout).slice(1);
    assertMatch(log[0], /^Pretending to drop packet from 127\.0\.0\.1#\d+$/);
    assertMatch(log[1], /^The client at 127\.0\.0\.1#\d+ says Send this message!$/);
  }
});

Deno.test("backoff scripts: no server: five waits 0.1 to 1.6 s, one line, exit 1", async () => {
  const silent = silentServer();
  try {
    const out = await deno([
      "run",
      "--allow-net",
      "examples/udp_backoff_client.ts",
      "--port",
      `${silent.addr.port}`,
    ]);
    assertEquals(out.code, 1);
    assertEquals(
      lines(out.stdout),
      [0.1, 0.2, 0.4, 0.8, 1.6].map((s) => `Waiting up to ${s} seconds for a reply`),
    );
    assertEquals(lines(out.stderr), [
      `udp_backoff_client: Maybe the server is down: no reply from 127.0.0.1:${silent.addr.port} after 5 sends (or nothing listens on that port: this socket never hears ICMP "port unreachable")`,
    ]);
    assertEquals(silent.received, 5);
  } finally {
    await silent.close();
  }
  const bad = await deno(["run", "--allow-net", "examples/udp_length_server.ts", "--drop", "2"]);
  assertEquals(bad.code, 2);
  assert(
    bad.stderr.startsWith('udp_length_server: bad --drop "2": expected a number from 0 to 1\n'),
  );
});

Deno.test("udp_length_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/udp_length_server.ts");
});

Deno.test("udp_backoff_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/udp_backoff_client.ts");
});

Deno.test("backoff scripts: --port 0 is a usage error, not an OS error", async () => {
  const out = await deno(["run", "--allow-net", "examples/udp_backoff_client.ts", "--port", "0"]);
  assertEquals(out.code, 2);
  assertEquals(
    out.stderr.split("\n")[0],
    "udp_backoff_client: bad --port 0: the server's port is needed",
  );
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`udp_length_server over ${host}: passes the grader's udp-length-server checks (tests/grade/checks.ts)`, async () => {
    await withServer(
      bindUdp(host, 0),
      (l, o) => serve(l, { ...o, log: () => {} }),
      async (addr) => {
        await assertPasses("udp-length-server", { host, port: addr.port });
      },
    );
  });
}

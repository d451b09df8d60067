import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import {
  connectHappyEyeballs,
  describeEvent,
  type Family,
  HappyEyeballsError,
  type TraceEvent,
} from "../examples/happy_eyeballs_client.ts";
import type { Clock } from "../lib/deadline.ts";
import { deno, lines, Running, startServer } from "./_process.ts";
import { listenTcp } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";

/** A clock that moves only when the test says so. */
class FakeClock implements Clock {
  t = 0;
  #timers: { at: number; fn: () => void; live: boolean }[] = [];
  now = () => this.t;
  timer = (fn: () => void, ms: number) => {
    const entry = { at: this.t + ms, fn, live: true };
    this.#timers.push(entry);
    return () => void (entry.live = false);
  };
  /** Moves time forward by `ms`, running due timers in order, letting promises settle. */
  async advance(ms: number) {
    const end = this.t + ms;
    await settle();
    while (true) {
      const due = this.#timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = due.at;
      due.live = false;
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** Lets every pending promise reaction run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

class FakeConn {
  closed = false;
  constructor(readonly address: string) {}
  close() {
    this.closed = true;
  }
}

/** A dialer whose attempts the test completes by hand; an aborted attempt rejects. */
class FakeDialer {
  calls: string[] = [];
  aborted: string[] = [];
  #pending = new Map<string, { ok: (c: FakeConn) => void; fail: (e: Error) => void }>();
  dial = (address: string, _port: number, signal: AbortSignal) => {
    this.calls.push(address);
    return new Promise<FakeConn>((ok, fail) => {
      this.#pending.set(address, { ok, fail });
      signal.addEventListener("abort", () => {
        this.aborted.push(address);
        fail(signal.reason);
      }, { once: true });
    });
  };
  succeed(address: string): FakeConn {
    const conn = new FakeConn(address);
    this.#pending.get(address)!.ok(conn);
    return conn;
  }
  refuse(address: string) {
    this.#pending.get(address)!.fail(
      new Deno.errors.ConnectionRefused("Connection refused (os error 111)"),
    );
  }
}

/** A resolver answering each family after a delay on the fake clock. */
function fakeResolver(
  clock: FakeClock,
  answers: Record<Family, { after: number; addresses: string[] }>,
) {
  return (_host: string, family: Family) =>
    new Promise<string[]>((ok, fail) => {
      const a = answers[family];
      clock.timer(
        () => a.addresses.length ? ok(a.addresses) : fail(new Error("no address")),
        a.after,
      );
    });
}

function setup(answers: Record<Family, { after: number; addresses: string[] }>, extra = {}) {
  const clock = new FakeClock();
  const dialer = new FakeDialer();
  const events: TraceEvent[] = [];
  const result = connectHappyEyeballs<FakeConn>("example.test", 80, {
    clock,
    dial: dialer.dial,
    resolve: fakeResolver(clock, answers),
    preferFamily: 6,
    trace: (e) => events.push(e),
    ...extra,
  });
  result.catch(() => {});
  return { clock, dialer, events, result };
}

const V6 = ["2001:db8::1", "2001:db8::2"];
const V4 = ["192.0.2.1", "192.0.2.2"];

Deno.test("happy eyeballs: interleaves families, preferred first, one attempt every 250 ms", async () => {
  const { clock, dialer, events, result } = setup({
    6: { after: 5, addresses: V6 },
    4: { after: 5, addresses: V4 },
  });
  await clock.advance(5);
  assertEquals(dialer.calls, ["2001:db8::1"]);
  await clock.advance(249);
  assertEquals(dialer.calls.length, 1, "no second attempt before 250 ms");
  await clock.advance(1);
  assertEquals(dialer.calls, ["2001:db8::1", "192.0.2.1"]);
  await clock.advance(500);
  assertEquals(dialer.calls, ["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2"]);
  const conn = dialer.succeed("2001:db8::2");
  const won = await result;
  assertEquals([won.address, won.conn, won.connectMs, won.totalMs], [
    "2001:db8::2",
    conn,
    750,
    755,
  ]);
  const cancelled = events.filter((e) => e.kind === "cancelled").map((e) =>
    "address" in e && e.address
  );
  assertEquals(cancelled.sort(), ["192.0.2.1", "192.0.2.2", "2001:db8::1"]);
});

Deno.test("happy eyeballs: a failed attempt starts the next one at once", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 0, addresses: V6 },
    4: { after: 0, addresses: V4 },
  });
  await clock.advance(0);
  await clock.advance(10);
  dialer.refuse("2001:db8::1");
  await clock.advance(0);
  assertEquals(dialer.calls, ["2001:db8::1", "192.0.2.1"]); // at 10 ms, not 250
  dialer.succeed("192.0.2.1");
  assertEquals((await result).connectMs, 10);
});

Deno.test("happy eyeballs: an A answer first waits the 50 ms resolution delay for AAAA", async () => {
  const early = setup({ 6: { after: 30, addresses: V6 }, 4: { after: 0, addresses: V4 } });
  await early.clock.advance(29);
  assertEquals(early.dialer.calls, [], "waiting for AAAA");
  await early.clock.advance(1);
  assertEquals(early.dialer.calls, ["2001:db8::1"], "AAAA came within the delay: IPv6 first");
  early.dialer.succeed("2001:db8::1");
  await early.result;

  const late = setup({ 6: { after: 400, addresses: V6 }, 4: { after: 0, addresses: V4 } });
  await late.clock.advance(49);
  assertEquals(late.dialer.calls, []);
  await late.clock.advance(1);
  assertEquals(late.dialer.calls, ["192.0.2.1"], "no AAAA after 50 ms: start with IPv4");
  await late.clock.advance(250);
  assertEquals(late.dialer.calls, ["192.0.2.1", "192.0.2.2"]);
  // The AAAA answer arrives late (at 400 ms) and still joins the race.
  await late.clock.advance(100);
  await late.clock.advance(150);
  assertEquals(late.dialer.calls, ["192.0.2.1", "192.0.2.2", "2001:db8::1"]);
  late.dialer.succeed("2001:db8::1");
  assertEquals((await late.result).address, "2001:db8::1");
});

Deno.test("happy eyeballs: late addresses join at once when every attempt has failed", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 1000, addresses: ["::1"] },
    4: { after: 0, addresses: ["127.0.0.1"] },
  });
  await clock.advance(50);
  assertEquals(dialer.calls, ["127.0.0.1"]);
  dialer.refuse("127.0.0.1");
  await clock.advance(100);
  assertEquals(dialer.calls, ["127.0.0.1"], "nothing to try: waiting for the AAAA answer");
  await clock.advance(850);
  assertEquals(dialer.calls, ["127.0.0.1", "::1"], "the late ::1 is tried as soon as it arrives");
  dialer.succeed("::1");
  assertEquals((await result).address, "::1");
});

Deno.test("happy eyeballs: when one wins, every other attempt is aborted", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 0, addresses: V6 },
    4: { after: 0, addresses: V4 },
  });
  await clock.advance(0);
  await clock.advance(500);
  assertEquals(dialer.calls.length, 3);
  dialer.succeed("192.0.2.1");
  assertEquals((await result).address, "192.0.2.1");
  assertEquals(dialer.aborted.sort(), ["2001:db8::1", "2001:db8::2"]);
});

Deno.test("happy eyeballs: a dial that ignores abort and connects late has its socket closed", async () => {
  const clock = new FakeClock();
  const late: FakeConn[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const result = connectHappyEyeballs<FakeConn>("example.test", 80, {
    clock,
    preferFamily: 6,
    resolve: (_h, f) => Promise.resolve(f === 6 ? ["::1"] : ["127.0.0.1"]),
    dial: async (address) => {
      if (address === "::1") {
        await gate; // slow, and deaf to the abort signal
        const c = new FakeConn(address);
        late.push(c);
        return c;
      }
      return new FakeConn(address);
    },
  });
  await clock.advance(250);
  assertEquals((await result).address, "127.0.0.1");
  release();
  await settle();
  assertEquals(late.length, 1);
  assert(late[0].closed, "the late connection was closed");
});

Deno.test("happy eyeballs: duplicates are tried once; all failing gives one error listing each", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 0, addresses: ["::1", "::1"] },
    4: { after: 0, addresses: ["127.0.0.1", "127.0.0.1"] },
  });
  await clock.advance(0);
  dialer.refuse("::1");
  await clock.advance(0);
  dialer.refuse("127.0.0.1");
  const err: HappyEyeballsError = await assertRejects(() => result, HappyEyeballsError);
  assertEquals(dialer.calls, ["::1", "127.0.0.1"]);
  assertEquals(err.failures.map((f) => f.address), ["::1", "127.0.0.1"]);
  assertMatch(
    err.message,
    /^could not connect to example\.test port 80: ::1 \(connection refused: .*\); 127\.0\.0\.1 \(connection refused: /,
  );
});

Deno.test("happy eyeballs: the overall timeout ends a race that would hang", async () => {
  const { clock, dialer, events, result } = setup({
    6: { after: 0, addresses: V6 },
    4: { after: 0, addresses: V4 },
  }, { timeoutMs: 1000 });
  await clock.advance(999);
  assertEquals(dialer.calls.length, 4);
  await clock.advance(1);
  const err: HappyEyeballsError = await assertRejects(() => result, HappyEyeballsError);
  assertEquals(err.failures.length, 4);
  assert(err.failures.every((f) => f.reason === "still connecting after 1000 ms"));
  // Nothing won: the trace says the deadline ended them (it said "another address won").
  const lines = events.filter((e) => e.kind === "cancelled").map(describeEvent);
  assertEquals(lines.length, 4);
  assert(
    lines.every((l) => / cancelled at 1000 ms: the overall --timeout passed$/.test(l)),
    lines.join("\n"),
  );
});

Deno.test("happy eyeballs: sequential mode waits for each failure, however long", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 0, addresses: ["::1"] },
    4: { after: 0, addresses: ["127.0.0.1"] },
  }, { sequential: true });
  await clock.advance(5000);
  assertEquals(dialer.calls, ["::1"], "no second attempt while the first is in flight");
  dialer.refuse("::1");
  await clock.advance(0);
  assertEquals(dialer.calls, ["::1", "127.0.0.1"]);
  dialer.succeed("127.0.0.1");
  assertEquals((await result).connectMs, 5000);
});

Deno.test("happy eyeballs: the attempt delay has a floor of 10 ms", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 0, addresses: V6 },
    4: { after: 0, addresses: V4 },
  }, { attemptDelayMs: 1 });
  await clock.advance(9);
  assertEquals(dialer.calls.length, 1);
  await clock.advance(1);
  assertEquals(dialer.calls.length, 2);
  dialer.succeed("192.0.2.1");
  await result;
});

// Real sockets on loopback, with a resolver that gives both families (this machine's
// /etc/hosts may not list ::1 for localhost).

const both = (_h: string, f: Family) => Promise.resolve(f === 6 ? ["::1"] : ["127.0.0.1"]);

/** Listeners on ::1 and 127.0.0.1 with the same port number. */
function samePort(): { v6: Deno.TcpListener; v4: Deno.TcpListener; port: number } {
  for (let i = 0; i < 20; i++) {
    const v6 = listenTcp("::1", 0, 0);
    try {
      return { v6, v4: listenTcp("127.0.0.1", v6.addr.port), port: v6.addr.port };
    } catch {
      v6.close();
    }
  }
  throw new Error("no port free on both families");
}

Deno.test("happy eyeballs on loopback: IPv6 refused, IPv4 listening: IPv4 at once", async () => {
  const v4 = listenTcp("127.0.0.1", 0);
  try {
    const accepting = v4.accept();
    const events: TraceEvent[] = [];
    // A 10 s attempt delay: connecting well before it proves the refusal started IPv4 at once.
    const won = await connectHappyEyeballs("dual.test", v4.addr.port, {
      resolve: both,
      preferFamily: 6,
      attemptDelayMs: 10_000,
      trace: (e) => events.push(e),
    });
    won.conn.close();
    (await accepting).close();
    assertEquals(won.address, "127.0.0.1");
    assert(won.connectMs < 5000, `took ${won.connectMs.toFixed(0)} ms`);
    const steps = events.filter((e) => e.kind !== "resolved").map((e) =>
      `${e.kind} ${"address" in e ? e.address : ""}`
    );
    assertEquals(steps, ["attempt ::1", "failed ::1", "attempt 127.0.0.1", "connected 127.0.0.1"]);
  } finally {
    v4.close();
  }
});

Deno.test("happy eyeballs on loopback: an IPv6 path that drops SYNs costs one attempt delay", async () => {
  // A listener that never accepts, with a backlog of 0, is full after one queued connection;
  // the kernel then drops further SYNs to it: a black hole, like a broken IPv6 route.
  const { v6, v4, port } = samePort();
  const filler = await Deno.connect({ hostname: "::1", port });
  try {
    const accepting = v4.accept();
    const events: TraceEvent[] = [];
    const t0 = performance.now();
    const won = await connectHappyEyeballs("dual.test", port, {
      resolve: both,
      preferFamily: 6,
      timeoutMs: 5000,
      trace: (e) => events.push(e),
    });
    const ms = performance.now() - t0;
    won.conn.close();
    (await accepting).close();
    assertEquals(won.address, "127.0.0.1");
    assert(ms >= 240 && ms < 1000, `connected in ${ms.toFixed(0)} ms, expected about 250`);
    assertEquals(
      events.filter((e) => e.kind === "cancelled").map((e) => "address" in e && e.address),
      ["::1"],
    );
  } finally {
    filler.close();
    v6.close();
    v4.close();
  }
});

Deno.test("happy eyeballs on loopback: everything dead gives the aggregated error within the timeout", async () => {
  const { v6, v4, port } = samePort();
  v4.close(); // IPv4 refuses
  const filler = await Deno.connect({ hostname: "::1", port });
  try {
    const t0 = performance.now();
    const err = await assertRejects(
      () =>
        connectHappyEyeballs("dual.test", port, { resolve: both, preferFamily: 6, timeoutMs: 600 }),
      HappyEyeballsError,
    );
    const ms = performance.now() - t0;
    assert(ms >= 590 && ms < 1500, `${ms}`);
    assertMatch(err.message, /::1 \(still connecting after 600 ms\)/);
    assertMatch(err.message, /127\.0\.0\.1 \(connection refused/);
  } finally {
    filler.close();
    v6.close();
  }
});

// The client script, against this repository's HTTP server.

Deno.test("happy eyeballs client: against http_server.ts it gets its 404", async () => {
  const { server, port } = await startServer(
    "examples/http_server.ts",
    [],
    /Listening on http:\/\/127\.0\.0\.1:(\d+)\//,
  );
  try {
    const out = await deno([
      "run",
      "--allow-net",
      "examples/happy_eyeballs_client.ts",
      "127.0.0.1",
      `${port}`,
    ]);
    assertEquals(out.code, 0, out.stderr);
    const got = lines(out.stdout);
    assertMatch(got[0], /^IPv6 addresses after [\d.]+ ms: none$/);
    assertMatch(out.stdout, /\nTrying 127\.0\.0\.1 at [\d.]+ ms\n/);
    assertMatch(
      out.stdout,
      /\nConnected to 127\.0\.0\.1 at [\d.]+ ms\nHTTP\/1\.1 404 Not Found\r?\n/,
    );
    assertEquals(got.at(-1), "Data was received in 1 read"); // not "1 reads"
    await server.waitFor(/GET \/ -> 404\n/);
    // --resolve with no IPv6 address: said plainly.
    const pinned = await deno([
      "run",
      "--allow-net",
      "examples/happy_eyeballs_client.ts",
      "v4only.test",
      `${port}`,
      "--resolve",
      "127.0.0.1",
    ]);
    assertEquals(pinned.code, 0, pinned.stderr);
    assertMatch(pinned.stdout, /^IPv6 addresses after [\d.]+ ms: none\n/);
  } finally {
    await server.stop();
  }
});

Deno.test("happy eyeballs client: a dead IPv6 path costs one attempt delay; --sequential never gets past it", async () => {
  // ::1 listener that never accepts, backlog 0, filled: SYNs to it are dropped (a black hole).
  let v6: Deno.TcpListener | undefined, server: Running | undefined, port = 0;
  for (let i = 0; i < 10 && !server; i++) {
    v6 = listenTcp("::1", 0, 0);
    port = v6.addr.port;
    try {
      server = (await startServer(
        "examples/http_server.ts",
        [],
        /Listening on http:\/\/127\.0\.0\.1:(\d+)\//,
        ["--allow-net"],
        ["--port", `${port}`],
      )).server;
    } catch {
      v6.close();
    }
  }
  const filler = await Deno.connect({ hostname: "::1", port });
  try {
    const race = await deno([
      "run",
      "--allow-net",
      "examples/happy_eyeballs_client.ts",
      "dual.test",
      `${port}`,
      "--resolve",
      "::1,127.0.0.1",
    ]);
    assertEquals(race.code, 0, race.stderr);
    assertMatch(race.stdout, /Trying ::1 at [\d.]+ ms\n/);
    assertMatch(race.stdout, /Trying 127\.0\.0\.1 at (2[4-9]\d|[3-9]\d\d)(\.\d)? ms\n/);
    assertMatch(race.stdout, / {2}::1 cancelled at [\d.]+ ms: 127\.0\.0\.1 won\n/);
    const connected = Number(race.stdout.match(/Connected to 127\.0\.0\.1 at ([\d.]+) ms/)![1]);
    assert(connected >= 245 && connected < 2000, `${connected} ms`);

    const seq = await deno([
      "run",
      "--allow-net",
      "examples/happy_eyeballs_client.ts",
      "dual.test",
      `${port}`,
      "--resolve",
      "::1,127.0.0.1",
      "--sequential",
      "--timeout",
      "0.6",
    ]);
    // Beej's loop waits for connect() to fail; a dropped SYN takes minutes to, so the 0.6 s
    // --timeout ends it before IPv4 is ever tried.
    assertEquals(seq.code, 1, seq.stderr);
    assert(!/Trying 127\.0\.0\.1/.test(seq.stdout), seq.stdout);
    assertMatch(seq.stderr, /: ::1 \(still connecting after 600 ms\)\n$/);
  } finally {
    filler.close();
    v6?.close();
    await server?.stop();
  }
});

Deno.test("happy eyeballs client: one line for a refusal, a missing permission, a missing HOST", async () => {
  // A name nobody knows: tests/offline.test.ts (no lookup may leave the machine in a test).
  const l = listenTcp("127.0.0.1", 0);
  const port = l.addr.port;
  l.close();
  const refused = await deno([
    "run",
    "--allow-net",
    "examples/happy_eyeballs_client.ts",
    "127.0.0.1",
    `${port}`,
  ]);
  assertEquals(lines(refused.stderr), [
    `happy_eyeballs_client: could not connect to 127.0.0.1 port ${port}: 127.0.0.1 (connection refused: nothing listens there; is the server running, on that host and port?)`,
  ]);
  const denied = await deno([
    "run",
    "--allow-net=127.0.0.1",
    "examples/happy_eyeballs_client.ts",
    "localhost",
    "80",
  ]);
  assertEquals(lines(denied.stderr).length, 1);
  assertMatch(denied.stderr, /^happy_eyeballs_client: .*no permission to look up "localhost"/);
  const usage = await deno(["run", "--allow-net", "examples/happy_eyeballs_client.ts"]);
  assertEquals(usage.code, 2);
});

Deno.test("happy eyeballs client: a server that accepts and never answers is a timeout, not a hang", async () => {
  const silent = listenTcp("127.0.0.1", 0); // the kernel completes handshakes; nobody reads
  try {
    const out = await deno([
      "run",
      "--allow-net",
      "examples/happy_eyeballs_client.ts",
      "127.0.0.1",
      `${silent.addr.port}`,
      "--timeout",
      "0.3",
    ]);
    assertEquals(out.code, 1);
    assertEquals(lines(out.stderr), [
      "happy_eyeballs_client: timed out: no whole response in 0.3 s",
    ]);
  } finally {
    silent.close();
  }
});

Deno.test("happy_eyeballs_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/happy_eyeballs_client.ts");
});

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import {
  type Clock,
  connectHappyEyeballs,
  describeEvent,
  type Family,
  HappyEyeballsError,
  timeline,
  type TraceEvent,
} from "../examples/happy_eyeballs_client.ts";
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

Deno.test("happy eyeballs: a per-attempt timeout moves on to the next address", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 0, addresses: ["::1"] },
    4: { after: 0, addresses: ["127.0.0.1"] },
  }, { attemptDelayMs: 10_000, attemptTimeoutMs: 300 });
  await clock.advance(299);
  assertEquals(dialer.calls, ["::1"]);
  await clock.advance(1);
  assertEquals(dialer.calls, ["::1", "127.0.0.1"]);
  dialer.succeed("127.0.0.1");
  assertEquals((await result).connectMs, 300);
});

Deno.test("happy eyeballs: sequential mode waits for each failure", async () => {
  const { clock, dialer, result } = setup({
    6: { after: 0, addresses: ["::1"] },
    4: { after: 0, addresses: ["127.0.0.1"] },
  }, { sequential: true, attemptTimeoutMs: 2000 });
  await clock.advance(1999);
  assertEquals(dialer.calls, ["::1"]);
  await clock.advance(1);
  assertEquals(dialer.calls, ["::1", "127.0.0.1"]);
  dialer.succeed("127.0.0.1");
  assertEquals((await result).connectMs, 2000);
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
    assertEquals(got[0], "127.0.0.1 is an address: nothing to look up");
    assertMatch(out.stdout, /\nTrying 127\.0\.0\.1 at [\d.]+ ms\n/);
    assertMatch(
      out.stdout,
      /\nConnected to 127\.0\.0\.1 at [\d.]+ ms\nHTTP\/1\.1 404 Not Found\r?\n/,
    );
    assertEquals(got.at(-1), "Data was received in 1 reads");
    await server.waitFor(/GET \/ -> 404\n/);
    // --resolve with no IPv6 address: said plainly (it printed "none (undefined)").
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
    assertMatch(pinned.stdout, /\nIPv6 addresses after [\d.]+ ms: none given\n/);
  } finally {
    await server.stop();
  }
});

Deno.test("happy eyeballs client: a dead IPv6 path costs one attempt delay; --sequential waits it out", async () => {
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
      "--trace",
    ]);
    assertEquals(race.code, 0, race.stderr);
    assertMatch(race.stdout, /Trying ::1 at [\d.]+ ms\n/);
    assertMatch(race.stdout, /Trying 127\.0\.0\.1 at (2[4-9]\d|[3-9]\d\d)(\.\d)? ms\n/);
    assertMatch(race.stdout, / {2}::1 cancelled at [\d.]+ ms: 127\.0\.0\.1 won\n/);
    const connected = Number(race.stdout.match(/Connected to 127\.0\.0\.1 at ([\d.]+) ms/)![1]);
    // One clock: the trace's "connected at" and the summary's "Connected ... at" agree.
    assertMatch(race.stdout, new RegExp(` {2}127\\.0\\.0\\.1 connected at ${connected} ms\n`));
    // --trace ends with the race drawn to scale: IPv6 from 0, IPv4 about 250 ms later.
    const rows = race.stdout.split("\n");
    const v6 = rows.find((l) => /^::1 +o-+\/ +cancelled at/.test(l));
    const v4 = rows.find((l) => /^127\.0\.0\.1 +(o-*)?\* +connected at/.test(l));
    assert(v6 && v4, race.stdout);
    assert(v4!.indexOf("*") - v6!.indexOf("o") >= 40, `${v6}\n${v4}`);
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
      "--attempt-timeout",
      "0.6",
    ]);
    assertEquals(seq.code, 0, seq.stderr);
    assertMatch(seq.stdout, / {2}::1 failed at [\d.]+ ms: timed out: no answer in 600 ms\n/);
    const waited = Number(seq.stdout.match(/Connected to 127\.0\.0\.1 at ([\d.]+) ms/)![1]);
    assert(waited >= 595, `${waited} ms`);
  } finally {
    filler.close();
    v6?.close();
    await server?.stop();
  }
});

Deno.test("happy eyeballs client: one line for an unknown host, a refusal, a missing permission", async () => {
  const unknown = await deno([
    "run",
    "--allow-net",
    "examples/happy_eyeballs_client.ts",
    "no-such-host.invalid",
  ]);
  assertEquals(unknown.code, 1);
  assertMatch(
    unknown.stderr,
    /^happy_eyeballs_client: no address to connect to for "no-such-host\.invalid": IPv[46] lookup \(cannot resolve/,
  );
  assertEquals(lines(unknown.stderr).length, 1);
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
  assertEquals(lines(denied.stderr), [
    'happy_eyeballs_client: no permission to look up or reach "localhost": run with --allow-net',
  ]);
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
      "happy_eyeballs_client: timed out: no complete response in 0.3 s",
    ]);
  } finally {
    silent.close();
  }
});

Deno.test("happy_eyeballs_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/happy_eyeballs_client.ts");
});

Deno.test("timeline: the race to scale, IPv4's row starting 250 ms (40 of 50 columns) in", () => {
  const rows = timeline([
    { at: 0, kind: "resolved", family: 6, addresses: ["::1"] },
    { at: 0.5, kind: "attempt", address: "::1" },
    { at: 250.5, kind: "attempt", address: "127.0.0.1" },
    { at: 300, kind: "connected", address: "127.0.0.1" },
    { at: 300, kind: "cancelled", address: "::1", reason: "127.0.0.1 won" },
  ]);
  assertEquals(rows[0], `${" ".repeat(9)}  0 ms${"300 ms".padStart(47)}`);
  assertEquals(rows[1], `::1        o${"-".repeat(49)}/  cancelled at 300 ms`);
  assertEquals(rows[2], `127.0.0.1  ${" ".repeat(42)}o${"-".repeat(7)}*  connected at 300 ms`);
  assertMatch(rows[3], /o attempt {2}- connecting {2}\* connected {2}x failed {2}\/ cancelled/);
});

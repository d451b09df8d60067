import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { serve as serveV6, sockaddrIn6 } from "../examples/ipv6_server.ts";
import { send } from "../examples/ipv6_client.ts";
import { ipv6Bytes } from "../lib/address.ts";
import { bindUdp } from "../lib/datagram.ts";
import { deno, lines, Running, startServer } from "../lib/process.ts";
import { getservbyname, getservbyport, loadServices, parseServices } from "../lib/services.ts";
import { listenTcp } from "../lib/tcp.ts";
import { hex } from "../lib/wire.ts";
import { until } from "./_util.ts";

Deno.test("services: /etc/services format, and the built-in table when the file is missing", async () => {
  const parsed = parseServices(
    "# comment\nhttp\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\nbad line\ndomain 53/udp\n",
  );
  assertEquals(parsed, [
    { name: "http", port: 80, protocol: "tcp", aliases: ["www"] },
    { name: "domain", port: 53, protocol: "udp", aliases: [] },
  ]);
  const builtIn = await loadServices("/nonexistent/services");
  assertEquals(builtIn.source, "built-in table");
  assertMatch(builtIn.fallbackReason!, /\/nonexistent\/services/);
  for (const table of [builtIn, await loadServices()]) {
    assertEquals(getservbyname(table, "ssh"), 22);
    assertEquals(getservbyname(table, "www"), 80);
    assertEquals(getservbyport(table, 80), "http");
    assertEquals(getservbyport(table, 53, "udp"), "domain");
  }
});

Deno.test("ipv6Bytes: inet_pton for IPv6, with :: and an IPv4 tail", () => {
  assertEquals(hex(ipv6Bytes("::1")), "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01");
  assertEquals(
    hex(ipv6Bytes("[2001:db8::a:1]")),
    "20 01 0d b8 00 00 00 00 00 00 00 00 00 0a 00 01",
  );
  assertEquals(
    hex(ipv6Bytes("::ffff:127.0.0.1")),
    "00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01",
  );
  assertEquals(
    hex(ipv6Bytes("1:2:3:4:5:6:7:8")),
    "00 01 00 02 00 03 00 04 00 05 00 06 00 07 00 08",
  );
  for (const bad of ["1::2::3", "12345::", "1:2:3", "::g", "127.0.0.1"]) {
    assertThrows(() => ipv6Bytes(bad), RangeError);
  }
});

Deno.test("sockaddr_in6 as Linux fills it: family in host order, port and address in network order", () => {
  const sa = sockaddrIn6({ transport: "udp", hostname: "::1", port: 43210 });
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  assertEquals(hex(sa.subarray(0, 2)), little ? "0a 00" : "00 0a");
  assertEquals(hex(sa.subarray(2, 4)), "a8 ca"); // 43210 = 0xa8ca, big-endian
  assertEquals(hex(sa.subarray(4, 8)), "00 00 00 00");
  assertEquals(hex(sa.subarray(8, 24)), hex(ipv6Bytes("::1")));
  assertEquals(hex(sa.subarray(24)), "00 00 00 00");
});

Deno.test("ipv6 in-process: hello is dumped byte by byte with the peer's sockaddr_in6; STOP stops", async () => {
  const socket = bindUdp("::1", 0);
  const log: string[] = [];
  const serving = serveV6(socket, { log: (l) => log.push(l) });
  const port = (socket.addr as Deno.NetAddr).port;
  await send("::1", port, "hello");
  await until(() => log.length >= 6, "the dump");
  await send("[::1]", port, "STOP");
  assertEquals(await serving, "stopped");
  assertEquals(log[0], "received 5 bytes:");
  assertEquals(log[1], "0x68 ('h') 0x65 ('e') 0x6c ('l') 0x6c ('l') 0x6f ('o')");
  assertMatch(log[2], /^received from \[::1\]:\d+ message: hello$/);
  assertEquals(log[3], "the socket address of the peer is (28 bytes):");
  assertEquals(log[4].split(" ").length, 28);
  assertEquals(log.at(-1), "Stopping server");
});

Deno.test("ipv6 scripts: the header's transcript; STOP ends the server with exit 0", async () => {
  const { server, port } = await startServer(
    "examples/ipv6_server.ts",
    [],
    /Listening on \[::1\]:(\d+) \(send STOP to stop, or press Ctrl\+C\)\n/,
  );
  try {
    const out = await deno(["run", "--allow-net", "examples/ipv6_client.ts", "--port", `${port}`]);
    assertEquals([out.code, out.stdout], [0, `sent 5 bytes to [::1]:${port}\n`]);
    await server.waitFor(/scope id 0\n/);
    const stop = await deno([
      "run",
      "--allow-net",
      "examples/ipv6_client.ts",
      "--port",
      `${port}`,
      "STOP",
    ]);
    assertEquals(stop.stdout, `sent 4 bytes to [::1]:${port}\n`);
    const end = await server.wait();
    assertEquals(end.code, 0);
    const got = lines(end.stdout);
    assertEquals(got.slice(1, 3), [
      "received 5 bytes:",
      "0x68 ('h') 0x65 ('e') 0x6c ('l') 0x6c ('l') 0x6f ('o')",
    ]);
    const clientPort = Number(got[3].match(/\]:(\d+) /)![1]);
    const p = clientPort.toString(16).padStart(4, "0");
    assertMatch(
      got[5],
      new RegExp(
        `^0x[0a] 0x[0a] 0x${parseInt(p.slice(0, 2), 16).toString(16)} 0x${
          parseInt(p.slice(2), 16).toString(16)
        } `,
      ),
    );
    assertEquals(got.at(-1), "Stopping server");
  } finally {
    await server.stop();
  }
});

Deno.test("ipv6 scripts: bound to ::, an IPv4 peer shows as ::ffff:127.0.0.1", async () => {
  const { server, port } = await startServer(
    "examples/ipv6_server.ts",
    ["--host", "::"],
    /Listening on \[::\]:(\d+) /,
  );
  const v4 = bindUdp("127.0.0.1", 0);
  try {
    await server.waitFor(/IPv4 peers show as ::ffff:a\.b\.c\.d\n/);
    await v4.send(new TextEncoder().encode("hi"), {
      transport: "udp",
      hostname: "127.0.0.1",
      port,
    });
    await server.waitFor(/received from \[::ffff:127\.0\.0\.1\]:\d+ message: hi\n/);
  } finally {
    v4.close();
    await server.stop();
  }
});

Deno.test("ipv6 client: an IPv4 address is refused with the reason", async () => {
  const out = await deno(["run", "--allow-net", "examples/ipv6_client.ts", "--host", "127.0.0.1"]);
  assertEquals(out.code, 1);
  assertEquals(
    out.stderr,
    "ipv6_client: 127.0.0.1 is an IPv4 address, but an IPv6 address is needed here: an IPv6 socket cannot send to an IPv4 address\n",
  );
});

Deno.test("lookup script: getaddrinfo for localhost, ssh and 80, from /etc/services; and without permissions", async () => {
  const full = await deno([
    "run",
    "--allow-net",
    "--allow-sys=hostname,networkInterfaces",
    "--allow-read=/etc/services",
    "examples/lookup.ts",
    "localhost",
    "ssh",
  ]);
  assertEquals(full.code, 0, full.stderr);
  const got = lines(full.stdout);
  assertMatch(got[0], /^gethostname\(\) = ".+"$/);
  assertEquals(got[1], 'getaddrinfo("localhost", "ssh"):');
  assert(got.includes("  AF_INET   SOCK_STREAM  IPPROTO_TCP  127.0.0.1  port 22"), full.stdout);
  assert(got.includes('getservbyname("ssh", "tcp") = 22'));
  assert(got.includes('getservbyport(80, "tcp") = "http"'));
  assert(got.includes("(services from /etc/services)"));
  assert(got.some((l) => /^ {2}lo {2}IPv4 {2}127\.0\.0\.1\/8$/.test(l)), full.stdout);

  const bare = await deno(["run", "--allow-net", "examples/lookup.ts"]);
  assertEquals(bare.code, 0);
  assert(bare.stdout.includes("gethostname() = (needs --allow-sys=hostname)"));
  assert(
    bare.stdout.includes(
      "(services from the built-in table: no permission to read /etc/services (add --allow-read=/etc/services))",
    ),
  );
  assert(
    bare.stdout.includes(
      'getaddrinfo("localhost", "http"):\n  AF_INET   SOCK_STREAM  IPPROTO_TCP  127.0.0.1  port 80\n',
    ),
  );

  const unknown = await deno(["run", "--allow-net", "examples/lookup.ts", "no-such-host.invalid"]);
  assertEquals(unknown.code, 1);
  assertEquals(lines(unknown.stderr), [
    'lookup: cannot resolve "no-such-host.invalid": no address found for that name',
  ]);
});

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
    assertEquals(got[0], "Resolving 127.0.0.1 (AAAA and A at once; IPv4 first)");
    assertMatch(out.stdout, /\nTrying 127\.0\.0\.1 at [\d.]+ ms\n/);
    assertMatch(
      out.stdout,
      /\nConnected to 127\.0\.0\.1 after \d+ ms\nHTTP\/1\.1 404 Not Found\r?\n/,
    );
    assertEquals(got.at(-1), "Data was received in 1 reads");
    await server.waitFor(/GET \/ -> 404\n/);
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
    ]);
    assertEquals(race.code, 0, race.stderr);
    assertMatch(race.stdout, /Trying ::1 at [\d.]+ ms\n/);
    assertMatch(race.stdout, /Trying 127\.0\.0\.1 at (2[4-9]\d|[3-9]\d\d)(\.\d)? ms\n/);
    assertMatch(race.stdout, / {2}::1 cancelled: another address won\n/);
    const connected = Number(race.stdout.match(/Connected to 127\.0\.0\.1 after (\d+) ms/)![1]);
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
      "600",
    ]);
    assertEquals(seq.code, 0, seq.stderr);
    assertMatch(seq.stdout, / {2}::1 failed at [\d.]+ ms: timed out: no answer in 600 ms\n/);
    const waited = Number(seq.stdout.match(/Connected to 127\.0\.0\.1 after (\d+) ms/)![1]);
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
      "300",
    ]);
    assertEquals(out.code, 1);
    assertEquals(lines(out.stderr), [
      "happy_eyeballs_client: timed out: the peer sent nothing for 0.3 s",
    ]);
  } finally {
    silent.close();
  }
});

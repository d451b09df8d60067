import { within } from "../lib/deadline.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import { bind, dump, serve as serveV6, sockaddrIn6 } from "../examples/ipv6_server.ts";
import { send } from "../examples/ipv6_client.ts";
import { ipv6Bytes } from "../lib/address.ts";
import { hex } from "../lib/bytes.ts";
import { deno, lines, startServer } from "./_process.ts";
import { until } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";

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
  const socket = bind("::1", 0);
  const log: string[] = [];
  const serving = serveV6(socket, { log: (l: string) => void log.push(l) });
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
    await server.waitFor(/scope 0\n/);
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
  const v4 = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await server.waitFor(/IPv4 arrives too, as ::ffff:a\.b\.c\.d\n/);
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
    'ipv6_client: 127.0.0.1 is an IPv4 address: inet_pton(AF_INET6, "127.0.0.1") fails; an AF_INET6 socket reaches that host as ::ffff:127.0.0.1 (try --host ::ffff:127.0.0.1)\n',
  );
});

Deno.test("ipv6 client: the IPv4-mapped form it suggests does reach an IPv4 socket", async () => {
  const v4 = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = (v4.addr as Deno.NetAddr).port;
    const out = await deno([
      "run",
      "--allow-net",
      "examples/ipv6_client.ts",
      "--host",
      "::ffff:127.0.0.1",
      "--port",
      `${port}`,
    ]);
    assertEquals(out.stdout, `sent 5 bytes to [::ffff:127.0.0.1]:${port}\n`);
    const [data] = await within(v4.receive(), 5000, "nothing arrived");
    assertEquals(new TextDecoder().decode(data), "hello");
  } finally {
    v4.close();
  }
});

Deno.test("ipv6_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/ipv6_server.ts", [
    ["0xa8 0xca", "0x[0-9a-f]{1,2} 0x[0-9a-f]{1,2}"],
    ["a8 ca", "[0-9a-f]{2} [0-9a-f]{2}"],
  ]);
});

Deno.test("ipv6_client.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/ipv6_client.ts", [
    ["0xa8 0xca", "0x[0-9a-f]{1,2} 0x[0-9a-f]{1,2}"],
    ["a8 ca", "[0-9a-f]{2} [0-9a-f]{2}"],
  ]);
});

Deno.test("ipv6 dump: a 65,507-byte datagram shows its first 64 bytes, then how many more", () => {
  const lines = dump(new Uint8Array(65_507).fill(0x41), {
    transport: "udp",
    hostname: "::1",
    port: 1,
  });
  assertEquals(lines[0], "received 65507 bytes:");
  assertEquals(lines[1], `${"0x41 ('A') ".repeat(64)}... and 65443 more bytes`);
  assert(lines.every((l) => l.length < 1000), `${Math.max(...lines.map((l) => l.length))} chars`);
});

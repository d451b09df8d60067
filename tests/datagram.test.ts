import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  backoffSchedule,
  bindUdp,
  DatagramReceiver,
  listenUdp,
  NoReplyError,
  request,
  sameAddress,
  serveDatagrams,
} from "../lib/datagram.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("backoffSchedule: the book's waits 0.1 to 1.6 s, giving up before 3.2 s", () => {
  assertEquals(backoffSchedule(), [100, 200, 400, 800, 1600]);
  assertEquals(backoffSchedule(100, 1600), [100, 200, 400, 800, 1600]);
  assertEquals(backoffSchedule(500, 400), []);
  assertEquals(backoffSchedule(10, 100, 3), [10, 30, 90]);
});

Deno.test("DatagramReceiver: a datagram arriving after a timeout is delivered by the next wait", async () => {
  const a = new DatagramReceiver(listenUdp("127.0.0.1", 0));
  const b = listenUdp("127.0.0.1", 0);
  try {
    // Nothing has been sent: the wait times out, and its receive stays pending.
    assertEquals(await a.next(30), null);
    // The "late reply" arrives now, while no one is waiting.
    await b.send(enc.encode("late"), a.addr);
    await b.send(enc.encode("later"), a.addr);
    // A naive timeout would have left the first receive orphaned, eating "late".
    const first = await a.next(1000);
    assertEquals(dec.decode(first!.data), "late");
    assertEquals(first!.from.port, (b.addr as Deno.NetAddr).port);
    assertEquals(dec.decode((await a.next(1000))!.data), "later");
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("request: a reply to the first send that arrives during the second wait is taken", async () => {
  const client = new DatagramReceiver(listenUdp("127.0.0.1", 0));
  const server = listenUdp("127.0.0.1", 0);
  const sends: number[] = [];
  try {
    // The server answers the first request only after 80 ms: past the client's first 50 ms wait.
    const serving = (async () => {
      const [data, from] = await server.receive();
      await new Promise((r) => setTimeout(r, 80));
      await server.send(data.map((x) => x ^ 0x20), from);
    })();
    const reply = await request(client, enc.encode("abc"), server.addr as Deno.NetAddr, {
      waits: [50, 1000],
      onAttempt: (n) => sends.push(n),
    });
    await serving;
    assertEquals(dec.decode(reply.data), "ABC");
    assertEquals(reply.attempts, 2);
    assertEquals(sends, [1, 2]);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("request: silence gives NoReplyError after exactly one send per wait", async () => {
  const client = new DatagramReceiver(listenUdp("127.0.0.1", 0));
  const silent = listenUdp("127.0.0.1", 0);
  let received = 0;
  const counting = (async () => {
    try {
      while (true) {
        await silent.receive();
        received++;
      }
    } catch { /* closed */ }
  })();
  try {
    const err = await assertRejects(
      () => request(client, enc.encode("x"), silent.addr as Deno.NetAddr, { waits: [10, 20, 40] }),
      NoReplyError,
    );
    assertEquals(err.attempts, 3);
    await new Promise((r) => setTimeout(r, 20));
    assertEquals(received, 3);
  } finally {
    client.close();
    silent.close();
    await counting;
  }
});

Deno.test("request: a datagram from a stranger is ignored and reported, the server's is taken", async () => {
  const client = new DatagramReceiver(listenUdp("127.0.0.1", 0));
  const server = listenUdp("127.0.0.1", 0);
  const stranger = listenUdp("127.0.0.1", 0);
  const ignored: string[] = [];
  try {
    const serving = (async () => {
      const [data, from] = await server.receive();
      await stranger.send(enc.encode("spoof"), from);
      await new Promise((r) => setTimeout(r, 20));
      await server.send(data, from);
    })();
    const reply = await request(client, enc.encode("real"), server.addr as Deno.NetAddr, {
      waits: [2000],
      onIgnored: (d) => ignored.push(dec.decode(d.data)),
    });
    await serving;
    assertEquals(dec.decode(reply.data), "real");
    assertEquals(ignored, ["spoof"]);
  } finally {
    client.close();
    server.close();
    stranger.close();
  }
});

Deno.test("sameAddress: IPv4-mapped IPv6 equals the IPv4 address", () => {
  assert(
    sameAddress({ hostname: "::ffff:127.0.0.1", port: 1 }, { hostname: "127.0.0.1", port: 1 }),
  );
  assert(!sameAddress({ hostname: "127.0.0.1", port: 1 }, { hostname: "127.0.0.1", port: 2 }));
  assert(sameAddress({ hostname: "[::1]", port: 5 }, { hostname: "::1", port: 5 }));
});

Deno.test("serveDatagrams: a handler that throws on one datagram does not stop the server", async () => {
  const socket = bindUdp("127.0.0.1", 0);
  const log: string[] = [];
  const stop = new AbortController();
  const serving = serveDatagrams(socket, (data) => {
    if (data[0] === 0x21) throw new Error("boom");
    return data;
  }, { signal: stop.signal, log: (l) => log.push(l) });
  const client = new DatagramReceiver(listenUdp("127.0.0.1", 0));
  try {
    await client.send(enc.encode("!"), socket.addr as Deno.NetAddr);
    const reply = await request(client, enc.encode("ok"), socket.addr as Deno.NetAddr, {
      waits: [1000],
    });
    assertEquals(dec.decode(reply.data), "ok");
    assertEquals(log.length, 1);
    assertEquals(log[0].endsWith(": could not handle a datagram: boom"), true);
  } finally {
    client.close();
    stop.abort();
    await serving;
  }
});

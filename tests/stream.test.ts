import { assertEquals, assertRejects } from "@std/assert";
import {
  IncompleteReadError,
  indexOf,
  lingeringClose,
  readExactly,
  ReadTimeoutError,
  readToEnd,
  readUntil,
  TimedReader,
  TooLargeError,
  writeAll,
  WriteTimeoutError,
} from "../lib/stream.ts";
import { listenTcp } from "../lib/tcp.ts";
import { sleep } from "./_util.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A reader that hands out `chunks` one read at a time, as a fragmenting network would. */
function chunks(...parts: string[]) {
  const queue = parts.map((p) => enc.encode(p));
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    read(p: Uint8Array): Promise<number | null> {
      reads++;
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

/** A connected TCP pair on loopback. */
async function pair(): Promise<[Deno.Conn, Deno.Conn, () => void]> {
  const l = listenTcp("127.0.0.1", 0);
  const [a, b] = await Promise.all([Deno.connect({ port: l.addr.port }), l.accept()]);
  l.close();
  return [a, b, () => {
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }];
}

Deno.test("writeAll: loops over partial writes until every byte is written", async () => {
  const got: number[] = [];
  const stingy = {
    write(p: Uint8Array) {
      const n = Math.min(3, p.length); // the kernel took only 3 bytes this time
      got.push(...p.subarray(0, n));
      return Promise.resolve(n);
    },
  };
  await writeAll(stingy, enc.encode("Hi there, server"));
  assertEquals(dec.decode(new Uint8Array(got)), "Hi there, server");
});

Deno.test("readExactly: assembles fragments, stops at n, reports early EOF with the count", async () => {
  const r = chunks("Hi th", "ere, ", "server", "EXTRA");
  assertEquals(dec.decode(await readExactly(r, 16)), "Hi there, server");
  assertEquals(dec.decode(await readExactly(r, 5)), "EXTRA"); // nothing beyond 16 was taken
  const err = await assertRejects(() => readExactly(chunks("short"), 16), IncompleteReadError);
  assertEquals([err.received, err.expected, dec.decode(err.partial)], [5, 16, "short"]);
  assertEquals(err.message, "the peer closed the connection after 5 of 16 bytes");
});

Deno.test("readToEnd: everything until EOF, and a TooLargeError past the limit", async () => {
  assertEquals(dec.decode(await readToEnd(chunks("a", "bc", "def"), 6)), "abcdef");
  await assertRejects(() => readToEnd(chunks("a", "bc", "defg"), 6), TooLargeError);
  assertEquals((await readToEnd(chunks(), 10)).length, 0);
});

Deno.test("readUntil: finds a delimiter split across reads, keeps the rest, bounds the head", async () => {
  const got = await readUntil(
    chunks("GET / HTTP/1.1\r", "\n\r", "\nbody"),
    enc.encode("\r\n\r\n"),
    100,
  );
  assertEquals(dec.decode(got.head!), "GET / HTTP/1.1");
  assertEquals("rest" in got ? dec.decode(got.rest) : null, "body");
  await assertRejects(
    () => readUntil(chunks("x".repeat(50), "y".repeat(50)), enc.encode("\n\n"), 64),
    TooLargeError,
  );
  const eof = await readUntil(chunks("no end"), enc.encode("\n"), 64);
  assertEquals(eof.head, null);
  assertEquals("partial" in eof ? dec.decode(eof.partial) : "", "no end");
  // A head of exactly the limit is accepted; one byte more is not.
  const exact = await readUntil(chunks("x".repeat(64) + "\n"), enc.encode("\n"), 64);
  assertEquals(exact.head?.length, 64);
  await assertRejects(
    () => readUntil(chunks("x".repeat(65) + "\n"), enc.encode("\n"), 64),
    TooLargeError,
  );
});

Deno.test("indexOf: byte search with a start offset", () => {
  const h = enc.encode("abcabcab");
  assertEquals([
    indexOf(h, enc.encode("ca")),
    indexOf(h, enc.encode("ca"), 3),
    indexOf(h, enc.encode("cab"), 6),
  ], [2, 5, -1]);
});

Deno.test("TimedReader: a timeout loses no data; the pending read is continued", async () => {
  const [a, b, close] = await pair();
  try {
    const reader = new TimedReader(b);
    await assertRejects(() => reader.read(30), ReadTimeoutError);
    await writeAll(a, enc.encode("late"));
    await sleep(20); // the bytes land in the read that timed out
    assertEquals(dec.decode((await reader.read(1000))!), "late");
    await a.closeWrite();
    assertEquals(await reader.read(1000), null);
  } finally {
    close();
  }
});

Deno.test("lingeringClose: the reply survives a peer that sent more than we read", async () => {
  const [client, server, close] = await pair();
  try {
    await writeAll(client, new Uint8Array(100_000)); // far more than the server will read
    await readExactly(server, 16);
    await writeAll(server, enc.encode("Hello World!"));
    const closing = lingeringClose(server, 1 << 20, 200);
    const reply = await readToEnd(client, 100, { timeoutMs: 2000 });
    assertEquals(dec.decode(reply), "Hello World!");
    await closing;
  } finally {
    close();
  }
});

Deno.test("TimedReader: the buffer grows while reads fill it, up to the maximum", async () => {
  const sizes: number[] = [];
  const firehose = {
    read(p: Uint8Array) {
      sizes.push(p.length);
      return Promise.resolve(p.length); // always a full read: a bulk transfer
    },
  };
  const reader = new TimedReader(firehose, 4, 16);
  for (let i = 0; i < 5; i++) await reader.read();
  assertEquals(sizes, [4, 8, 16, 16, 16]);
});

Deno.test("lingeringClose: a zero limit or timeout closes at once (no spinning on empty reads)", async () => {
  const [client, server, close] = await pair();
  try {
    const t0 = performance.now();
    await lingeringClose(server, 0, 0);
    assertEquals(await client.read(new Uint8Array(8)), null);
    assertEquals(performance.now() - t0 < 500, true);
  } finally {
    close();
  }
});

Deno.test("writeAll: with a timeout, a write that makes no progress throws WriteTimeoutError", async () => {
  const stalled = { write: () => new Promise<number>(() => {}) }; // a peer that never reads
  await assertRejects(
    () => writeAll(stalled, enc.encode("x"), 30),
    WriteTimeoutError,
    "the peer read nothing for 0.03 s",
  );
  const slow = {
    write: (p: Uint8Array) =>
      new Promise<number>((r) => setTimeout(() => r(Math.min(2, p.length)), 5)),
  };
  await writeAll(slow, enc.encode("progress resets the clock"), 30); // 13 writes of 5 ms each
});

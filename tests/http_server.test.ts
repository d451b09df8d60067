import { assert, assertEquals, assertMatch } from "@std/assert";
import { parseHead, response, serve } from "../examples/http_server.ts";
import { deno, startServer } from "./_process.ts";
import { listenTcp, readToEnd, sleep, until, withServer, writeAll } from "./_util.ts";
import { checkTranscript } from "./_transcript.ts";
import { assertPasses } from "./grade/checks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;

/** Sends raw bytes (in pieces, with pauses, if asked), half-closes, returns the raw response. */
async function raw(
  port: number,
  parts: (string | Uint8Array)[],
  pauseMs = 0,
  host = "127.0.0.1",
): Promise<string> {
  const conn = await Deno.connect({ hostname: host, port });
  try {
    for (const p of parts) {
      await writeAll(conn, typeof p === "string" ? enc.encode(p) : p);
      if (pauseMs) await sleep(pauseMs);
    }
    await conn.closeWrite();
    return dec.decode(await readToEnd(conn, 1 << 20, 5000));
  } finally {
    conn.close();
  }
}

/** The status line of a raw response. */
const statusOf = (r: string) => r.split("\r\n")[0];

Deno.test("parseHead: a strict request line: METHOD SP target SP HTTP/x.y", () => {
  const host = "\r\nHost: a";
  assertEquals(parseHead(`GET /index.html HTTP/1.1${host}`), {
    method: "GET",
    target: "/index.html",
  });
  assertEquals(parseHead("get / HTTP/1.0"), { method: "get", target: "/" }); // 501 later: not GET
  for (
    const bad of [
      "GET  / HTTP/1.1",
      "GET / HTTP/1.1 ",
      "GET /",
      "GET / HTTP/1",
      "GET / http/1.1",
      "G(T / HTTP/1.1",
      " / HTTP/1.1", // no method at all
      "G\u0100T / HTTP/1.1", // past Latin-1: not a byte
      "GET /a b HTTP/1.1",
      "GET /é HTTP/1.1",
      "",
    ]
  ) {
    const got = parseHead(bad + host);
    assert(
      "status" in got && got.status === 400,
      `${JSON.stringify(bad)} -> ${JSON.stringify(got)}`,
    );
  }
  assertEquals((parseHead(`GET / HTTP/2.0${host}`) as { status: number }).status, 505);
  assertEquals((parseHead(`GET / HTTP/3.0${host}`) as { status: number }).status, 505);
});

Deno.test("parseHead: fields, bare LF, and the 400s RFC 9112 makes a MUST", () => {
  const ok = { method: "GET", target: "/" };
  assertEquals(parseHead("GET / HTTP/1.1\r\nHost: a\r\nX-Y:  z  "), ok);
  assertEquals(parseHead("GET / HTTP/1.1\r\nhOST: a\r\nX-Y:"), ok); // any case
  assertEquals(parseHead("GET / HTTP/1.0\nHost: a"), ok); // a bare LF ends a line too
  assertEquals(parseHead("GET / HTTP/1.0"), ok); // HTTP/1.0 needs no Host
  // Allowed, not required, by RFC 9112: we accept both Content-Length and Transfer-Encoding
  // (6.1: "MAY reject"), and a bare CR in a value we never read (2.2: invalid, or read as SP).
  const post = "POST / HTTP/1.1\r\nHost: a\r\n";
  const both = parseHead(post + "Content-Length: 5\r\nTransfer-Encoding: chunked");
  assertEquals(both, { method: "POST", target: "/" });
  assertEquals(parseHead("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb"), ok);
  assertEquals(parseHead(post + "Content-Length: 5, 5"), { method: "POST", target: "/" });
  for (
    const bad of [
      "GET / HTTP/1.1", // 3.2: an HTTP/1.1 request without Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b", // 3.2: more than one Host ...
      "GET / HTTP/1.0\r\nHost: a\r\nHost: b", // ... in any version
      "GET / HTTP/1.1\r\nHost : a", // 5.1: space before the colon
      "GET / HTTP/1.1\r\nHost: a\r\n folded",
      "GET / HTTP/1.1\r\nHost: a\r\nnocolon",
      "GET / HTTP/1.1\r\nHost: a\r\n: empty name",
      "GET / HTTP/1.1\r\nHo(st: a",
      "GET / HTTP/1.1\r\nHosts: a", // not Host: then there is none
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6", // 6.3: conflicting
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6",
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1", // 6.3: invalid
      "GET / HTTP/1.1\r\nHost: a\r\nContent-Length:",
      "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip", // 6.3: not chunked last
    ]
  ) {
    const got = parseHead(bad);
    assert("status" in got && got.status === 400, bad);
  }
});

Deno.test("response: IMF-fixdate, Content-Length equal to the body, HEAD with the same headers and no body", () => {
  // IMF-fixdate is what Date's toUTCString() writes.
  assertEquals(
    new Date(Date.UTC(1994, 10, 6, 8, 49, 37)).toUTCString(),
    "Sun, 06 Nov 1994 08:49:37 GMT",
  );
  const get = dec.decode(response(404));
  const head = dec.decode(response(404, true));
  const [getHead, body] = get.split("\r\n\r\n");
  assertEquals(head, `${getHead}\r\n\r\n`);
  assertEquals(Number(getHead.match(/Content-Length: (\d+)/)![1]), enc.encode(body).length);
  assertMatch(getHead.match(/Date: (.*)/)![1], IMF_FIXDATE);
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`http over ${host}: fetch() (a client we did not write) gets 404 for GET and HEAD, 501 otherwise`, async () => {
    const log = await withServer(listenTcp(host, 0), serve, async (addr) => {
      const base = `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
      const get = await fetch(`${base}/index.html`);
      const body = await get.text();
      assertEquals([get.status, get.statusText], [404, "Not Found"]);
      assertEquals(get.headers.get("server"), "Dummy-HTTP-Server");
      assertEquals(get.headers.get("content-type"), "text/plain; charset=utf-8");
      assertEquals(get.headers.get("connection"), "close");
      assertEquals(Number(get.headers.get("content-length")), enc.encode(body).length);
      assertMatch(get.headers.get("date")!, IMF_FIXDATE);
      assertEquals(body, "Not Found: this server has no pages at all.\n");

      const head = await fetch(`${base}/`, { method: "HEAD" });
      assertEquals([head.status, await head.text()], [404, ""]);
      assertEquals(head.headers.get("content-length"), get.headers.get("content-length"));

      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
        const r = await fetch(`${base}/x`, {
          method,
          body: method === "DELETE" || method === "OPTIONS" ? undefined : "data",
        });
        assertEquals([r.status, r.statusText, await r.text()], [
          501,
          "Not Implemented",
          "Not Implemented: this server only knows GET and HEAD.\n",
        ]);
      }
    });
    assertMatch(
      log[0],
      new RegExp(`^${host.replace(/\./g, "\\.")}#\\d+ GET /index\\.html -> 404$`),
    );
    assertMatch(log[1], /#\d+ HEAD \/ -> 404$/);
    assertMatch(log[2], /#\d+ POST \/x -> 501$/);
  });
}

Deno.test("http: get and GETX are other methods (501); malformed lines get 400; HTTP/2.0 505", async () => {
  await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    assertEquals(
      statusOf(await raw(addr.port, ["get / HTTP/1.0\r\n\r\n"])),
      "HTTP/1.1 501 Not Implemented",
    );
    assertEquals(
      statusOf(await raw(addr.port, ["GETX / HTTP/1.0\r\n\r\n"])),
      "HTTP/1.1 501 Not Implemented",
    );
    for (
      const bad of [
        "GET  / HTTP/1.0",
        "GET /",
        "hello",
        "GET / HTTP/1.1",
        "\x00\x01\x02 / HTTP/1.0",
      ]
    ) {
      assertEquals(
        statusOf(await raw(addr.port, [`${bad}\r\n\r\n`])),
        "HTTP/1.1 400 Bad Request",
        bad,
      );
    }
    assertEquals(
      statusOf(await raw(addr.port, ["GET / HTTP/2.0\r\n\r\n"])),
      "HTTP/1.1 505 HTTP Version Not Supported",
    );
    // The request target is never reflected into the response.
    const evil = await raw(addr.port, ["GET /<script>alert(1)</script> HTTP/1.0\r\n\r\n"]);
    assert(!evil.includes("<script>"));
  });
});

Deno.test("http: a 64 KiB header gets 431, and the server answers the next client", async () => {
  const log = await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    const big = await raw(addr.port, [`GET / HTTP/1.0\r\nX-Big: ${"a".repeat(64 * 1024)}\r\n\r\n`]);
    assertEquals(statusOf(big), "HTTP/1.1 431 Request Header Fields Too Large");
    assertEquals(
      statusOf(await raw(addr.port, ["GET / HTTP/1.0\r\n\r\n"])),
      "HTTP/1.1 404 Not Found",
    );
  });
  assertMatch(log[0], /\(head too large\) -> 431$/);
});

Deno.test("http: a client that sends half a line is timed out (408) while another is served", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  await withServer(listener, (l, o) => serve(l, { ...o, timeoutMs: 300 }), async (addr, log) => {
    const slow = await Deno.connect({ port: addr.port });
    try {
      await writeAll(slow, enc.encode("GET /slo"));
      assertEquals(
        statusOf(await raw(addr.port, ["GET / HTTP/1.0\r\n\r\n"])),
        "HTTP/1.1 404 Not Found",
      );
      const answer = dec.decode(await readToEnd(slow, 4096, 5000));
      assertEquals(statusOf(answer), "HTTP/1.1 408 Request Timeout");
      await until(() => log.some((l) => l.endsWith("(head unfinished) -> 408")), () => `${log}`);
      // The other client was answered first: the slow one blocked no one while it waited.
      assertMatch(log[0], /GET \/ -> 404$/);
      assertMatch(log[1], /\(head unfinished\) -> 408$/);
    } finally {
      slow.close();
    }
  });
});

Deno.test("http: a client that closes before the newline leaves the server idle, not spinning", async () => {
  // As a subprocess: if the server spun like the original, it would never answer again and the
  // next request below would fail on its 5 s read timeout (in-process, the test would just hang).
  const { server, port } = await startServer(
    "examples/http_server.ts",
    [],
    /Listening on http:\/\/127\.0\.0\.1:(\d+)\//,
  );
  try {
    assertEquals(await raw(port, ["GET / HTTP/1.0"]), ""); // EOF, no newline: no answer
    assertEquals(statusOf(await raw(port, ["GET / HTTP/1.0\r\n\r\n"])), "HTTP/1.1 404 Not Found");
    await server.waitFor(/closed before a whole head\n/);
  } finally {
    assertEquals((await server.stop("SIGINT")).code, 0);
  }
});

Deno.test("http: pipelined requests and byte-by-byte requests are answered right", async () => {
  await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    // Two requests in one write: the first is answered, whole, then the connection closes
    // gracefully (the unread second request does not turn the close into a reset).
    const piped = await raw(addr.port, [
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
    ]);
    assertEquals(piped.match(/HTTP\/1\.1 /g)?.length, 1);
    assertEquals(statusOf(piped), "HTTP/1.1 404 Not Found");
    assert(piped.endsWith("Not Found: this server has no pages at all.\n"));
    const bytes = [..."HEAD /slow HTTP/1.1\r\nHost: x\r\n\r\n"];
    const slow = await raw(addr.port, bytes, 2);
    assertEquals(statusOf(slow), "HTTP/1.1 404 Not Found");
    assert(slow.endsWith("\r\n\r\n"), "HEAD: no body");
  });
});

Deno.test("http: 200 concurrent clients all get their 404", async () => {
  await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    const all = await Promise.all(
      Array.from({ length: 200 }, (_, i) => raw(addr.port, [`GET /${i} HTTP/1.0\r\n\r\n`])),
    );
    assert(all.every((r) => statusOf(r) === "HTTP/1.1 404 Not Found"));
  });
});

Deno.test("http script: the header's transcript", async () => {
  const { server, port } = await startServer(
    "examples/http_server.ts",
    [],
    /Listening on http:\/\/127\.0\.0\.1:(\d+)\/ \(Ctrl\+C to quit\)\n/,
  );
  try {
    const r = await fetch(`http://127.0.0.1:${port}/index.html`);
    assertEquals([r.status, await r.text()], [
      404,
      "Not Found: this server has no pages at all.\n",
    ]);
    assertEquals(r.headers.get("content-length"), "44");
    const p = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "x" });
    assertEquals(
      [p.status, await p.text()].join(" "),
      "501 Not Implemented: this server only knows GET and HEAD.\n",
    );
    await server.waitFor(
      /127\.0\.0\.1#\d+ GET \/index\.html -> 404\n127\.0\.0\.1#\d+ POST \/ -> 501\n/,
    );
  } finally {
    assertEquals((await server.stop("SIGINT")).code, 0);
  }
  const bad = await deno(["run", "--allow-net", "examples/http_server.ts", "--port", "http"]);
  assertEquals(bad.code, 2);
});

Deno.test("http_server.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/http_server.ts");
});

Deno.test("http: an ambiguous Content-Length is answered 400 on the wire", async () => {
  await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    const reply = await raw(addr.port, [
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    ]);
    assertEquals(statusOf(reply), "HTTP/1.1 400 Bad Request");
  });
});

for (const host of ["127.0.0.1", "::1"]) {
  Deno.test(`http_server over ${host}: passes the grader's http-server checks (tests/grade/checks.ts)`, async () => {
    await withServer(
      listenTcp(host, 0),
      (l, o) => serve(l, { ...o, log: () => {} }),
      async (addr) => {
        await assertPasses("http-server", {
          host,
          port: addr.port,
          // In-process, the CPU of this test process is not the server's alone (the parallel
          // test files share it): the CPU check runs on the server as a subprocess, in
          // grade.test.ts, and is skipped here.
          cpu: () => Promise.resolve(NaN),
        });
      },
    );
  });
}

Deno.test("http: a browser's unused spare connection and a silent one are logged plainly", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  await withServer(listener, (l, o) => serve(l, { ...o, timeoutMs: 200 }), async (addr, log) => {
    (await Deno.connect({ hostname: "127.0.0.1", port: addr.port })).close();
    await until(() => log.length >= 1, () => log.join("\n"));
    assertMatch(log[0], /#\d+ closed before a whole head$/);
    const silent = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    await until(() => log.length >= 2, () => log.join("\n"));
    assertMatch(log[1], /#\d+ sent nothing: closed$/);
    silent.close();
  });
});

Deno.test("http: the head deadline does not cut the lingering close after a request with a body", async () => {
  const listener = listenTcp("127.0.0.1", 0);
  await withServer(listener, (l, o) => serve(l, { ...o, timeoutMs: 100 }), async (addr, log) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    await writeAll(conn, enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
    const answer = dec.decode(await readToEnd(conn, 4096)); // up to the server's FIN (shutdown)
    assertEquals(statusOf(answer), "HTTP/1.1 501 Not Implemented");
    await sleep(300); // past the 100 ms head deadline: the server still drains what we send
    for (let i = 0; i < 3; i++) {
      await writeAll(conn, enc.encode("more body")); // a closed socket would answer with a reset
      await sleep(30);
    }
    assertEquals(log.length, 1);
    assertMatch(log[0], /#\d+ POST \/ -> 501$/);
    conn.close();
  });
});

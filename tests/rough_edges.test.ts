/**
 * Small things a newcomer met, each checked here so it stays fixed: escapes in echo_client's own
 * log, udp_client's Ctrl+C hint only when it reads lines, happy eyeballs' duplicate addresses, the
 * README's npx form of a single example. (A negative --port and aligned --help columns: in
 * servers.test.ts; "1 read": happy_eyeballs_client.test.ts; site --serve: site.test.ts.)
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { client } from "../examples/echo_client.ts";
import { serve } from "../examples/echo_server.ts";
import { bind as bindUdp, serve as serveUdp } from "../examples/udp_server.ts";
import {
  connectHappyEyeballs,
  describeEvent,
  type TraceEvent,
} from "../examples/happy_eyeballs_client.ts";
import { deno, lines } from "./_process.ts";
import { listenTcp, withServer } from "./_util.ts";

Deno.test("echo_client: its own `sending` line escapes control bytes, as its `received` lines do", async () => {
  const said: string[] = [];
  await withServer(listenTcp("127.0.0.1", 0), serve, async (addr) => {
    const msg = "red \x1b[31m and \x9b2J";
    assertEquals(await client(msg, { port: addr.port }, (l) => said.push(l)), msg);
  });
  const sending = said.find((l) => l.startsWith("sending "))!;
  assertEquals(sending, 'sending "red \\x1b[31m and \\x9b2J"');
  // deno-lint-ignore no-control-regex
  assert(said.every((l) => !/[\x00-\x1f\x7f-\x9f]/.test(l)), said.join("\n"));
});

Deno.test("udp_client: with WORDS it sends once and exits: no `Press Ctrl+C to quit.`", async () => {
  await withServer(bindUdp("127.0.0.1", 0), serveUdp, async (addr) => {
    const out = await deno([
      "run",
      "--allow-net",
      "examples/udp_client.ts",
      "--port",
      `${addr.port}`,
      "hi",
    ]);
    assertEquals(out.code, 0, out.stderr);
    assertEquals(lines(out.stdout), [
      `I'm configured to send UDP packets to 127.0.0.1 on port ${addr.port}`,
      "Returned from server: HI",
    ]);
  });
});

Deno.test("happy eyeballs: an address the lookup gives twice is raced once, and the trace says so", async () => {
  const v4 = listenTcp("127.0.0.1", 0);
  const events: TraceEvent[] = [];
  try {
    const accepting = v4.accept();
    const won = await connectHappyEyeballs("twice.test", v4.addr.port, {
      resolve: (_h, family) => Promise.resolve(family === 4 ? ["127.0.0.1", "127.0.0.1"] : []),
      trace: (e) => events.push(e),
    });
    won.conn.close();
    (await accepting).close();
  } finally {
    v4.close();
  }
  assertEquals(events.filter((e) => e.kind === "attempt").length, 1);
  const v4Line =
    events.filter((e) => e.kind === "resolved" && e.family === 4).map(describeEvent)[0];
  assertMatch(v4Line, /^IPv4 addresses after [\d.]+ ms: 127\.0\.0\.1 \(1 duplicate dropped\)$/);
});

Deno.test("README: a single example runs the npx way too, next to the deno run form", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assertMatch(readme, /npx --yes deno@2\.9\.6 task udp-server/);
});

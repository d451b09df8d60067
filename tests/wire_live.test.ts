/**
 * `deno task wire`, live: tcpdump on `lo` while a pair runs. Skipped, with the reason printed,
 * where tcpdump is missing or cannot capture (in a user namespace it cannot drop to its own user,
 * so CI runs this file outside its loopback-only namespace, after installing tcpdump).
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { deno } from "./_process.ts";

const probe = await deno(["task", "-q", "wire", "udp"], { timeoutMs: 60_000 });
const why = probe.code === 2 && /^wire: /.test(probe.stderr) ? probe.stderr.trim() : "";
if (why) console.error(`the live capture tests are skipped: ${why}`);

/** The lines of `deno task wire NAME`, split into their fields. */
async function wire(name: string) {
  const out = await deno(["task", "-q", "wire", name], { timeoutMs: 60_000 });
  assertEquals(out.code, 0, out.stderr);
  return out.stdout.trim().split("\n").map((line) => {
    const m = line.match(
      /^ *([\d.]+) ms {2}(client|server):\d+ > (?:client|server):\d+ +(\S+) +(\d+) bytes(.*)$/,
    );
    assert(m, `not a packet line: ${line}`);
    return { ms: Number(m[1]), from: m[2], flags: m[3], bytes: Number(m[4]), rest: m[5] };
  });
}

Deno.test({
  name: "wire tcp: the handshake before any data, one FIN from each side, the last ACK, no reset",
  ignore: Boolean(why),
  async fn() {
    const got = await wire("tcp");
    assertEquals(got.slice(0, 3).map((p) => `${p.from} ${p.flags}`), [
      "client S",
      "server S.",
      "client .",
    ]);
    assertMatch(got[0].rest, /connect\(\)/);
    const fins = got.filter((p) => p.flags.includes("F"));
    assertEquals(fins.map((p) => p.from), ["client", "server"]);
    assertMatch(fins[0].rest, /shutdown\(SHUT_WR\)/);
    assertMatch(fins[1].rest, /close\(\)/);
    assertEquals(`${got.at(-1)!.from} ${got.at(-1)!.flags}`, "client .");
    assertEquals(got.filter((p) => p.flags.includes("R")), []);
    const data = got.filter((p) => p.bytes > 0).map((p) => `${p.from}${p.rest.split("  ")[0]}`);
    assertEquals(data, ['client "tcp is reliable"', 'server "TCP IS RELIABLE"']);
    for (let i = 1; i < got.length; i++) assert(got[i].ms >= got[i - 1].ms, "out of time order");
  },
});

Deno.test({
  name: "wire udp: one datagram each way, no handshake",
  ignore: Boolean(why),
  async fn() {
    const got = await wire("udp");
    assertEquals(got.map((p) => `${p.from} ${p.flags} ${p.bytes}`), [
      "client UDP 11",
      "server UDP 11",
    ]);
    assertMatch(got[0].rest, /"udp is lazy" {2}sendto\(\)/);
  },
});

Deno.test({
  name:
    "wire fixed-length: the server half-closes first (its lingering close), the client then closes",
  ignore: Boolean(why),
  async fn() {
    const got = await wire("fixed-length");
    const fins = got.filter((p) => p.flags.includes("F"));
    assertEquals(fins.map((p) => `${p.from}${p.rest}`), [
      "server  shutdown(SHUT_WR)",
      "client  close()",
    ]);
    assertEquals(got.filter((p) => p.flags.includes("R")), []);
  },
});

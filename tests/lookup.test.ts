import { assert, assertEquals, assertMatch } from "@std/assert";
import { getservbyname, getservbyport, loadServices, parseServices } from "../lib/services.ts";
import { deno, lines } from "./_process.ts";
import { getaddrinfo } from "../lib/resolve.ts";
import { explain } from "../lib/errors.ts";
import { checkTranscript } from "./_transcript.ts";

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
});

/** A system lookup that fails as getaddrinfo does, with `code`, and sends nothing. */
const failing = (code: string) => () => Promise.reject(Object.assign(new Error(code), { code }));

Deno.test("getaddrinfo: one wording for a name that does not exist and for no name server", async () => {
  for (
    const [code, said] of [
      ["ENOTFOUND", "no address found for nosuch.test"],
      ["EAI_NONAME", "no address found for nosuch.test"],
      ["EAI_AGAIN", "cannot resolve nosuch.test: no answer from the name server (offline?)"],
    ]
  ) {
    const err = await getaddrinfo("nosuch.test", 0, failing(code)).catch((e) => e);
    assertEquals(explain(err), said, code);
  }
  const v6 = await getaddrinfo("nosuch.test", 6, failing("ENOTFOUND")).catch((e) => e);
  assertEquals(explain(v6), "no IPv6 address found for nosuch.test");
  // A literal is never looked up.
  assertEquals(await getaddrinfo("[::1]", 0, failing("EAI_AGAIN")), [{
    address: "::1",
    family: 6,
  }]);
});

Deno.test("lookup.ts: its header's try-it transcript, run for real", async () => {
  await checkTranscript("examples/lookup.ts", [['"myhost"', '".+"']]);
});

Deno.test("loadServices: reports the file it really read", async () => {
  const other = await loadServices("examples/lookup.ts"); // readable, and not /etc/services
  assertEquals(other.source, "examples/lookup.ts");
  assertEquals(other.fallbackReason, undefined);
});

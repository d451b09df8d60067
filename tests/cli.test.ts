import { assertEquals, assertThrows } from "@std/assert";
import { HelpRequested, parseCli, parsePort, UsageError } from "../lib/cli.ts";
import { explain, UserError, withContext } from "../lib/errors.ts";
import { hashAddr, hostPort, isIPv4Literal, isIPv6Literal, stripBrackets } from "../lib/address.ts";

const spec = {
  strings: { host: "127.0.0.1", port: "12000", timeout: "1" },
  booleans: ["verbose"],
  alias: { p: "port", ipaddress: "host", ip: "host" },
  maxPositionals: 2,
};

Deno.test("parsePort: 0..65535 in decimal digits only", () => {
  assertEquals(parsePort("0"), 0);
  assertEquals(parsePort("65535"), 65535);
  assertEquals(parsePort("012000"), 12000);
  for (const bad of ["", "-1", "65536", "1e3", "0x10", " 80", "80.0", "http", "999999"]) {
    assertThrows(() => parsePort(bad), UsageError, "a port is a whole number from 0 to 65535");
  }
});

Deno.test("parseCli: defaults, aliases (the seed's -ip), booleans and positionals", () => {
  const d = parseCli([], spec);
  assertEquals([d.string("host"), d.port(), d.number("timeout"), d.flag("verbose")], [
    "127.0.0.1",
    12000,
    1,
    false,
  ]);
  const c = parseCli(["-ip", "::1", "-p", "5", "--verbose", "a", "b"], spec);
  assertEquals([c.string("host"), c.port(), c.flag("verbose"), c.positionals], ["::1", 5, true, [
    "a",
    "b",
  ]]);
  assertEquals(parseCli(["--ipaddress=10.0.0.1", "--port=7"], spec).string("host"), "10.0.0.1");
});

Deno.test("parseCli: unknown flags, missing values, repeats and extra arguments are usage errors", () => {
  assertThrows(() => parseCli(["--prot", "1"], spec), UsageError, 'unknown flag "--prot"');
  assertThrows(() => parseCli(["-x"], spec), UsageError, 'unknown flag "-x"');
  assertThrows(() => parseCli(["--port"], spec), UsageError, "--port needs a value");
  assertThrows(() => parseCli(["-p"], spec), UsageError, "--port needs a value");
  assertThrows(() => parseCli(["--port", "1", "--port", "2"], spec), UsageError, "more than once");
  assertThrows(() => parseCli(["a", "b", "c"], spec), UsageError, 'too many arguments: "c"');
  assertThrows(() => parseCli(["x"], { strings: {} }), UsageError, 'unexpected argument "x"');
  assertThrows(
    () => parseCli(["--timeout", "soon"], spec).number("timeout", 0),
    UsageError,
    'bad --timeout "soon"',
  );
  assertThrows(() => parseCli(["--timeout", "-1"], spec).number("timeout", 0), UsageError);
  assertThrows(() => parseCli(["-h"], spec), HelpRequested);
  assertThrows(() => parseCli(["--help"], spec), HelpRequested);
});

Deno.test("explain: context chain plus a hint for the root cause", () => {
  const inUse = new Deno.errors.AddrInUse("Address already in use (os error 98)");
  assertEquals(
    explain(withContext("cannot bind 127.0.0.1:1", inUse)).split(": ").slice(0, 2),
    ["cannot bind 127.0.0.1:1", "address already in use"],
  );
  assertEquals(explain(new UserError("plain")), "plain");
  assertEquals(
    explain(new Deno.errors.ConnectionRefused("x")),
    "connection refused: nothing listens there; is the server running, on that host and port?",
  );
});

Deno.test("addresses: the seeds' ip#port and the URL-style [v6]:port", () => {
  assertEquals(hashAddr({ hostname: "127.0.0.1", port: 53309 }), "127.0.0.1#53309");
  assertEquals(hostPort({ hostname: "::1", port: 55555 }), "[::1]:55555");
  assertEquals(hostPort({ hostname: "127.0.0.1", port: 80 }), "127.0.0.1:80");
  assertEquals(stripBrackets("[::1]"), "::1");
  assertEquals([isIPv4Literal("127.0.0.1"), isIPv4Literal("256.0.0.1"), isIPv4Literal("a.b.c.d")], [
    true,
    false,
    false,
  ]);
  assertEquals([isIPv6Literal("::1"), isIPv6Literal("localhost")], [true, false]);
});

Deno.test("parseCli: numbers are decimal only (no hex, exponent or spaces)", () => {
  const spec = { strings: { timeout: "1" } };
  assertEquals(parseCli(["--timeout", "2.5"], spec).number("timeout", 0, 10), 2.5);
  assertEquals(parseCli(["--timeout", ".5"], spec).number("timeout", 0, 10), 0.5);
  for (const bad of ["0x10", "1e1", " 5", "5 ", "-1", "+1", "Infinity", ""]) {
    assertThrows(
      () => parseCli([`--timeout=${bad}`], spec).number("timeout", 0, 100),
      UsageError,
      "expected a number",
    );
  }
});

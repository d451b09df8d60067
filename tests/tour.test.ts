/**
 * The tour (tests/tour.ts): its command line, its lines streamed as they are printed, and events in
 * their true order (a server's line about a request before the client's line about the reply).
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { Running } from "./_process.ts";

Deno.test("tour: an unknown section is a usage error; --help lists the sections", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "tests/tour.ts", ...args],
      cwd: new URL("..", import.meta.url),
      env: { NO_COLOR: "1" },
    }).output();
  for (const bad of ["99", "abc", "0"]) {
    const out = await run([bad]);
    assertEquals(out.code, 2, bad);
    assertMatch(new TextDecoder().decode(out.stderr), new RegExp(`^tour: no section "${bad}"`));
  }
  const help = new TextDecoder().decode((await run(["--help"])).stdout);
  assertMatch(help, /^Runs every example on loopback/);
  assertMatch(help, /^ {9}1 {2}UDP uppercase/m);
  assertMatch(help, /^ {8}10 {2}Happy eyeballs/m);
});

/** Runs the tour's `sections` as `deno task tour` does; each line it printed, and when. */
async function tour(...sections: string[]): Promise<[number, string][]> {
  const run = new Running([
    "run",
    "--allow-net=127.0.0.1,[::1],localhost",
    `--allow-run=${Deno.execPath()},tcpdump`,
    "--allow-read=tests/fixtures/wire,/tmp",
    "--allow-write=/tmp",
    "tests/tour.ts",
    ...sections,
  ]);
  const seen: [number, string][] = [];
  run.follow((line) => seen.push([performance.now(), line]));
  const end = await run.wait();
  assertEquals(end.code, 0, end.stderr);
  return seen;
}

Deno.test("tour: lines stream as they are printed, tagged with their program", async () => {
  const seen = await tour("10");
  // The --sequential run waits 2 s on the dead IPv6 address: its first line must be shown
  // then, not when the run ends (before, each step's output came in one block at its end).
  const start = seen.findIndex(([, l]) => l.includes("--sequential"));
  const trying = seen.find(([, l], i) =>
    i > start && /happy_eyeballs_client +\| Trying ::1/.test(l)
  );
  const gaveUp = seen.find(([, l], i) => i > start && /\| +::1 cancelled at 2\d{3}/.test(l));
  assert(trying && gaveUp, seen.map(([, l]) => l).join("\n"));
  assert(gaveUp[0] - trying[0] > 1500, `shown ${(gaveUp[0] - trying[0]).toFixed(0)} ms apart`);
});

Deno.test("tour: a server's line about a request comes before the client's line about the reply", async () => {
  const seen = (await tour("1", "3")).map(([, line]) => line);
  const at = (re: RegExp) => {
    const i = seen.findIndex((l) => re.test(l));
    assert(i >= 0, `no ${re} in:\n${seen.join("\n")}`);
    return i;
  };
  // UDP: the server logs the datagram, then replies; the client prints the reply it got.
  assert(
    at(/udp_server +\| Received from .*: udp is lazy$/) <
      at(/udp_client +\| Returned from server: UDP IS LAZY$/),
  );
  // Echo: the server logs the connection and each chunk before the client prints the echo.
  assert(at(/echo_server +\| connection - /) < at(/echo_client +! received "/));
  assert(at(/echo_server +\| received "/) < at(/echo_client +! received "/));
});

Deno.test("tour: the TCP pair on the wire, in short: the handshake first, one FIN each side, the last ACK", async () => {
  const seen = (await tour("2")).map(([, line]) => line);
  const head = seen.find((l) => l.startsWith("On the wire (deno task wire tcp: "));
  assert(head, seen.join("\n"));
  assertMatch(head, /: (tcpdump on lo, just now|recorded on \d{4}-\d\d-\d\d; here, .+)\):$/);
  const wire = seen.filter((l) => /^ {2}tcpdump +\| /.test(l)).map((l) =>
    l.replace(/^ {2}tcpdump +\| /, "").replace(/ {2,}/g, "  ")
  );
  assertEquals(wire.slice(0, 3), [
    "client > server  SYN  connect() to 127.0.0.1",
    "server > client  SYN, ACK  the server's kernel answers; accept() is not needed yet",
    "client > server  ACK",
  ]);
  assertEquals(wire.filter((l) => l.includes("FIN")), [
    "client > server  FIN, ACK  shutdown(SHUT_WR)",
    "server > client  FIN, ACK  close()",
  ]);
  assertEquals(wire.at(-1), "client > server  ACK");
});

/**
 * What every client says when a name cannot be looked up, run where no name server can be
 * reached: a network namespace with only loopback (`unshare -rn`), so no lookup leaves the machine.
 */
import { assertEquals } from "@std/assert";
import { canIsolate, denoOffline, lines } from "./_process.ts";

const isolated = await canIsolate();
import { explain, withContext } from "../lib/errors.ts";

const NAME = "nosuch.invalid";
const OFFLINE = `cannot resolve ${NAME}: no answer from the name server (offline?)`;

const CLIENTS: [string, string[], string][] = [
  ["udp_client", ["--host", NAME, "hi"], `udp_client: ${OFFLINE}`],
  ["udp_backoff_client", ["--host", NAME], `udp_backoff_client: ${OFFLINE}`],
  ["ipv6_client", ["--host", NAME], `ipv6_client: ${OFFLINE}`],
  ["lookup", [NAME], `lookup: ${OFFLINE}`],
  ["tcp_client", ["--host", NAME, "hi"], `tcp_client: cannot connect to ${NAME}:12000: ${OFFLINE}`],
  [
    "echo_client",
    ["--host", NAME, "hi"],
    `echo_client: cannot connect to ${NAME}:10000: ${OFFLINE}`,
  ],
  [
    "fixed_length_client",
    ["--host", NAME],
    `fixed_length_client: cannot connect to ${NAME}:1060: ${OFFLINE}`,
  ],
  ["happy_eyeballs_client", [NAME], `happy_eyeballs_client: ${OFFLINE}`],
];

for (const [script, args, said] of CLIENTS) {
  Deno.test({
    name:
      `${script}: a name with no name server to ask is one line, the same words in every client`,
    ignore: !isolated,
    async fn() {
      const out = await denoOffline(["run", "--allow-net", `examples/${script}.ts`, ...args]);
      assertEquals(out.code, 1, out.stderr);
      // The error line (echo_client also logs its steps on stderr, as the course's skeleton does).
      const errors = lines(out.stderr).filter((l) => l.startsWith(`${script}: `));
      assertEquals(errors, [said], out.stderr);
    },
  });
}

Deno.test("explain: Deno.connect's lookup failures, in the same words as getaddrinfo's", () => {
  const context = (message: string) =>
    withContext(
      "cannot connect to nosuch.test:80",
      new Error(`failed to lookup address information: ${message}`),
    );
  assertEquals(
    explain(context("Name or service not known")),
    "cannot connect to nosuch.test:80: no address found for nosuch.test",
  );
  assertEquals(
    explain(context("Temporary failure in name resolution")),
    "cannot connect to nosuch.test:80: cannot resolve nosuch.test: no answer from the name server (offline?)",
  );
});

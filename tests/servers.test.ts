/**
 * What every server keeps doing under load and abuse, each run as a real subprocess: it exits 0
 * on SIGINT and SIGTERM, serves 500 clients at once, survives a datagram flood, and is idle
 * afterwards. (Descriptors: servers_limits.test.ts; command lines: scripts.test.ts.)
 */
import { assert, assertEquals } from "@std/assert";
import {
  assertIdle,
  assertServes,
  exchange,
  STACK,
  start,
  stopped,
  TCP_SERVERS,
  UDP_SERVERS,
} from "./_servers.ts";

const linux = Deno.build.os === "linux";

for (const spec of [...TCP_SERVERS, ...UDP_SERVERS]) {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.test(`${spec.script}: serves, then exits 0 on ${signal}`, async () => {
      const { server, port } = await start(spec);
      try {
        await assertServes(spec, port, server);
      } finally {
        await stopped(server, signal);
      }
    });
  }
}

for (const spec of TCP_SERVERS) {
  Deno.test(`${spec.script}: 500 clients at once are all served`, async () => {
    const { server, port } = await start(spec);
    try {
      const replies = await Promise.all(
        Array.from({ length: 500 }, () => exchange(port, spec.ask)),
      );
      assertEquals(replies.filter(([r]) => r.startsWith(spec.want)).length, 500);
      if (linux) await assertIdle(server.pid, spec.script);
    } finally {
      await stopped(server);
    }
  });
}

for (const spec of UDP_SERVERS) {
  Deno.test(`${spec.script}: 20,000 datagrams of 0 to 65,507 bytes are survived; idle after`, async () => {
    const { server, port } = await start(spec);
    const flood = Deno.listenDatagram({ transport: "udp", hostname: spec.host, port: 0 });
    try {
      const to = { transport: "udp" as const, hostname: spec.host, port };
      const sizes = [0, 1, 512, 1472, 65_507].map((n) => new Uint8Array(n).fill(0x78));
      for (let i = 0; i < 20_000; i++) await flood.send(sizes[i % sizes.length], to);
      await assertServes(spec, port, server);
      if (linux) await assertIdle(server.pid, spec.script);
      assert(!STACK.test(server.stderr), server.stderr);
    } finally {
      flood.close();
      await stopped(server);
    }
  });
}

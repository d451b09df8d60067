/**
 * The floor for a TCP uppercase server on Deno's socket API, for `deno task bench`: read 64 KiB,
 * upper-case in place, write it all, until EOF. No deadline, no cap, no log.
 */
// `--port N` (default 0: the OS picks one).
const PORT = Deno.args[0] === "--port" ? Number(Deno.args[1]) : 0;
import { asciiUpper } from "../../lib/bytes.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: PORT });
console.log(`serverPort: ${listener.addr.port}`);
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) {
        const data = asciiUpper(buf.subarray(0, n));
        for (let off = 0; off < n;) off += await conn.write(data.subarray(off));
      }
    } catch { /* reset */ }
    conn.close();
  })();
}

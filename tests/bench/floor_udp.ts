/**
 * The floor for a UDP server on Deno's socket API, for `deno task bench`: a bare `receive(buf)`
 * loop that sends each datagram back upper-cased. No log, nothing else.
 */
// `--port N` (default 0: the OS picks one).
const PORT = Deno.args[0] === "--port" ? Number(Deno.args[1]) : 0;
import { asciiUpper } from "../../lib/bytes.ts";

const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: PORT });
console.log(`serverPort: ${(socket.addr as Deno.NetAddr).port}`);
const buf = new Uint8Array(65536);
while (true) {
  const [data, from] = await socket.receive(buf);
  await socket.send(asciiUpper(data), from);
}

/**
 * The floor for a UDP server on Deno's socket API, for `deno task bench`: a bare `receive(buf)`
 * loop that sends each datagram back upper-cased. No log, nothing else. With `--log`, the same
 * loop plus udp_server's log line per datagram: the bench shows what that line alone costs.
 */
// `--port N` (default 0: the OS picks one), `--log`.
const PORT = Deno.args[0] === "--port" ? Number(Deno.args[1]) : 0;
import { asciiUpper, printable } from "../../lib/bytes.ts";
import { hashAddr } from "../../lib/address.ts";
// Loaded only with --log, so the bare floor loads no more than it did.
const log = Deno.args.includes("--log")
  ? (await import("../../lib/log.ts")).stdoutLogger
  : undefined;

const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: PORT });
console.log(`serverPort: ${(socket.addr as Deno.NetAddr).port}`);
const buf = new Uint8Array(65536);
while (true) {
  const [data, from] = await socket.receive(buf);
  if (log) log(`Received from ${hashAddr(from)}: ${printable(data)}`);
  await socket.send(asciiUpper(data), from);
}

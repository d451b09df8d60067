/**
 * The floor for an HTTP server on Deno's socket API, for `deno task bench`: accept, one read,
 * a fixed 404, close. No deadline, no limit, no parsing, no log: nothing to go faster with.
 */
// `--port N` (default 0: the OS picks one).
const PORT = Deno.args[0] === "--port" ? Number(Deno.args[1]) : 0;
const listener = Deno.listen({ hostname: "127.0.0.1", port: PORT });
console.log(`Listening on http://127.0.0.1:${listener.addr.port}/`);
const body = "Not Found: this server has no pages at all.\n";
const reply = new TextEncoder().encode(
  `HTTP/1.1 404 Not Found\r\nDate: ${new Date().toUTCString()}\r\nServer: Dummy-HTTP-Server\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
    `Connection: close\r\n\r\n${body}`,
);
for await (const conn of listener) {
  (async () => {
    try {
      await conn.read(new Uint8Array(8192));
      await conn.write(reply);
    } catch { /* the client went away */ }
    conn.close();
  })();
}

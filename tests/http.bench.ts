/**
 * Micro-benchmarks of the HTTP server's per-request work (`deno bench tests/`): parsing a
 * typical head (wrk's, curl's) and finding its end.
 */
import { parseHead, response } from "../examples/http_server.ts";

const WRK = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
const CURL = new TextEncoder().encode(
  "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
);

Deno.bench("parseHead: wrk's 2-line head", () => {
  parseHead(WRK.subarray(0, WRK.length - 4));
});

Deno.bench("parseHead: curl's 4-line head", () => {
  parseHead(CURL.subarray(0, CURL.length - 4));
});

Deno.bench("response: the cached 404", () => {
  response(404);
});

/**
 * Micro-benchmarks of the HTTP server's per-request work (`deno bench tests/`): parsing a
 * typical head (wrk's, curl's) and finding its end.
 */
import { parseHead, response } from "../examples/http_server.ts";

const WRK = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080";
const CURL =
  "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*";

Deno.bench("parseHead: wrk's 2-line head", () => {
  parseHead(WRK);
});

Deno.bench("parseHead: curl's 4-line head", () => {
  parseHead(CURL);
});

Deno.bench("response: a 404", () => {
  response(404);
});

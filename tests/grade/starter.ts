/**
 * `deno task grade --starter EXERCISE [--lang ts|py]`: a program for a student to complete.
 *
 * The TypeScript starter is cut from the lesson itself: its flags, its loops and its log lines
 * stay; each socket call becomes `todo("...")`, naming the Python or C call and the Deno call that
 * does it. Saved at the repository's root (its imports are `./lib/...`), it runs, stops at the
 * first TODO with one line, and fails the exercise's checks until it is completed.
 * The Python starter is the document's program in outline, taking its port (a client: host, then
 * port) as plain arguments, as the documents' programs do.
 */
import { PY_STARTERS } from "./starter_py.ts";

/** The lesson each exercise is cut from. */
export const LESSONS: Record<string, string> = {
  "udp-server": "udp_server",
  "udp-client": "udp_client",
  "tcp-server": "tcp_server",
  "tcp-client": "tcp_client",
  "echo-server": "echo_server",
  "echo-client": "echo_client",
  "fixed-length-server": "fixed_length_server",
  "udp-length-server": "udp_length_server",
  "http-server": "http_server",
};

/** Each socket call of the lessons: the method as written, the Python or C call, its type. */
const CALLS: [RegExp, string, string][] = [
  [/Deno\.listenDatagram\(/, "socket(AF_INET, SOCK_DGRAM) and bind()", "Deno.DatagramConn"],
  [/Deno\.listen\(/, "socket(AF_INET, SOCK_STREAM), bind() and listen()", "Deno.TcpListener"],
  [/Deno\.connect\(/, "socket() and connect()", "Promise<Deno.TcpConn>"],
  [/\b\w+\.accept\(/, "accept()", "Promise<Deno.TcpConn>"],
  [/\b\w+\.receive\(/, "recvfrom()", "Promise<[Uint8Array, Deno.Addr]>"],
  [/\b\w+\.send\(/, "sendto()", "Promise<number>"],
  [/\b\w+\.read\(/, "recv()", "Promise<number | null>"],
  [/\b\w+\.write\(/, "send()", "Promise<number>"],
  [/\b\w+\.closeWrite\(/, "shutdown(SHUT_WR)", "Promise<void>"],
];

/** Replaces every socket call in `source` by a `todo(...)` naming it; returns the count too. */
export function cutCalls(source: string): [string, number] {
  let out = "", count = 0;
  let rest = source;
  while (true) {
    let first: { at: number; length: number; python: string; type: string } | undefined;
    for (const [pattern, python, type] of CALLS) {
      const m = pattern.exec(rest);
      if (m && (!first || m.index < first.at)) {
        first = { at: m.index, length: m[0].length, python, type };
      }
    }
    if (!first) return [out + rest, count];
    // The call runs to its matching parenthesis.
    let depth = 1, end = first.at + first.length;
    while (depth > 0 && end < rest.length) {
      if (rest[end] === "(") depth++;
      if (rest[end] === ")") depth--;
      end++;
    }
    const deno = rest.slice(first.at, first.at + first.length) + "...)";
    const named = JSON.stringify(`${first.python}: ${deno}`);
    out += rest.slice(0, first.at) + `todo<${first.type}>(${named})`;
    rest = rest.slice(end);
    count++;
  }
}

/** The TypeScript starter for `exercise`, cut from its lesson. */
export async function tsStarter(exercise: string): Promise<string> {
  const lesson = LESSONS[exercise];
  const url = new URL(`../../examples/${lesson}.ts`, import.meta.url);
  const source = await Deno.readTextFile(url);
  const body = source.slice(source.indexOf("*/\n") + 3).replaceAll('from "../lib/', 'from "./lib/');
  const [cut, count] = cutCalls(body);
  const role = exercise.endsWith("client") ? "client" : "server";
  const message = exercise === "echo-client" ? " {message}" : "";
  const flags = (role === "client" ? "--host {host} --port {port}" : "--port {port}") + message;
  const head = `/**
 * A starter for the ${exercise} exercise, cut from examples/${lesson}.ts: its flags, loops and log
 * lines are there; its ${count} socket calls are not. Each \`todo(...)\` names the Python or C call
 * to make and the Deno call that makes it: replace it with that call, then check your program:
 *
 *   deno task grade ${exercise} -- deno run --allow-net my_${lesson}.ts ${flags}
 *
 * Save this file at the repository's root (its imports are ./lib/...). Until every TODO is done
 * the program stops at the first one it reaches, with one line naming it.
 */
`;
  const todo = `
/** Stands for a socket call still to write: stops the program with a line naming it. */
function todo<T>(call: string): T {
  throw new Error(\`TODO: \${call}\`);
}
`;
  return head + cut.trimEnd() + "\n" + todo;
}

/** The starter for `exercise` in `lang`, or undefined when there is none. */
export async function starter(exercise: string, lang: "ts" | "py"): Promise<string | undefined> {
  if (!(exercise in LESSONS)) return undefined;
  return lang === "ts" ? await tsStarter(exercise) : PY_STARTERS[exercise];
}

/**
 * One transcript, one truth: reads the "try it" transcript from an example's header and runs it,
 * each terminal's command as a real subprocess, checking that every program prints what the
 * header says. Ports, peers' port numbers, dates and timings may differ from run to run; a line
 * `...` stands for any number of lines. It returns every line each program printed, stamped, for
 * the site's merged two-terminal view.
 */
import { assert } from "@std/assert";
import { lines, ROOT, Running } from "./_process.ts";
import { sleep, within } from "../lib/deadline.ts";

/** One terminal of a transcript: the command typed and the lines it printed. */
export interface Terminal {
  /** The command after `$ `. */
  command: string;
  /** Its words, quotes removed. */
  argv: string[];
  /** What it printed (the prompt lines of typed input included). */
  output: string[];
}

/** One line a program printed during a run, stamped, for a merged two-terminal view. */
export interface Captured {
  /** ms since the run started. */
  at: number;
  /** The terminal's command. */
  command: string;
  /** stdout or stderr. */
  stream: "stdout" | "stderr";
  /** The line. */
  line: string;
}

/** What else differs from run to run in some transcripts: literal text, and its pattern. */
const PORT_BYTES: [string, string][] = [
  ["0xa8 0xca", "0x[0-9a-f]{1,2} 0x[0-9a-f]{1,2}"],
  ["a8 ca", "[0-9a-f]{2} [0-9a-f]{2}"],
];
const VARIES: Record<string, [string, string][]> = {
  "examples/ipv6_server.ts": PORT_BYTES,
  "examples/ipv6_client.ts": PORT_BYTES,
  "examples/lookup.ts": [['"myhost"', '".+"']], // this machine's name
};

/** The servers of this repository: their terminal is started first and stopped last. */
const SERVERS = /examples\/\w+_server\.ts$/;
/** The default ports the transcripts use: replaced by the port the server really got. */
const PORTS = new Set(["12000", "10000", "1060", "8080", "55555"]);
/** A typed line: the prompt, then what the student typed. */
const PROMPT = /^(Input lowercase (?:text|sentence): )(.*)$/;

/** Splits a command line into words, honouring double and single quotes. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/**
 * The terminals of `example`'s header transcript (the first ```text block of its JSDoc).
 *
 * @param example the path from the repository root, `examples/udp_server.ts`
 */
export async function transcript(example: string): Promise<Terminal[]> {
  const text = await Deno.readTextFile(`${ROOT}${example}`);
  const header = text.slice(0, text.indexOf("*/")).split("\n").map((l) => l.replace(/^ \* ?/, ""));
  const start = header.indexOf("```text");
  assert(start >= 0, `${example}: no text block in the header`);
  const terminals: Terminal[] = [];
  for (const line of header.slice(start + 1, header.indexOf("```", start + 1))) {
    if (line.startsWith("$ ")) {
      const command = line.slice(2);
      terminals.push({ command, argv: words(command), output: [] });
    } else terminals.at(-1)?.output.push(line);
  }
  for (const t of terminals) while (t.output.at(-1) === "") t.output.pop();
  assert(terminals.length > 0, `${example}: the transcript has no command`);
  return terminals;
}

/** Regular-expression source for one expected line: varying parts become wildcards. */
function linePattern(line: string, vary: [string, string][]): string {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  let src = "";
  // Split on the literal strings that vary, keep each as its pattern.
  const cut = vary.length === 0
    ? [line]
    : line.split(new RegExp(`(${vary.map(([s]) => escape(s)).join("|")})`));
  for (const piece of cut) {
    const v = vary.find(([s]) => s === piece);
    if (v) {
      src += v[1];
      continue;
    }
    src += escape(piece)
      .replace(
        /[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/,
        "[A-Z][a-z]{2}, \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d GMT",
      )
      .replace(/\d+(\\\.\d+)? ms\b/g, "\\d+(\\.\\d+)? ms")
      .replace(/\d{4,}/g, "\\d+"); // ports (the server's and the peers' ephemeral ones)
  }
  return `^${src}$`;
}

/**
 * Asserts that `actual` lines are the `expected` ones: line by line, `...` matching any number
 * of lines, 4+ digit numbers (ports), dates and `N ms` timings matching any value.
 */
export function assertLines(
  actual: string[],
  expected: string[],
  what: string,
  vary: [string, string][] = [],
): void {
  const match = (a: number, e: number): boolean => {
    if (e === expected.length) return a === actual.length;
    if (expected[e].trim() === "...") {
      for (let k = a; k <= actual.length; k++) if (match(k, e + 1)) return true;
      return false;
    }
    return a < actual.length && new RegExp(linePattern(expected[e], vary)).test(actual[a]) &&
      match(a + 1, e + 1);
  };
  assert(
    match(0, 0),
    `${what}: the output is not the header's transcript.\nexpected:\n${
      expected.join("\n")
    }\nactual:\n${actual.join("\n")}`,
  );
}

/** The words after `deno`, with the port set to `port` (replaced, or `--port` added). */
function withPort(argv: string[], port: string): string[] {
  const args = argv.slice(1).map((a) => (PORTS.has(a) ? port : a));
  return args.some((a, i) => a === port && i > 0) ? args : [...args, "--port", port];
}

/**
 * Runs `example`'s transcript: its server (if any) on a free port, then each client command in
 * order with that port and the typed lines as stdin; checks every terminal's output.
 *
 * @param example the example whose header holds the transcript
 * @param vary literal strings of the transcript that differ per run, and their patterns
 */
export async function checkTranscript(
  example: string,
  vary: [string, string][] = VARIES[example] ?? [],
): Promise<Captured[]> {
  const terminals = await transcript(example);
  const serverTerm = terminals.find((t) => SERVERS.test(t.argv.find((w) => w.endsWith(".ts"))!));
  const captured: Captured[] = [];
  const t0 = performance.now();
  const record = (command: string) => (line: string, stream: "stdout" | "stderr") =>
    captured.push({ at: performance.now() - t0, command, stream, line });
  let server: Running | undefined;
  let port = "";
  if (serverTerm) {
    server = new Running(withPort(serverTerm.argv, "0"));
    server.follow(record(serverTerm.command));
    const m = await server.waitFor(/(?:serverPort: |:)(\d+)[\s/),]/);
    port = m[1];
  }
  try {
    for (const t of terminals.filter((t) => t !== serverTerm)) {
      assert(t.argv[0] === "deno" || t.argv[0] === "curl", `${example}: ${t.command}`);
      const typed = t.output.map((l) => l.match(PROMPT)).filter((m) => m !== null);
      const expected = t.output.filter((l) => !PROMPT.test(l));
      const stdin = typed.length > 0 ? typed.map((m) => m![2]).join("\n") + "\n" : undefined;
      if (t.argv[0] === "curl") {
        const url = t.argv.at(-1)!.replace(/:\d+\//, `:${port}/`);
        const out = await new Deno.Command("curl", { args: [...t.argv.slice(1, -1), url] })
          .output().catch((err) => {
            if (!(err instanceof Deno.errors.NotFound)) throw err;
            console.log(`${example}: curl is not installed; its terminal was not checked`);
            return null;
          });
        if (out === null) continue;
        const got = new TextDecoder().decode(out.stdout).replace(/\r/g, "");
        for (const line of lines(got)) record(t.command)(line, "stdout");
        assertLines(lines(got), expected, `${example}: ${t.command}`, vary);
        continue;
      }
      const args = server ? withPort(t.argv, port) : t.argv.slice(1);
      const child = new Running(args, stdin);
      child.follow(record(t.command));
      const out = await within(child.wait(), 20_000, `${t.command}: still running after 20 s`)
        .catch(async (err) => {
          await child.stop("SIGKILL");
          throw err;
        });
      assertLines(
        [...lines(out.stderr), ...lines(out.stdout)].map((l) => l.replace(/\r$/, "")),
        expected,
        `${example}: ${t.command}`,
        vary,
      );
    }
    if (server && serverTerm) {
      const want = [...serverTerm.output, "..."]; // and whatever it printed since
      const done = () => {
        try {
          assertLines(lines(server!.stdout), want, "", vary);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 100 && !done(); i++) await sleep(50);
    }
  } finally {
    const end = await server?.stop("SIGINT");
    if (end && serverTerm) {
      const want = [...serverTerm.output, "..."];
      assertLines(lines(end.stdout), want, `${example}: ${serverTerm.command}`, vary);
      assert(end.code === 0, `${serverTerm.command} exits 0 on Ctrl-C, not ${end.code}`);
    }
  }
  return captured;
}

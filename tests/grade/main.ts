/**
 * `deno task grade`: checks a student's server or client, in any language, against the protocol
 * checks the examples pass.
 *
 * ```sh
 * deno task grade                                    # the exercises, one line each
 * deno task grade echo-server -- python3 echo_server.py {port}
 * deno task grade udp-client -- ./udp_client -ip {host} -p {port}
 * deno task grade http-server --json -- node server.js --port {port}
 * ```
 *
 * `{host}` and `{port}`: for a server, the loopback address and a free port it must listen on
 * (the program is started afresh for each check, so one failure cannot spill into the next); for
 * a client, where the grader's own server listens. `{message}`: for echo-client, the message as
 * one argument (without it, the message is a line of stdin). Exit 0 when every check passes, 1
 * when one fails, 2 on a usage error.
 */
import { bold, green, red, setColorEnabled, yellow } from "@std/fmt/colors";
import {
  type ClientTarget,
  type Exercise,
  exercise,
  EXERCISES,
  type ServerTarget,
} from "./checks.ts";
import { Failed, Skipped } from "./net.ts";
import {
  CannotStart,
  type ClientRun,
  freePort,
  startProgram,
  substitute,
  waitBound,
} from "./program.ts";
import { exceptionLine, type Running } from "../_process.ts";
import { within } from "../../lib/deadline.ts";
import { LESSONS, starter } from "./starter.ts";

const USAGE = `usage: deno task grade [EXERCISE [options] -- COMMAND...]
  EXERCISE        one of the exercises below; without one, they are listed
  --format F      text (default), json (one object), junit (JUnit XML), gradescope (results.json)
  --json          the same as --format json
  --name LABEL    a label for the report, such as a student's id (json, junit, gradescope)
  --starter EXERCISE [--lang ts|py]
                  print a program to complete: the lesson with each socket call a TODO (ts, the
                  default; save it at the repository's root), or the document's program (py)
  --sandbox       grade inside a bubblewrap sandbox: a network with only loopback, every file
                  read-only but a fresh empty /tmp (for code written by others; Linux, bwrap)
  --help, -h      this help
  COMMAND         how to run the program. {port}: for a server, the free loopback port it must
                  listen on (it is started afresh for each check); for a client, where the
                  grader's own server listens. {host}: that server's address (127.0.0.1).
                  {message}: for echo-client, the message as one argument (else a line of stdin).
exit codes: 0 every check passed, 1 a check failed, 2 a usage error or a program that cannot start`;

const FORMATS = ["text", "json", "junit", "gradescope"] as const;
type Format = typeof FORMATS[number];

/** The result of one check. */
export interface Result {
  name: string;
  /** true when it passed (`detail` may hold a note) or could not be run here (`detail` says why). */
  ok: boolean;
  detail: string;
  ms: number;
  skipped?: boolean;
}

class UsageError extends Error {}

/** Runs one check with a time limit, turning its outcome into a {@link Result}. */
async function attempt(name: string, fn: () => Promise<void | string>): Promise<Result> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  try {
    const note = await within(fn(), 60_000, "the check took over 60 s");
    return { name, ok: true, detail: note ?? "", ms: ms() };
  } catch (err) {
    if (err instanceof CannotStart) throw err;
    if (err instanceof Skipped) {
      return { name, ok: true, skipped: true, detail: err.message, ms: ms() };
    }
    const detail = err instanceof Failed
      ? err.message
      : `the grader failed: ${(err as Error).stack}`;
    return { name, ok: false, detail, ms: ms() };
  }
}

/**
 * Grades `command` on `ex`, calling `report` as each check ends.
 *
 * @param command the program's command line, with `{host}`, `{port}` (and `{message}`)
 */
export async function grade(
  ex: Exercise,
  command: string[],
  report: (r: Result) => void = () => {},
): Promise<Result[]> {
  const results: Result[] = [];
  const done = (r: Result) => (results.push(r), report(r));
  if (ex.role === "client") {
    // A client that dies in connect() (a refused or unreachable address: a port or host of its
    // own, not {port}) is told so once; the checks after it are not run.
    const latest: { run?: ClientRun } = {};
    let noConnect = "";
    const client: ClientTarget = { run: async (o) => (latest.run = await runClient(command, o)) };
    for (const check of ex.checks) {
      if (noConnect) {
        done({ name: check.name, ok: false, detail: `not run: ${noConnect}`, ms: 0 });
        continue;
      }
      latest.run = undefined;
      const r = await attempt(check.name, () => check.run(client));
      const last = latest.run as ClientRun | undefined; // set by the check, if it ran the client
      const said = last && last.code !== 0 && last.code !== null
        ? exceptionLine(last.stderr.trim() || last.stdout.trim())
        : "";
      if (!r.ok && /refused|ECONNREFUSED|unreachable|connect\(/i.test(said)) {
        noConnect = `the program could not connect to the grader's server (it said ` +
          `${JSON.stringify(said.slice(0, 200))})`;
        r.detail = `the program died in connect(): is it using {host} and {port}? It said ` +
          `${JSON.stringify(said.slice(0, 200))}.`;
      }
      done(r);
    }
    return results;
  }
  let neverListened = "";
  for (const check of ex.checks) {
    if (neverListened) {
      done({ name: check.name, ok: false, detail: `not run: ${neverListened}`, ms: 0 });
      continue;
    }
    const host = "127.0.0.1";
    const port = freePort(ex.transport, host);
    let program: Running | undefined;
    done(
      await attempt(check.name, async () => {
        program = startProgram(substitute(command, { host, port: `${port}` }));
        await waitBound(program, ex.transport, host, port).catch((err) => {
          neverListened = err.message;
          throw err;
        });
        const target: ServerTarget = { host, port, cpu: () => program!.cpu() };
        return await check.run(target).catch((err) => {
          // A server that died during the check: say so, it is the likeliest explanation.
          if (err instanceof Failed && program!.code !== null) {
            throw new Failed(
              `${err.message} The program had exited (code ${program!.code})${
                program!.lastWords()
              }.`,
            );
          }
          throw err;
        });
      }),
    );
    await program?.stopAll();
  }
  return results;
}

async function runClient(
  command: string[],
  o: { host: string; port: number; stdin?: string; message?: string; limitMs: number },
): Promise<ClientRun> {
  const takesMessage = command.some((w) => w.includes("{message}"));
  const stdin = o.stdin ??
    (o.message !== undefined && !takesMessage ? `${o.message}\n` : undefined);
  const values = { host: o.host, port: `${o.port}`, message: o.message ?? "" };
  const t0 = performance.now();
  const program = startProgram(substitute(command, values), stdin ?? "");
  const exited = await program.exited(o.limitMs);
  const ms = performance.now() - t0;
  await program.stopAll();
  return { stdout: program.stdout, stderr: program.stderr, code: exited ? program.code : null, ms };
}

interface Parsed {
  ex?: Exercise;
  format: Format;
  label?: string;
  help?: boolean;
  sandbox?: boolean;
  starter?: { exercise: string; lang: "ts" | "py" };
  command: string[];
}

function parse(args: string[]): Parsed {
  const dash = args.indexOf("--");
  const before = dash < 0 ? args : args.slice(0, dash);
  let command = dash < 0 ? [] : args.slice(dash + 1);
  let format: Format = "text";
  let label: string | undefined;
  let name: string | undefined;
  let sandbox = false;
  for (let i = 0; i < before.length; i++) {
    const a = before[i];
    if (a === "--help" || a === "-h") return { format, command: [], help: true };
    if (a === "--starter") {
      const exercise = before[i + 1], lang = before[i + 2] === "--lang" ? before[i + 3] : "ts";
      if (!exercise || !LESSONS[exercise]) {
        throw new UsageError(`--starter needs an exercise: ${Object.keys(LESSONS).join(", ")}`);
      }
      if (lang !== "ts" && lang !== "py") throw new UsageError(`--lang is ts or py, not ${lang}`);
      return { format, command: [], starter: { exercise, lang } };
    }
    if (a === "--json") format = "json";
    else if (a === "--sandbox") sandbox = true;
    else if (a === "--format" || a === "--name") {
      const value = before[++i];
      if (value === undefined) throw new UsageError(`${a} needs a value`);
      if (a === "--name") label = value;
      else if ((FORMATS as readonly string[]).includes(value)) format = value as Format;
      else throw new UsageError(`no format called ${JSON.stringify(value)}: ${FORMATS.join(", ")}`);
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (name === undefined) name = a;
    else if (dash < 0) {
      command = before.slice(i); // no "--": everything after the exercise is the command
      break;
    } else throw new UsageError(`unexpected ${JSON.stringify(a)} before --`);
  }
  if (name === undefined) {
    if (format !== "text" || command.length) throw new UsageError("no EXERCISE given");
    return { format, command };
  }
  const ex = exercise(name);
  if (!ex) throw new UsageError(`no exercise called ${JSON.stringify(name)}`);
  if (command.length === 0) throw new UsageError(`no COMMAND given: how is the ${ex.role} run?`);
  if (!command.some((w) => w.includes("{port}"))) {
    throw new UsageError(
      ex.role === "server"
        ? `the command has no {port}: the server must listen on the port the grader picks`
        : `the command has no {port}: the client must be told where the grader's server listens`,
    );
  }
  return { ex, format, label, command, sandbox };
}

/**
 * The bubblewrap command that runs this grader again, without `--sandbox`, where the program
 * under test can reach only loopback (a new network namespace has `lo` and nothing else), can
 * write nowhere but a fresh, empty /tmp, and sees no other process. Its own folder, like every
 * other, stays readable. Throws a {@link UsageError} saying why when no sandbox can be made here.
 */
async function sandboxed(args: string[]): Promise<string[]> {
  const self = decodeURIComponent(new URL(import.meta.url).pathname);
  const dash = args.indexOf("--");
  // What the grading reads from under /tmp (this folder, the grader, the program's own files)
  // is bound back, read-only, over the fresh /tmp.
  const folder = (path: string) => path.replace(/\/[^/]*$/, "") || "/";
  const files = [self, ...(dash < 0 ? [] : args.slice(dash + 1))];
  const under = [Deno.cwd(), ...files.map(folder)].filter((w) => w.startsWith("/tmp/"));
  const back = [...new Set(under)].flatMap((p) => ["--ro-bind-try", p, p]);
  const bwrap = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"];
  bwrap.push("--tmpfs", "/tmp", ...back, "--chdir", Deno.cwd(), "--die-with-parent");
  bwrap.push("--unshare-all"); // network, processes, IPC, host name; user where the kernel allows
  let probe: Deno.CommandOutput;
  try {
    probe = await new Deno.Command(bwrap[0], {
      args: [...bwrap.slice(1), "--", "true"],
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (err) {
    throw new UsageError(
      err instanceof Deno.errors.NotFound
        ? "--sandbox needs bubblewrap, and bwrap is not installed (apt-get install bubblewrap)"
        : `--sandbox: bwrap cannot start: ${(err as Error).message}`,
    );
  }
  if (!probe.success) {
    const why = new TextDecoder().decode(probe.stderr).trim().split("\n")[0];
    throw new UsageError(`--sandbox: bwrap cannot make a sandbox here: ${why}`);
  }
  const rest = args.filter((a, i) => !(a === "--sandbox" && (dash < 0 || i < dash)));
  const perms = ["--allow-net=127.0.0.1,[::1],localhost", "--allow-run", "--no-prompt"];
  return [...bwrap, "--", Deno.execPath(), "run", ...perms, self, ...rest];
}

/** The report in `format` (not text): one object or document, whatever happened. */
export function report(
  format: Exclude<Format, "text">,
  ex: Exercise,
  command: string[],
  results: Result[],
  label?: string,
  error?: string,
): string {
  const failed = results.filter((r) => !r.ok).length;
  const seconds = (r: Result) => Math.round(r.ms) / 1000;
  if (format === "json") {
    const checks = results.map((r) => ({
      name: r.name,
      ok: r.ok,
      detail: r.detail,
      seconds: seconds(r),
    }));
    const head = { exercise: ex.name, ...(label ? { name: label } : {}), command };
    return JSON.stringify({
      ...head,
      ...(error ? { error } : {}),
      passed: results.length - failed,
      failed,
      checks,
    });
  }
  if (format === "gradescope") {
    const tests = results.map((r) => ({
      name: r.name,
      score: r.ok ? 1 : 0,
      max_score: 1,
      status: r.ok ? "passed" : "failed",
      output: r.detail,
    }));
    const output = error ??
      `${ex.name}: ${results.length - failed} of ${results.length} checks passed`;
    return JSON.stringify({ score: results.length - failed, output, tests });
  }
  const x = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
      // deno-lint-ignore no-control-regex
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "");
  const suite = `${ex.name}${label ? ` (${label})` : ""}`;
  const cases = results.map((r) =>
    `  <testcase classname="grade.${x(ex.name)}" name="${x(r.name)}" time="${seconds(r)}">` +
    (!r.ok
      ? `<failure message="${x(r.detail.split("\n")[0])}">${x(r.detail)}</failure>`
      : r.skipped
      ? `<skipped message="${x(r.detail)}"/>`
      : r.detail
      ? `<system-out>${x(r.detail)}</system-out>` // a note on a pass
      : "") +
    "</testcase>"
  );
  if (error) {
    cases.push(
      `  <testcase classname="grade.${
        x(ex.name)
      }" name="the program starts" time="0"><error message="${x(error)}"/></testcase>`,
    );
  }
  const total = results.reduce((t, r) => t + seconds(r), 0).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${
    x(suite)
  }" tests="${cases.length}" ` +
    `failures="${failed}" errors="${error ? 1 : 0}" time="${total}">\n${
      cases.join("\n")
    }\n</testsuite>`;
}

function list(): string {
  const width = Math.max(...EXERCISES.map((e) => e.name.length)) + 2;
  return EXERCISES.map((e) => `  ${e.name.padEnd(width)}${e.role}: ${e.summary}`).join("\n");
}

if (import.meta.main) {
  let parsed: Parsed;
  try {
    parsed = parse(Deno.args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`grade: ${err.message}\n${USAGE}\nexercises:\n${list()}`);
    Deno.exit(2);
  }
  const { ex, format, label, command, help, sandbox } = parsed;
  if (parsed.starter) {
    console.log(await starter(parsed.starter.exercise, parsed.starter.lang));
    Deno.exit(0);
  }
  if (sandbox && ex) {
    let argv: string[];
    try {
      argv = await sandboxed(Deno.args);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`grade: ${err.message}`);
      Deno.exit(2);
    }
    const inner = new Deno.Command(argv[0], { args: argv.slice(1) }).spawn();
    Deno.exit((await inner.status).code);
  }
  if (help || !ex) {
    console.log(
      `Checks a student's program, in any language, against the protocol checks the examples pass.\n${USAGE}\nexercises:\n${list()}`,
    );
    Deno.exit(0);
  }
  setColorEnabled(Deno.stdout.isTerminal() && !Deno.noColor);
  if (format === "text") console.log(bold(`Grading ${ex.name} (${ex.summary})`));
  let results: Result[] = [];
  try {
    results = await grade(ex, command, (r) => {
      if (format !== "text") return;
      const mark = r.skipped ? yellow("-") : r.ok ? green("✔") : red("✘");
      const time = r.ms < 1000 ? `${r.ms} ms` : `${(r.ms / 1000).toFixed(1)} s`;
      console.log(`${mark} ${r.name} (${time})`);
      const tag = r.skipped ? "skipped: " : r.ok ? "note: " : "";
      if (r.detail) console.log(`    ${tag}${r.detail}`);
    });
  } catch (err) {
    if (!(err instanceof CannotStart)) throw err;
    // Still one report: a class loop over students never loses one.
    if (format !== "text") console.log(report(format, ex, command, results, label, err.message));
    console.error(`grade: ${err.message}: is the COMMAND right, and run from the right folder?`);
    Deno.exit(2);
  }
  const failed = results.filter((r) => !r.ok).length;
  if (format !== "text") console.log(report(format, ex, command, results, label));
  else {
    const summary = `${results.length - failed} passed, ${failed} failed`;
    console.log(failed ? red(summary) : green(summary));
  }
  Deno.exit(failed ? 1 : 0);
}

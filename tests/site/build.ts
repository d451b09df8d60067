/**
 * `deno task site`: the course as a static web site in `_site/`, one page per example in the
 * README's order: the header's prose, the code in steps (each comment beside the code it
 * describes), and the transcript captured by running the example during the build, checked
 * against the header's (a drift, or a program that does not run, fails the build, and says
 * which of the two). An index holds the list, the Rosetta table linked to the steps, the
 * sequence diagrams and the teachers' section. No JavaScript, no request to any other host;
 * dark and light schemes follow the reader's preference.
 *
 * ```sh
 * deno task site            # builds _site/ and says where the index is
 * deno task site --serve    # then serves it on http://127.0.0.1:8000/
 * ```
 */
import { untilShutdown } from "../../lib/signals.ts";
import { AssertionError } from "@std/assert";
import { parseCli } from "../../lib/cli.ts";
import { runMain, UserError } from "../../lib/errors.ts";
import { ROOT } from "../_process.ts";
import { type Captured, checkTranscript } from "../_transcript.ts";
import { PAIRS } from "../wire/main.ts";
import { wireSection, wireShows } from "./wire.ts";
import { sequenceSvg } from "./sequence.ts";

/** Where the site goes (git ignores it). */
export const OUT = `${ROOT}_site`;

/** One step of a page: the comment sentences, and the code they describe. */
export interface Step {
  doc: string[];
  code: string[];
}

/** Whether a source line is a comment line (it goes to the left column). */
export function isCommentLine(line: string): boolean {
  const t = line.trim();
  return t.startsWith("//") && !t.startsWith("// deno-lint-ignore");
}

/** The header (JSDoc `@module` block) and the rest of a source file. */
export function splitHeader(source: string): { header: string[]; body: string[] } {
  const end = source.indexOf("*/") + 2;
  const header = source.slice(0, end).split("\n").slice(1, -1)
    .map((l) => l.replace(/^ \* ?/, "")).map((l, i) => i === 0 ? l.replace(/^@module /, "") : l);
  return { header, body: source.slice(end).replace(/^\n/, "").split("\n") };
}

/**
 * The code in steps: a run of `//` comment lines, or a JSDoc block, starts a step; the lines up
 * to the next comment are its code. Every line of the body is in exactly one step.
 */
export function steps(body: string[]): Step[] {
  const out: Step[] = [];
  let inDoc = false;
  for (const line of body) {
    const t = line.trim();
    const docLine = inDoc || t.startsWith("/**");
    if (docLine || isCommentLine(line)) {
      const last = out.at(-1);
      if (!last || last.code.some((c) => c.trim() !== "")) out.push({ doc: [], code: [] });
      out.at(-1)!.doc.push(
        t.replace(/^\/\*\*\s?|\*\/$|^\*\s?|^\/\/\s?/g, "").replace(/\s*\*\/$/, "").trim(),
      );
      if (docLine) inDoc = !t.endsWith("*/");
      continue;
    }
    if (out.length === 0) out.push({ doc: [], code: [] });
    out.at(-1)!.code.push(line);
  }
  for (const s of out) while (s.code.at(-1)?.trim() === "") s.code.pop();
  // A step never cuts a block in two: one whose code closes a block opened before it (as
  // `} catch (err) {` does) joins the step before, its sentence with it; only a step's last
  // lines may close blocks, when they close and nothing more (`}`, `});`).
  const merged: Step[] = [];
  for (const s of out) {
    // A step that starts in the middle of a statement (`.finally(...)`, `: b`) is cut too.
    let depth = 0, cuts = /^\s*[.?:+|&]/.test(s.code[0] ?? "");
    const closerAt = s.code.findLastIndex((l) => !/^[\s})\];,]*$/.test(l)) + 1;
    s.code.forEach((l, i) => {
      for (const c of l.replace(/"[^"]*"|'[^']*'|`[^`]*`/g, "")) {
        depth += c === "{" ? 1 : c === "}" ? -1 : 0;
        if (depth < 0 && i < closerAt) cuts = true;
      }
    });
    const last = merged.at(-1);
    // A step that ends by opening `try`, `catch`, `finally` or `else` keeps the rest with it.
    const open = last?.code.at(-1)?.match(/\b(try|catch \(.*\)|finally|else)\s*\{$/);
    if ((cuts || open) && last) {
      last.code.push(...s.code);
      last.doc.push(...s.doc);
    } else merged.push(s);
  }
  // The imports at the top have no comment of their own: say what they are.
  if (merged[0]?.doc.length === 0 && merged[0].code.some((l) => l.startsWith("import "))) {
    merged[0].doc.push(
      "What this example takes from lib/ and the standard library: flags, error lines, " +
        "addresses, safe printing. None of it makes a socket call for the example.",
    );
  }
  for (const s of merged) s.doc = s.doc.map((d) => d.replace(/\{@link ([^}]+)\}/g, "`$1`"));
  return merged;
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Inline markdown: `code`, **bold**, _em_, and links (kept inside the site, else plain text). */
function inline(text: string, link: (href: string) => string | undefined): string {
  return text.split(/(`[^`]+`)/).map((part) => {
    if (part.startsWith("`") && part.endsWith("`") && part.length > 1) {
      return `<code>${esc(part.slice(1, -1))}</code>`;
    }
    return esc(part)
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[\s(])_([^_]+)_(?=[\s).,;:]|$)/g, "$1<em>$2</em>");
  }).join("").replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label, href) => {
    const to = link(href.replace(/&amp;/g, "&"));
    return to === undefined ? label : `<a href="${to}">${label}</a>`;
  });
}

/** Block markdown: headings, fenced code, tables, lists, paragraphs. */
export function markdown(text: string, link: (href: string) => string | undefined): string {
  const lines = text.split("\n");
  const html: string[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i];
    const fence = line.match(/^```(\w*)/);
    if (fence) {
      const end = lines.indexOf("```", i + 1);
      const code = lines.slice(i + 1, end < 0 ? lines.length : end).join("\n");
      if (fence[1] === "mermaid") {
        const who = [...code.matchAll(/participant \S+ as (.+)/g)].map((m) => m[1]).join(", ");
        html.push(
          `<figure class="diagram">${sequenceSvg(code, `Sequence diagram: ${who}`)}</figure>`,
        );
      } else html.push(`<pre class="${fence[1] || "text"}"><code>${esc(code)}</code></pre>`);
      i = end < 0 ? lines.length : end + 1;
    } else if (/^#{1,4} /.test(line)) {
      const level = line.indexOf(" ");
      html.push(`<h${level + 1}>${inline(line.slice(level + 1), link)}</h${level + 1}>`);
      i++;
    } else if (line.startsWith("|")) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i].startsWith("|"); i++) {
        if (/^\|[\s|:-]+\|$/.test(lines[i])) continue;
        rows.push(lines[i].slice(1, -1).split(" | ").map((c) => c.trim()));
      }
      const [head, ...body] = rows;
      html.push(
        `<div class="table"><table><thead><tr>${
          head.map((c) => `<th>${inline(c, link)}</th>`).join("")
        }</tr></thead><tbody>${
          body.map((r) => `<tr>${r.map((c) => `<td>${inline(c, link)}</td>`).join("")}</tr>`)
            .join("")
        }</tbody></table></div>`,
      );
    } else if (/^- /.test(line)) {
      const items: string[] = [];
      for (; i < lines.length && /^(- | {2}\S)/.test(lines[i]); i++) {
        if (lines[i].startsWith("- ")) items.push(lines[i].slice(2));
        else items[items.length - 1] += ` ${lines[i].trim()}`;
      }
      html.push(`<ul>${items.map((t) => `<li>${inline(t, link)}</li>`).join("")}</ul>`);
    } else if (line.trim() === "") i++;
    else {
      const para: string[] = [];
      for (; i < lines.length && lines[i].trim() !== "" && !/^(```|#|\||- )/.test(lines[i]); i++) {
        para.push(lines[i]);
      }
      html.push(`<p>${inline(para.join(" "), link)}</p>`);
    }
  }
  return html.join("\n");
}

/** A whole page. */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

const STYLE =
  `:root { color-scheme: light dark; --bg: #fff; --fg: #1d1d1f; --dim: #666; --code: #f4f4f6;
  --line: #ddd; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --bg: #16171a; --fg: #e6e6e6; --dim: #9a9a9a;
  --code: #22242a; --line: #33363d; --accent: #7db4ff; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 80rem; margin: 0 auto; padding: 1.5rem; }
a { color: var(--accent); }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: var(--code); padding: .6rem .8rem; overflow-x: auto; border-radius: 4px; margin: .8rem 0; }
.step pre { margin: 0; }
p code, li code, td code { background: var(--code); padding: 0 .2em; border-radius: 3px; }
.step { display: grid; grid-template-columns: 17rem minmax(0, 1fr); gap: 1rem;
  border-top: 1px solid var(--line); padding: .5rem 0; }
.step .doc { color: var(--fg); }
.step .doc p { margin: 0 0 .4rem; }
@media (max-width: 48rem) { .step { grid-template-columns: 1fr; } }
.transcript .who { color: var(--dim); }
.transcript .err { color: #c0392b; }
.meta, nav { color: var(--dim); font-size: .9rem; }
nav { display: flex; justify-content: space-between; gap: 1rem; margin: 1.5rem 0; }
.table { overflow-x: auto; }
.diagram { margin: 1rem 0; overflow-x: auto; } .diagram svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; vertical-align: top; text-align: left; }
@media print { body { background: #fff; color: #000; } nav { display: none; }
  pre { white-space: pre-wrap; background: #f4f4f4; } .step { break-inside: avoid; } a { color: #000; } }
`;

/** The examples in the README table's order. */
export async function examplesInOrder(): Promise<string[]> {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const names = [...readme.matchAll(/^\| \[`examples\/([a-z0-9_]+)\.ts`\]/gm)].map((m) => m[1]);
  return names.filter((n) => n !== "tour");
}

/** A README section by its heading, up to the next `## `. */
function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}`);
  if (start < 0) throw new UserError(`the README has no section "${heading}"`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start + 1, end < 0 ? undefined : end);
}

/** Builds every page into `out`; returns the number of pages. */
export async function build(out = OUT, log = (line: string) => console.log(line)): Promise<number> {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const names = await examplesInOrder();
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${out}/src`, { recursive: true });
  await Deno.writeTextFile(`${out}/style.css`, STYLE);
  const built = `captured on ${
    new Date().toISOString().slice(0, 10)
  } with Deno ${Deno.version.deno}`;
  const link = (href: string) => {
    const ex = href.match(/^examples\/([a-z0-9_]+)\.ts$/);
    if (ex) return names.includes(ex[1]) ? `${ex[1]}.html` : `src/${ex[1]}.ts.txt`;
    if (href === "LICENSE") return "src/LICENSE.txt";
    if (href.startsWith("#")) return href;
    return undefined; // another host, or a file the site does not carry: plain text
  };
  const wireShow = wireShows(out, log);
  const allSteps = new Map<string, Step[]>();
  const summaries: string[] = [];
  for (const [i, name] of names.entries()) {
    const file = `examples/${name}.ts`;
    const source = await Deno.readTextFile(`${ROOT}${file}`);
    await Deno.writeTextFile(`${out}/src/${name}.ts.txt`, source);
    const { header, body } = splitHeader(source);
    const parts = steps(body);
    allSteps.set(name, parts);
    // The header's first sentence, which may run over several lines.
    const first = header.slice(0, header.indexOf("")).join(" ");
    summaries.push(first.match(/^(.+?[.!?])(\s|$)/)?.[1] ?? first);
    const t0 = performance.now();
    let captured: Captured[];
    try {
      captured = await checkTranscript(file);
    } catch (err) {
      // A line that differs is a drift; a program that would not start, or hung, is not.
      const what = err instanceof AssertionError
        ? "drifted from its header's transcript"
        : "could not be run for its header's transcript";
      throw new UserError(`${file} ${what}: ${(err as Error).message}`);
    }
    const who = (command: string) =>
      command.startsWith("curl") ? "curl" : command.match(/([a-z0-9_]+)\.ts/)?.[1] ?? command;
    const commands = [...new Set(captured.map((c) => c.command))];
    const transcript = captured.map((c) =>
      `<span class="who">${esc(who(c.command).padEnd(22))}${
        c.stream === "stderr" ? "!" : "|"
      }</span> ${c.stream === "stderr" ? `<span class="err">${esc(c.line)}</span>` : esc(c.line)}`
    ).join("\n");
    const wire = [];
    for (const w of Object.keys(PAIRS).filter((w) => PAIRS[w].pages.includes(name))) {
      wire.push(await wireShow(w)); // one at a time: each capture's timing is its own
    }
    const prev = i > 0 ? `<a href="${names[i - 1]}.html">← ${names[i - 1]}</a>` : "<span></span>";
    const next = i < names.length - 1
      ? `<a href="${names[i + 1]}.html">${names[i + 1]} →</a>`
      : "<span></span>";
    const html = `<nav><a href="index.html">Socket examples</a>${prev}${next}</nav>
<h1>${esc(name)}</h1>
${markdown(header.join("\n"), link)}
<h2>The code, step by step</h2>
${
      parts.map((s, k) =>
        `<section class="step" id="step-${k + 1}"><div class="doc">${
          s.doc.length ? `<p>${inline(s.doc.join(" "), link)}</p>` : ""
        }</div><pre class="code"><code>${esc(s.code.join("\n"))}</code></pre></section>`
      ).join("\n")
    }
<h2 id="transcript">A real run</h2>
<p class="meta">Run during the build (${esc(built)}): ${
      commands.map((c) => `<code>$ ${esc(c)}</code>`).join(", then ")
    }; each line as it was printed, both programs merged in time order (<code>|</code> stdout,
<code>!</code> stderr).</p>
<pre class="transcript"><code>${transcript}</code></pre>
${wireSection(wire)}
<p class="meta">Source: <a href="src/${name}.ts.txt">examples/${name}.ts</a>. The document it
follows is named in its header, above.</p>
<nav>${prev}<a href="index.html">index</a>${next}</nav>`;
    await Deno.writeTextFile(`${out}/${name}.html`, page(`${name}: socket examples`, html));
    log(
      `  ${name}.html: ${parts.length} steps, ${captured.length} transcript lines, ${
        Math.round(performance.now() - t0)
      } ms`,
    );
  }
  // The Rosetta table, each example named linked to the first step that makes the call.
  const rosetta = section(readme, "The socket API, from Python and C to Deno").split("\n").map(
    (row) => {
      const cells = row.split(" | ");
      if (cells.length !== 3 || !/^\| (`|thr)/.test(row)) return row;
      const call = cells[1].match(/`([^`(]+)/)?.[1]?.trim() ?? "";
      const names = cells[2].replace(/ *\|$/, "").trim().split(", ");
      const linked = names.map((name) => {
        const k = (allSteps.get(name) ?? []).findIndex((s) =>
          call && s.code.join("\n").includes(call)
        );
        return k < 0 ? `[${name}](examples/${name}.ts)` : `[${name}](#${name}@step-${k + 1})`;
      });
      return `${cells[0]} | ${cells[1]} | ${linked.join(", ")} |`;
    },
  ).join("\n");
  const linkIndex = (href: string) => {
    const m = href.match(/^#([a-z0-9_]+)@(step-\d+)$/);
    return m ? `${m[1]}.html#${m[2]}` : link(href);
  };
  const index = `<h1>Socket programming, with programs that really run</h1>
<p>${inline(readme.split("\n\n")[1].replace(/\n/g, " "), link)}</p>
<p class="meta">Every transcript on these pages was ${esc(built)}, by running the example on
loopback during the build.</p>
<h2>The examples, in reading order</h2>
<ol>${
    names.map((n, i) => `<li><a href="${n}.html">${n}</a>: ${inline(summaries[i], link)}</li>`)
      .join("")
  }</ol>
<p>To run them all at once, narrated: <code>deno task tour</code>.</p>
<p>On the wire, each captured by tcpdump on loopback and drawn from its packets: ${
    Object.entries(PAIRS).map(([w, pair]) => `<a href="${pair.pages[0]}.html#wire-${w}">${w}</a>`)
      .join(", ")
  } (<code>deno task wire NAME</code> prints them).</p>
${markdown(rosetta, linkIndex)}
${markdown(section(readme, "Pictures"), link)}
${markdown(section(readme, "The web page and the grader"), link)}
${markdown(section(readme, "Licence"), link)}`;
  await Deno.writeTextFile(`${out}/index.html`, page("Socket examples", index));
  await Deno.copyFile(`${ROOT}LICENSE`, `${out}/src/LICENSE.txt`);
  return names.length + 1;
}

/** Serves `out` on loopback until Ctrl-C (or SIGTERM), then exits 0, as the examples do. */
async function serve(out: string, port: number): Promise<void> {
  await untilShutdown((signal) => serveUntil(out, port, signal));
}

async function serveUntil(out: string, port: number, signal: AbortSignal): Promise<void> {
  const types: Record<string, string> = {
    html: "text/html; charset=utf-8",
    css: "text/css; charset=utf-8",
    txt: "text/plain; charset=utf-8",
    png: "image/png",
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, signal, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      const name = path === "/" ? "index.html" : path.slice(1);
      if (name.includes("..")) return new Response("no", { status: 400 });
      try {
        const body = await Deno.readFile(`${out}/${name}`);
        return new Response(body, {
          headers: { "content-type": types[name.split(".").pop()!] ?? "application/octet-stream" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  console.log(`Serving http://127.0.0.1:${server.addr.port}/ (Ctrl+C to stop)`);
  await server.finished;
}

if (import.meta.main) {
  const usage =
    `Builds the course as a static site in _site/, each example with a transcript of a real run.
usage: deno task site [--serve] [--port 8000]
  --serve     then serve the site on loopback for a browser
  --port N    the port to serve on (default 8000)`;
  await runMain("site", usage, async () => {
    const cli = parseCli(Deno.args, { strings: { port: "8000" }, booleans: ["serve"] });
    const t0 = performance.now();
    const pages = await build();
    console.log(
      `Built ${pages} pages in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s: ${OUT}/index.html`,
    );
    if (cli.flag("serve")) await serve(OUT, cli.port());
  });
}

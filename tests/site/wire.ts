/**
 * The site's "On the wire" sections: each scenario of `deno task wire` captured live during the
 * build where tcpdump can capture, else read from its recording, and shown as a table and as a
 * sequence diagram drawn from the packets themselves (one lifeline per socket).
 */
import { dayOf, flagWords, liveOrRecorded, PAIRS, recorded, type Row, rows } from "../wire/main.ts";
import { readPcap } from "../wire/pcap.ts";
import { sequenceSvg } from "./sequence.ts";

/** One scenario's packets and how they were had (live, or recorded and when). */
export interface WireShow {
  name: string;
  rows: Row[];
  how: string;
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * Gets each scenario's packets when a page first needs them, into `out/wire/NAME.pcap`: captured
 * live, or, once a live capture has failed (tcpdump missing, or no privilege), recorded.
 */
export function wireShows(
  out: string,
  log: (line: string) => void,
): (name: string) => Promise<WireShow> {
  const got = new Map<string, WireShow>();
  let cannot = "";
  return async (name) => {
    if (got.has(name)) return got.get(name)!;
    await Deno.mkdir(`${out}/wire`, { recursive: true });
    const file = `${out}/wire/${name}.pcap`;
    if (cannot) await Deno.copyFile(recorded(name), file); // no second try at a live capture
    const { packets, why } = cannot
      ? { packets: readPcap(await Deno.readFile(file)), why: cannot }
      : await liveOrRecorded(name, file);
    if (why && !cannot) log(`  on the wire: the recorded captures (${cannot = why})`);
    const recordedBy = `recorded on ${dayOf(packets)} by <code>deno task wire --record</code>`;
    const how = why
      ? `${recordedBy} (no live capture during this build: ${esc(why)})`
      : "captured live during this build by tcpdump on lo";
    got.set(name, { name, rows: rows(packets, PAIRS[name]), how });
    return got.get(name)!;
  };
}

/** The packets as Mermaid sequence text: a lifeline per client socket and per server address. */
export function sequenceText(rs: Row[]): string {
  const ids = new Map<string, string>();
  const id = (label: string) => {
    if (!ids.has(label)) ids.set(label, `P${ids.size}`);
    return ids.get(label)!;
  };
  const [client, server] = [
    (r: Row) => r.who.split(" > ")[r.from === "client" ? 0 : 1],
    (r: Row) => r.who.split(" > ")[r.from === "client" ? 1 : 0],
  ];
  for (const r of rs) id(client(r));
  for (const r of rs) id(server(r));
  const lines = rs.map((r) => {
    const [a, b] = r.from === "client" ? [client(r), server(r)] : [server(r), client(r)];
    const data = r.bytes ? ` "${r.preview}"${r.bytes > 24 ? "…" : ""} (${r.bytes} B)` : "";
    const text = `${r.ms.toFixed(1)} ms ${flagWords(r)}${data}`.replace("ms  ", "ms ") +
      (r.cause ? `: ${r.cause}` : "");
    return `    ${id(a)}${r.lost ? "-x" : "->>"}${id(b)}: ${text}`;
  });
  return [
    "sequenceDiagram",
    ...[...ids].map(([label, p]) => `    participant ${p} as ${label}`),
    ...lines,
  ].join("\n");
}

/** The packets as a table: one row each. */
function table(rs: Row[]): string {
  const head = ["ms", "from &gt; to", "flags", "bytes", "payload", "the call behind it"];
  const row = (r: Row) =>
    [
      r.ms.toFixed(3),
      esc(r.who),
      esc(r.flags),
      String(r.bytes),
      r.bytes ? `<code>${esc(r.preview)}</code>` : "",
      esc(r.cause),
    ].map((cell) => `<td>${cell}</td>`).join("");
  return `<div class="table"><table class="wire"><thead><tr>${
    head.map((h) => `<th>${h}</th>`).join("")
  }</tr></thead><tbody>${rs.map((r) => `<tr>${row(r)}</tr>`).join("")}</tbody></table></div>`;
}

/** The section for one page: each scenario's sentence, diagram, table and capture file. */
export function wireSection(shows: WireShow[]): string {
  if (!shows.length) return "";
  const one = ({ name, rows: rs, how }: WireShow) => {
    const sentence = PAIRS[name].shows.replace(/^./, (c) => c.toUpperCase());
    const title = `deno task wire ${name}: the packets as a sequence diagram`;
    return `<section class="wire" id="wire-${name}"><h3><code>deno task wire ${name}</code></h3>
<p>${esc(sentence)}. The packets, ${how}; the file: <a href="wire/${name}.pcap">${name}.pcap</a>
(Wireshark, or <code>tcpdump -r</code>).</p>
<div class="diagram">${sequenceSvg(sequenceText(rs), title)}</div>
${table(rs)}</section>`;
  };
  return `<h2 id="wire">On the wire</h2>\n${shows.map(one).join("\n")}`;
}

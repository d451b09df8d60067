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
    let live;
    if (cannot) {
      await Deno.copyFile(recorded(name), file);
      live = { packets: readPcap(await Deno.readFile(file)), why: cannot };
    } else live = await liveOrRecorded(name, file);
    if (live.why && !cannot) log(`  on the wire: the recorded captures (${cannot = live.why})`);
    const how = live.why
      ? `recorded on ${
        dayOf(live.packets)
      } by <code>deno task wire --record</code> (no live capture during ` +
        `this build: ${esc(live.why)})`
      : "captured live during this build by tcpdump on lo";
    got.set(name, { name, rows: rows(live.packets, PAIRS[name]), how });
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

/** The section for one page: each scenario's sentence, diagram, table and capture file. */
export function wireSection(shows: WireShow[]): string {
  if (!shows.length) return "";
  return `<h2 id="wire">On the wire</h2>
${
    shows.map(({ name, rows: rs, how }) =>
      `<section class="wire" id="wire-${name}"><h3><code>deno task wire ${name}</code></h3>
<p>${esc(PAIRS[name].shows.replace(/^./, (c) => c.toUpperCase()))}. The packets, ${how}; the file:
<a href="wire/${name}.pcap">${name}.pcap</a> (Wireshark, or <code>tcpdump -r</code>).</p>
<div class="diagram">${
        sequenceSvg(sequenceText(rs), `deno task wire ${name}: the packets as a sequence diagram`)
      }</div>
<div class="table"><table class="wire"><thead><tr><th>ms</th><th>from &gt; to</th><th>flags</th><th>bytes</th>` +
      `<th>payload</th><th>the call behind it</th></tr></thead><tbody>${
        rs.map((r) =>
          `<tr><td>${r.ms.toFixed(3)}</td><td>${esc(r.who)}</td><td>${
            esc(r.flags)
          }</td><td>${r.bytes}</td>` +
          `<td>${r.bytes ? `<code>${esc(r.preview)}</code>` : ""}</td><td>${esc(r.cause)}</td></tr>`
        ).join("")
      }</tbody></table></div></section>`
    ).join("\n")
  }`;
}

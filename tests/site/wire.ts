/**
 * The site's "On the wire" sections: each scenario of `deno task wire` captured live during the
 * build where tcpdump can capture, else read from its recording, and shown as a table and as a
 * sequence diagram drawn from the packets themselves (one lifeline per socket).
 */
import { CannotCapture, capture, PAIRS, recorded, type Row, rows } from "../wire/main.ts";
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
 * Gets each scenario's packets when a page first needs them: captured into `out/wire/NAME.pcap`
 * while the scenario runs or, once a live capture has failed (tcpdump missing, or no privilege to
 * capture), its recording copied there.
 */
export function wireShows(
  out: string,
  log: (line: string) => void,
): (name: string) => Promise<WireShow> {
  const got = new Map<string, WireShow>();
  let cannot = "";
  return async (name) => {
    if (got.has(name)) return got.get(name)!;
    const pair = PAIRS[name], file = `${out}/wire/${name}.pcap`;
    await Deno.mkdir(`${out}/wire`, { recursive: true });
    let how = "captured live during this build by tcpdump on lo";
    if (!cannot) {
      try {
        await capture(pair, file);
      } catch (err) {
        if (!(err instanceof CannotCapture)) throw err;
        cannot = err.message;
        log(`  on the wire: the recorded captures (${cannot})`);
      }
    }
    if (cannot) {
      await Deno.copyFile(recorded(name), file);
      const first = readPcap(await Deno.readFile(file))[0]?.time ?? 0;
      how = `recorded on ${new Date(first * 1000).toISOString().slice(0, 10)} by ` +
        `<code>deno task wire --record</code> (no live capture during this build: ${esc(cannot)})`;
    }
    got.set(name, { name, rows: rows(readPcap(await Deno.readFile(file)), pair), how });
    return got.get(name)!;
  };
}

/** tcpdump's flags in words. */
function kind(r: Row): string {
  if (r.flags === "UDP") return "datagram";
  if (r.bytes && !/[SFR]/.test(r.flags)) return ""; // data: the payload says it
  const words = [
    r.flags.includes("S") && "SYN",
    r.flags.includes("F") && "FIN",
    r.flags.includes("R") && "RST",
    r.flags.includes(".") && !r.flags.includes("R") && "ACK",
  ].filter(Boolean);
  return words.join(", ");
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
    const text = `${r.ms.toFixed(1)} ms ${kind(r)}${data}`.replace("ms  ", "ms ") +
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

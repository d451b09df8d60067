/**
 * Sequence diagrams drawn as SVG at build time, from the Mermaid text the README holds: the site
 * shows pictures without a script, and without asking another host for a renderer. The subset
 * the README uses: `participant A as label`, messages `A->>B: text` (delivered) and `A-xB: text`
 * (lost), and notes `Note over A: text` or `Note over A,B: text`.
 */

/** A participant: its id in the text and the label drawn at the top of its lifeline. */
interface Participant {
  id: string;
  label: string;
}

/** A row of the diagram: a message from one lifeline to another, or a note over some. */
type Row =
  | { kind: "message"; from: string; to: string; text: string; lost: boolean }
  | { kind: "note"; over: string[]; text: string };

/** Reads Mermaid's `sequenceDiagram` text (the subset above); other lines are an error. */
export function parseSequence(text: string): { participants: Participant[]; rows: Row[] } {
  const participants: Participant[] = [];
  const rows: Row[] = [];
  const known = (id: string) => {
    if (!participants.some((p) => p.id === id)) participants.push({ id, label: id });
    return id;
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    let m;
    if (line === "" || line === "sequenceDiagram") continue;
    if ((m = line.match(/^participant (\S+)(?: as (.+))?$/))) {
      participants.push({ id: m[1], label: m[2] ?? m[1] });
    } else if ((m = line.match(/^(\S+?)(->>|-x)(\S+?): (.*)$/))) {
      rows.push({
        kind: "message",
        from: known(m[1]),
        to: known(m[3]),
        text: m[4],
        lost: m[2] === "-x",
      });
    } else if ((m = line.match(/^Note over ([^:]+): (.*)$/))) {
      rows.push({ kind: "note", over: m[1].split(",").map((s) => known(s.trim())), text: m[2] });
    } else throw new Error(`a sequence diagram line this renderer does not know: ${line}`);
  }
  return { participants, rows };
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** About how wide `text` is in pixels at 12 px sans-serif (for the layout; the SVG scales). */
const width = (text: string) => text.length * 6.6;

/** The diagram as an inline `<svg>` that takes the page's colours (`currentColor`). */
export function sequenceSvg(text: string, title = "A sequence diagram"): string {
  const { participants, rows } = parseSequence(text);
  const col = new Map(participants.map((p, i) => [p.id, i]));
  // Columns far enough apart for the longest message between neighbours, and every label.
  let gap = Math.max(160, ...participants.map((p) => width(p.label) + 30));
  for (const r of rows) {
    if (r.kind === "message") {
      gap = Math.max(gap, (width(r.text) + 30) / Math.abs(col.get(r.to)! - col.get(r.from)!));
    }
  }
  const margin = Math.max(110, ...rows.map((r) => r.kind === "note" ? width(r.text) / 2 + 20 : 0));
  const x = (id: string) => margin + col.get(id)! * gap;
  const rowH = 36, top = 56, height = top + rows.length * rowH + 20;
  const svgWidth = 2 * margin + (participants.length - 1) * gap;
  const out = [
    `<svg class="sequence" viewBox="0 0 ${svgWidth} ${height}"` +
    ` width="${svgWidth}" font-family="system-ui, sans-serif" font-size="12" fill="currentColor"` +
    ` stroke="currentColor" role="img"><title>${esc(title)}</title>`,
  ];
  for (const p of participants) {
    const w = width(p.label) + 20;
    out.push(
      `<line x1="${x(p.id)}" y1="${top - 16}" x2="${x(p.id)}" y2="${
        height - 8
      }" stroke-dasharray="4 4" stroke-opacity=".5"/>`,
      `<rect x="${x(p.id) - w / 2}" y="8" width="${w}" height="28" rx="4" fill="none"/>`,
      `<text x="${x(p.id)}" y="27" text-anchor="middle" stroke="none">${esc(p.label)}</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH + 22;
    if (r.kind === "note") {
      const xs = r.over.map(x);
      const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
      const w = Math.max(width(r.text) + 16, Math.max(...xs) - Math.min(...xs) + 40);
      out.push(
        `<rect x="${mid - w / 2}" y="${
          y - 16
        }" width="${w}" height="24" rx="3" fill-opacity=".08" stroke-opacity=".4"/>`,
        `<text x="${mid}" y="${y}" text-anchor="middle" stroke="none" font-style="italic">${
          esc(r.text)
        }</text>`,
      );
      return;
    }
    const [a, b] = [x(r.from), x(r.to)], dir = Math.sign(b - a);
    const end = r.lost ? a + (b - a) * 0.75 : b; // a lost message stops short, at a cross
    out.push(
      `<text x="${(a + b) / 2}" y="${y - 6}" text-anchor="middle" stroke="none">${
        esc(r.text)
      }</text>`,
      `<line x1="${a}" y1="${y}" x2="${end}" y2="${y}"/>`,
      r.lost
        ? `<path d="M${end - 5} ${y - 5}L${end + 5} ${y + 5}M${end - 5} ${y + 5}L${end + 5} ${
          y - 5
        }"/>`
        : `<path d="M${end} ${y}l${-8 * dir} -4v8z" stroke="none"/>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

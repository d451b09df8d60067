/**
 * Binary message formats drawn the way RFCs draw them: 32 bits a row, `|` between fields, bit 0
 * the high-order bit. Formatting only: byte_order.ts packs the bytes itself.
 * @module
 */

/** One field of a layout: its name, its width in bits, and its label (default: the name). */
export type Field = { name: string; bits: number; label?: string };

/**
 * The RFC-style diagram of a layout: the bit ruler, then 32 bits a row with `|` at field
 * boundaries; a field that crosses a row boundary appears on both rows.
 */
export function diagram(layout: Field[]): string[] {
  const border = "+" + "-+".repeat(32);
  const lines = [
    " 0                   1                   2                   3",
    " 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1",
    border,
  ];
  // Cut the fields into pieces that fit in a row, then draw each row.
  const rows: { label: string; bits: number }[][] = [[]];
  let used = 0;
  for (const f of layout) {
    let left = f.bits;
    let first = true;
    while (left > 0) {
      if (used === 32) {
        rows.push([]);
        used = 0;
      }
      const take = Math.min(left, 32 - used);
      const label = f.label ?? f.name;
      rows.at(-1)!.push({ label: first ? label : `${label} (cont.)`, bits: take });
      used += take;
      left -= take;
      first = false;
    }
  }
  for (const row of rows) {
    let line = "|";
    for (const piece of row) {
      const width = piece.bits * 2 - 1; // two columns a bit, minus the closing bar
      const label = piece.label.length > width ? piece.label.slice(0, width) : piece.label;
      const pad = width - label.length;
      line += " ".repeat(Math.floor(pad / 2)) + label + " ".repeat(Math.ceil(pad / 2)) + "|";
    }
    lines.push(line, "+" + "-+".repeat(row.reduce((n, p) => n + p.bits, 0)));
  }
  return lines;
}

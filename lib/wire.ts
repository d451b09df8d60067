/**
 * Binary message formats as Internet specifications draw them: fields of any bit width, packed
 * most significant bit first, in network byte order (big-endian), and the RFC-style diagram of
 * the layout (32 bits a row, `|` between fields, bit 0 the high-order bit).
 *
 * @module
 */

/** One field of a layout: a name and a width in bits (1..32). */
export interface Field {
  /** The name, shown in the diagram and used as the key of the values. */
  name: string;
  /** The width in bits. */
  bits: number;
  /** The label in the diagram (default: the name). */
  label?: string;
}

/** How many bytes a layout takes (its bits must add up to whole bytes). */
export function layoutBytes(layout: Field[]): number {
  const bits = layout.reduce((n, f) => n + f.bits, 0);
  if (bits % 8 !== 0) throw new RangeError(`the layout has ${bits} bits, not whole bytes`);
  return bits / 8;
}

/**
 * Packs values into bytes, each field most significant bit first, fields in order: network byte
 * order for every width (a 16-bit field is exactly `htons`, a 32-bit one `htonl`).
 *
 * @param layout the fields
 * @param values a value per field name: an integer from 0 to 2^bits - 1
 * @returns the message's bytes
 * @throws RangeError naming the field whose value is out of range or not an integer
 */
export function pack(layout: Field[], values: Record<string, number>): Uint8Array {
  const out = new Uint8Array(layoutBytes(layout));
  let bit = 0;
  for (const f of layout) {
    const v = values[f.name];
    const max = 2 ** f.bits - 1;
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new RangeError(`${f.name} must be an integer from 0 to ${max}, got ${v}`);
    }
    for (let i = f.bits - 1; i >= 0; i--, bit++) {
      if (Math.floor(v / 2 ** i) % 2 === 1) out[bit >> 3] |= 0x80 >> (bit & 7);
    }
  }
  return out;
}

/**
 * Unpacks bytes laid out by `layout` (the inverse of {@link pack}).
 *
 * @param layout the fields
 * @param bytes exactly as many bytes as the layout takes
 * @returns a value per field name
 */
export function unpack(layout: Field[], bytes: Uint8Array): Record<string, number> {
  const need = layoutBytes(layout);
  if (bytes.length !== need) {
    throw new RangeError(`the message must be ${need} bytes, got ${bytes.length}`);
  }
  const values: Record<string, number> = {};
  let bit = 0;
  for (const f of layout) {
    let v = 0;
    for (let i = 0; i < f.bits; i++, bit++) v = v * 2 + ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1);
    values[f.name] = v;
  }
  return values;
}

/**
 * The RFC-style diagram of a layout: the bit ruler, then 32 bits a row with `|` at field
 * boundaries; a field that crosses a row boundary appears on both rows.
 *
 * @param layout the fields (whole 32-bit rows, or whole bytes at the end)
 * @returns the diagram's lines
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

/** The bytes as hex pairs: `d9 03`. */
export function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

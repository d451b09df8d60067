/**
 * The one list of examples: the files in examples/, each described by its own header. The README
 * table, the tasks in deno.json, the tour and the site are checked against it (readme.test.ts).
 */
import { transcript } from "./_transcript.ts";

/** An example: its file name in examples/. */
export interface Example {
  /** `udp_server.ts`. */
  file: string;
}

/** Every example, by file name. */
export const EXAMPLES: Example[] = [...Deno.readDirSync(new URL("../examples/", import.meta.url))]
  .filter((e) => e.isFile && e.name.endsWith(".ts"))
  .map((e) => ({ file: e.name }))
  .sort((a, b) => a.file.localeCompare(b.file));

/** What an example's header says about it. */
export interface Header {
  /** The JSDoc block, from `/**` to its closing line. */
  text: string;
  /** How many lines the block has. */
  lines: number;
  /** The transcript's command that runs this example (`deno run --allow-net examples/x.ts`). */
  run: string;
  /** The other program of the transcript (`udp_client.ts`, `curl`), if there is one. */
  pair?: string;
}

/**
 * Reads `file`'s header.
 *
 * @param file the file name in examples/
 */
export async function header(file: string): Promise<Header> {
  const source = await Deno.readTextFile(new URL(`../examples/${file}`, import.meta.url));
  const text = source.slice(0, source.indexOf("*/") + 2);
  const terminals = await transcript(`examples/${file}`);
  const own = terminals.find((t) => t.command.includes(`examples/${file}`));
  const other = terminals.find((t) => t !== own);
  const pair = other?.command.match(/examples\/([a-z0-9_]+\.ts)/)?.[1] ?? other?.argv[0];
  return { text, lines: text.split("\n").length, run: own?.command ?? "", pair };
}

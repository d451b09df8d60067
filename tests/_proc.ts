/**
 * What the load scripts read about a server process on Linux, from /proc. Read with `cat`:
 * Deno asks for --allow-all to read another process's /proc files directly.
 */

/** `cat /proc/<pid>/<file>`. */
async function proc(pid: number, file: string): Promise<string> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/${file}`] }).output();
  return new TextDecoder().decode(out.stdout);
}

/** User + system CPU seconds of a process so far (clock ticks of 1/100 s), or NaN. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await proc(pid, "stat");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Peak resident memory of a process in MB (VmHWM), or NaN. */
export async function peakMB(pid: number): Promise<number> {
  const kb = (await proc(pid, "status")).match(/VmHWM:\s+(\d+) kB/)?.[1];
  return Number(kb) / 1024;
}

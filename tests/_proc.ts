/**
 * What the load scripts, the tests and the grader read about processes and sockets on Linux,
 * from /proc. Read with `cat`:
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

/** The process ids of `pid`'s children (every thread's), or [] where /proc cannot say. */
export async function children(pid: number): Promise<number[]> {
  const tasks = await new Deno.Command("ls", { args: [`/proc/${pid}/task`] }).output();
  if (!tasks.success) return [];
  const tids = new TextDecoder().decode(tasks.stdout).split("\n").filter(Boolean);
  const out = await new Deno.Command("cat", {
    args: tids.map((tid) => `/proc/${pid}/task/${tid}/children`),
  }).output();
  return new TextDecoder().decode(out.stdout).split(/\s+/).filter(Boolean).map(Number);
}

/** `pid` and every process below it (a shell's child, its children...). */
export async function processTree(pid: number): Promise<number[]> {
  const all = [pid];
  for (let i = 0; i < all.length && all.length < 1000; i++) all.push(...await children(all[i]));
  return all;
}

/** Whether /proc/net says a socket of `transport` is bound to `port` (TCP: listening). */
export async function bound(transport: "tcp" | "udp", port: number): Promise<boolean> {
  const files = [`/proc/net/${transport}`, `/proc/net/${transport}6`];
  const out = await new Deno.Command("cat", { args: files }).output();
  const want = port.toString(16).toUpperCase().padStart(4, "0");
  const state = transport === "tcp" ? "0A" : "07";
  return new TextDecoder().decode(out.stdout).split("\n").some((line) => {
    const f = line.trim().split(/\s+/);
    return f[1]?.endsWith(`:${want}`) && f[3] === state;
  });
}

/** Whether this machine has /proc (Linux). */
export const hasProc: boolean = Deno.build.os === "linux";

/** What the app's server process costs, read from /proc (Linux). */
import { readdir, readFile } from "node:fs/promises";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * The pid of the Node process that serves `port`: `npm start` runs npm → the launcher (tsx) →
 * next, which renames itself "next-server"; it is the one whose environment has PORT=<port>.
 */
export async function findServerPid(port: number): Promise<number> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (!cmdline.startsWith("next-server")) continue;
      const environ = (await readFile(`/proc/${entry}/environ`, "utf8")).split("\0");
      if (environ.includes(`PORT=${port}`)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no next-server process serves port ${port}`);
}

/** Resident memory in MiB (VmRSS). */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kib / 1024;
}

/** CPU seconds (user + system) the process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds the whole machine has been busy so far (every process: the app, Postgres, Redis,
 * the bridge, the load generator), from /proc/stat's first line: all but idle and iowait.
 */
export async function machineBusySeconds(): Promise<number> {
  const [line] = (await readFile("/proc/stat", "utf8")).split("\n");
  const [, ...ticks] = line!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
}

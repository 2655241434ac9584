// CPU time and memory of lab processes (/proc/<pid>/stat, /proc/<pid>/status) and of the whole
// machine (/proc/stat), for the benchmark's CPU-per-GB and RSS figures.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** CPU seconds a process has used so far, split as the kernel accounts them. */
export interface ProcessCpu {
  pid: number;
  /** utime: user mode (JS, JIT code, the addon's byte crunching). */
  userSeconds: number;
  /** stime: kernel mode on the process's behalf (syscalls: TAP reads/writes, sendmmsg/recvmmsg). */
  systemSeconds: number;
}

/** Peak and current resident set size of a process, in bytes. */
export interface ProcessMemory {
  pid: number;
  /** VmHWM: the peak RSS since the process started. */
  peakRssBytes: number;
  /** VmRSS now. */
  rssBytes: number;
}

/** Machine-wide CPU seconds (all CPUs) from /proc/stat's first line. */
export interface HostCpu {
  userSeconds: number;
  systemSeconds: number;
  softirqSeconds: number;
  /** user + system + irq + softirq: not idle, iowait or steal (time the hypervisor took). */
  busySeconds: number;
  cpus: number;
}

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc CPU times (`getconf CLK_TCK`; 100 on every Linux we run on). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond !== undefined) return ticksPerSecond;
  ticksPerSecond = 100;
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    if (Number.isInteger(value) && value > 0) ticksPerSecond = value;
  } catch {
    // Keep 100.
  }
  return ticksPerSecond;
}

/** Reads utime and stime of a running process; throws if it is gone. */
export function processCpu(pid: number): ProcessCpu {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime (15) is fields[12].
  const hz = clockTicksPerSecond();
  return { pid, userSeconds: Number(fields[11]) / hz, systemSeconds: Number(fields[12]) / hz };
}

/** CPU seconds used between two readings of the same process. */
export function cpuDelta(before: ProcessCpu, after: ProcessCpu): ProcessCpu {
  return {
    pid: after.pid,
    userSeconds: after.userSeconds - before.userSeconds,
    systemSeconds: after.systemSeconds - before.systemSeconds,
  };
}

/** VmHWM and VmRSS of a running process; throws if it is gone. */
export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string): number => {
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return match === null ? 0 : Number(match[1]) * 1024;
  };
  return { pid, peakRssBytes: kb("VmHWM"), rssBytes: kb("VmRSS") };
}

/** The machine's CPU time so far, summed over all CPUs. */
export function hostCpu(): HostCpu {
  const text = readFileSync("/proc/stat", "utf8");
  const first = text.split("\n")[0] ?? "";
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = first.trim().split(/\s+/).slice(1).map(Number);
  const hz = clockTicksPerSecond();
  const cpus = text.split("\n").filter((line) => /^cpu\d+ /.test(line)).length;
  return {
    userSeconds: (user + nice) / hz,
    systemSeconds: (system + irq) / hz,
    softirqSeconds: softirq / hz,
    busySeconds: (user + nice + system + irq + softirq) / hz,
    cpus,
  };
}

/** Machine CPU seconds used between two readings. */
export function hostCpuDelta(before: HostCpu, after: HostCpu): HostCpu {
  return {
    userSeconds: after.userSeconds - before.userSeconds,
    systemSeconds: after.systemSeconds - before.systemSeconds,
    softirqSeconds: after.softirqSeconds - before.softirqSeconds,
    busySeconds: after.busySeconds - before.busySeconds,
    cpus: after.cpus,
  };
}

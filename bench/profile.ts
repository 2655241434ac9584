// `npm run bench:profile`: where vxswitch's CPU goes during one TCP stream, in CPU seconds per
// delivered GB, from perf samples of both daemons bucketed by what the code does.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { cpuDelta, processCpu } from "../lab/cpu.js";
import { startVxswitchMesh, stopMesh, type MeshMember } from "../lab/mesh.js";
import { cleanupAll, run, runResult } from "../lab/netns.js";
import { Lab } from "../lab/topology.js";
import { iperfClient, startIperfServer } from "../lab/traffic.js";
import { bucketSamples, type Sample } from "./profile-buckets.js";
import { runMain } from "../lab/run-main.js";

const USAGE = `usage: npm run bench:profile -- [--seconds N] [--reverse] [--gre] [--vxswitch DIR] [-- <extra vxswitch up flags>]

Two hosts in network namespaces (default veth offloads), vxswitch --io batch on each, one iperf3
TCP stream container to container (--gre: Ethernet over GRE, key 42); perf samples both daemons (user and kernel) while it runs and
prints the daemons' CPU seconds per delivered GB, split into: copies between kernel and user
space, copies and checksums in vxswitch, the rest of vxswitch's C, JavaScript and V8, syscall
entry and exit, scheduling and wakeups, and the kernel network stack (which includes the
receiving container's stack: a TAP write delivers the frame in the writer's context). --vxswitch
DIR runs the vxswitch of another built checkout (e.g. an older commit) in the same lab. Needs
root and perf (Debian linux-perf).`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { seconds: { type: "string", default: "5" }, reverse: { type: "boolean", default: false }, gre: { type: "boolean", default: false }, vxswitch: { type: "string" }, help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((await runResult(["perf", "--version"]).catch(() => ({ code: 1 }))).code !== 0) {
    console.error("perf is not installed (apt-get install linux-perf)");
    return 1;
  }
  const seconds = Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) throw new Error(`--seconds: 1..60, not ${values.seconds}`);
  // JIT code gets names in perf through /tmp/perf-<pid>.map (removed afterwards).
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --perf-basic-prof`.trim();
  const lab = await Lab.create({ hosts: 2, label: "prof" });
  let mesh: MeshMember[] = [];
  const data = `/tmp/vxs-profile-${process.pid}.data`;
  try {
    mesh = await startVxswitchMesh(lab, { vni: 42, greKey: values.gre ? 42 : undefined, io: "batch", extraArgs: positionals, start: { root: values.vxswitch } });
    const [c1, c2] = [lab.container(1), lab.container(2)];
    const server = await startIperfServer(c2.ns, c2.address);
    try {
      await iperfClient(c1.ns, c2.address, { seconds: 1, reverse: values.reverse });
      const pids = mesh.map((m) => m.vx.proc.pid!);
      const before = pids.map(processCpu);
      const perf = spawn("perf", ["record", "-F", "999", "-o", data, "-p", pids.join(","), "--", "sleep", String(seconds)], { stdio: "ignore" });
      const result = await iperfClient(c1.ns, c2.address, { seconds, reverse: values.reverse });
      await new Promise((resolve) => perf.on("exit", resolve));
      const cpu = pids.map((pid, i) => cpuDelta(before[i]!, processCpu(pid)));
      const cpuSeconds = cpu.reduce((s, c) => s + c.userSeconds + c.systemSeconds, 0);
      const gb = (result.bitsPerSecond * result.seconds) / 8 / 1e9;
      const report = await run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio", "-g", "none", "--percent-limit", "0"], { timeoutMs: 120_000 });
      const samples = parseReport(report);
      const buckets = bucketSamples(samples);
      console.log(`${values.vxswitch === undefined ? "" : `[${values.vxswitch}] `}vxswitch --io batch${values.gre ? " --encap gre --key 42" : ""} ${positionals.join(" ")}: TCP 1 stream ${values.reverse ? "(reverse) " : ""}${(result.bitsPerSecond / 1e9).toFixed(2)} Gbit/s, ${result.retransmits} retransmits`);
      console.log(`daemons (both hosts): ${cpuSeconds.toFixed(2)} CPU-s in ${result.seconds.toFixed(1)} s for ${gb.toFixed(2)} GB = ${(cpuSeconds / gb).toFixed(3)} CPU-s/GB`);
      console.log(`\n| where | share | CPU-s/GB |\n|---|---:|---:|`);
      for (const b of buckets) console.log(`| ${b.name} | ${(b.share * 100).toFixed(1)} % | ${((b.share * cpuSeconds) / gb).toFixed(3)} |`);
      console.log(`\ntop symbols:`);
      for (const s of [...samples].sort((a, b) => b.percent - a.percent).slice(0, 15)) console.log(`  ${s.percent.toFixed(2)}%  ${s.dso}  ${s.symbol}`);
    } finally {
      await server.stop();
    }
  } finally {
    const pids = mesh.map((m) => m.vx.proc.pid);
    await stopMesh(mesh);
    await lab.destroy();
    await cleanupAll();
    rmSync(data, { force: true });
    for (const pid of pids) rmSync(`/tmp/perf-${pid}.map`, { force: true });
  }
  return 0;
}

/** `perf report --sort dso,sym -g none` lines: "  6.81%  [kernel.kallsyms]  [k] _copy_to_iter". */
function parseReport(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*([\d.]+)%\s+(\S+(?: tid \d+)?)\s+\[[.kg]\]\s+(.+?)\s*$/.exec(line);
    if (m !== null) out.push({ percent: Number(m[1]), dso: m[2]!, symbol: m[3]! });
  }
  return out;
}

runMain("profile", main);

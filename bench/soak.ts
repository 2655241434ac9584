// `npm run bench:soak`: a bounded soak of a three-host VXLAN mesh. iperf3 TCP c1 -> c2, ping c3 -> c1
// and c2 -> c3, ARP churn (neighbour flushes every second in every container) for M minutes; each
// switch's RSS, V8 heap and fd count at start and end (slope per hour); ping loss must be 0.
import { readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { processMemory } from "../lab/cpu.js";
import { startVxswitchMesh, stopMesh, type MeshMember } from "../lab/mesh.js";
import { nsExec, sleep } from "../lab/netns.js";
import { Lab } from "../lab/topology.js";
import { iperfClient, ping, startIperfServer, type PingResult } from "../lab/traffic.js";
import { runMainIfEntry } from "../lab/run-main.js";

const USAGE = `usage: npm run bench:soak -- [--minutes M] [--seconds S]

Three hosts in network namespaces vxs-<pid>-..., a VXLAN mesh, M minutes (default 10) of iperf3 TCP,
pings and ARP churn. Prints per-switch RSS/heap/fd at start and end. Needs root.`;

const METRICS = "127.0.0.1:9464";

interface Sample {
  rss: number;
  heap: number;
  fds: number;
}

async function sample(m: MeshMember): Promise<Sample> {
  const pid = m.vx.proc.child.pid!;
  const text = await nsExec(m.host.ns, ["python3", "-c", `import urllib.request;print(urllib.request.urlopen("http://${METRICS}/metrics").read().decode())`]);
  const heap = Number(/^vxswitch_nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? NaN);
  return { rss: processMemory(pid).rssBytes, heap, fds: readdirSync(`/proc/${pid}/fd`).length };
}

export interface SoakResult {
  seconds: number;
  pings: PingResult[];
  iperfGbps: number;
  retransmits: number;
  start: Sample[];
  end: Sample[];
  names: string[];
}

/** Runs the soak for `seconds` and returns what it measured (the lab is gone afterwards). */
export async function soak(seconds: number): Promise<SoakResult> {
  const lab = await Lab.create({ hosts: 3, label: "soak" });
  let mesh: MeshMember[] | undefined;
  let churn = true;
  try {
    await lab.checkUnderlay();
    mesh = await startVxswitchMesh(lab, { vni: 42, extraArgs: ["--metrics", METRICS] });
    const [c1, c2, c3] = [lab.container(1), lab.container(2), lab.container(3)];
    await ping(c1.ns, c2.address, { count: 2 });
    // Warm-up: the JIT and the slabs settle before the start sample.
    await ping(c3.ns, c1.address, { count: 5, interval: 0.1 });
    const start = await Promise.all(mesh.map(sample));
    const server = await startIperfServer(c2.ns, c2.address);
    const arpChurn = (async () => {
      while (churn) {
        for (const c of [c1, c2, c3]) await nsExec(c.ns, ["ip", "neigh", "flush", "dev", c.ifname]).catch(() => undefined);
        await sleep(1000);
      }
    })();
    try {
      const count = Math.floor(seconds / 0.2);
      const pings = Promise.all([ping(c3.ns, c1.address, { count, interval: 0.2, timeout: 2 }), ping(c2.ns, c3.address, { count, interval: 0.2, timeout: 2 })]);
      const iperf = await iperfClient(c1.ns, c2.address, { seconds });
      const done = await pings;
      churn = false;
      await arpChurn;
      const end = await Promise.all(mesh.map(sample));
      return { seconds, pings: done, iperfGbps: iperf.bitsPerSecond / 1e9, retransmits: iperf.retransmits ?? 0, start, end, names: mesh.map((m) => m.host.name) };
    } finally {
      churn = false;
      await server.stop();
    }
  } finally {
    if (mesh !== undefined) await stopMesh(mesh);
    await lab.destroy();
  }
}

const mib = (b: number): string => (b / 2 ** 20).toFixed(1);

export function formatSoak(r: SoakResult): string {
  const hours = r.seconds / 3600;
  const lines = [
    `soak ${r.seconds} s: iperf3 TCP ${r.iperfGbps.toFixed(2)} Gbit/s, ${r.retransmits} retransmits; pings ${r.pings.map((p) => `${p.received}/${p.transmitted}`).join(", ")}`,
    `| switch | RSS start MiB | RSS end MiB | RSS slope MiB/h | heap start MiB | heap end MiB | heap slope MiB/h | fds start | fds end |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  r.names.forEach((name, i) => {
    const s = r.start[i]!;
    const e = r.end[i]!;
    lines.push(`| ${name} | ${mib(s.rss)} | ${mib(e.rss)} | ${mib((e.rss - s.rss) / hours)} | ${mib(s.heap)} | ${mib(e.heap)} | ${mib((e.heap - s.heap) / hours)} | ${s.fds} | ${e.fds} |`);
  });
  return lines.join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { minutes: { type: "string" }, seconds: { type: "string" }, help: { type: "boolean" } } });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? "10") * 60;
  if (!(seconds >= 10 && seconds <= 24 * 3600)) {
    console.error(`--minutes/--seconds: 10 s .. 24 h`);
    return 2;
  }
  const r = await soak(seconds);
  console.log(formatSoak(r));
  return r.pings.every((p) => p.received === p.transmitted) && r.start.every((s, i) => r.end[i]!.fds === s.fds) ? 0 : 1;
}

runMainIfEntry(import.meta.url, "soak", main);

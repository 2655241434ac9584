// `npm run bench:scale`: N vxswitch instances (each in its own namespace) sharing one etcd in the
// lab: time from start to full convergence, time for a leave to propagate, etcd load, RSS per instance.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isEntry } from "../lab/run-main.js";
import { controlRequest } from "../src/control/control-client.js";
import { EtcdCluster } from "../lab/etcd.js";
import { cleanupAll, sleep } from "../lab/netns.js";
import { Lab } from "../lab/topology.js";
import { ping } from "../lab/traffic.js";
import { VxswitchProcess } from "../lab/vxswitch-process.js";

const USAGE = `usage: npm run bench:scale -- [--instances N[,N...]] [--lease S]

Starts N vxswitch instances (default 25, at most 50), each in a namespace vxs-<pid>-...-hN with a
container, all registered in one etcd (in the lab's switch namespace, 198.18.0.250), VNI 42, MAC
publication on. Measures: start -> every instance floods to the N-1 others; a clean leave
(SIGTERM, lease revoked) and a crash (SIGKILL, lease expiry) until every other instance dropped
it; etcd requests/s and watch events (etcd's /metrics and the switches' own counts) while idle;
RSS per instance. Light traffic: a few pings across the overlay. Needs root.`;

const ETCD = "198.18.0.250";
const MAX_INSTANCES = 50;

interface Status {
  membership: { state: string; hosts: number; floodPeers: Record<string, string[]>; requests: number; watchEvents: number; macsInstalled: number };
}

export interface ScaleResult {
  instances: number;
  readyMs: number;
  convergeMs: number;
  leaveMs: number;
  crashMs: number;
  leaseSeconds: number;
  etcdRequestsPerSecIdle: number;
  etcdRequestsConverge: number;
  watchEventsConverge: number;
  watchEventsPerLeave: number;
  macsInstalledPerInstance: number;
  rssMiB: { mean: number; max: number };
  pingLoss: number;
}

/** Sum of a counter family in Prometheus text (every label set). */
function promSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    sum += Number(line.trim().split(/\s+/).pop());
  }
  return sum;
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? 0 : Number(m[1]) / 1024;
}

async function until(what: string, timeoutMs: number, cond: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - t0;
}

export async function runScale(n: number, leaseSeconds: number): Promise<ScaleResult> {
  const lab = await Lab.create({ hosts: n, label: "scale" });
  const vx: VxswitchProcess[] = [];
  let etcd: EtcdCluster | undefined;
  try {
    etcd = await EtcdCluster.start({ ns: lab.switchNs, addresses: [ETCD] });
    const status = async (v: VxswitchProcess): Promise<Status> => (await controlRequest(v.control, { cmd: "status" })) as Status;
    const grpc = async (): Promise<number> => promSum(await etcd!.metrics(), "grpc_server_handled_total") + promSum(await etcd!.metrics(), "grpc_server_msg_received_total");
    const reqBefore = await grpc();
    const t0 = Date.now();
    const started = await Promise.all(lab.hosts.map((h) => VxswitchProcess.startWithConfig(h.ns, {
      local: h.underlayV4, peers: [], segments: [{ vni: 42, tap: "vx42", bridge: "br0" }],
      membership: { etcd: { endpoints: etcd!.endpoints, leaseSeconds, publishMacs: true } },
    }, { readyTimeoutMs: 120_000 })));
    vx.push(...started);
    const readyMs = Date.now() - t0;
    const full = async (members: VxswitchProcess[], expected: number): Promise<boolean> => {
      // A switch too busy starting up to answer within the control timeout counts as not there yet.
      const all = await Promise.all(members.map((v) => status(v))).catch(() => undefined);
      if (all === undefined) return false;
      return all.every((s) => s.membership.state === "connected" && (s.membership.floodPeers["42"]?.length ?? -1) === expected);
    };
    await until("convergence", 240_000, () => full(vx, n - 1)).catch(async (err: unknown) => {
      const states = await Promise.all(vx.map((v) => status(v).then((s) => `${s.membership.state}/${s.membership.floodPeers["42"]?.length ?? "-"}`, (e: unknown) => String(e))));
      throw new Error(`${err instanceof Error ? err.message : String(err)}; per instance state/flood peers: ${states.join(" ")}`);
    });
    const convergeMs = Date.now() - t0;
    console.error(`${n} instances: all ready after ${(readyMs / 1000).toFixed(1)} s, converged after ${(convergeMs / 1000).toFixed(1)} s`);
    const statuses = await Promise.all(vx.map((v) => status(v)));
    const watchEventsConverge = statuses.reduce((s, x) => s + x.membership.watchEvents, 0);
    const etcdRequestsConverge = (await grpc()) - reqBefore;

    // Light traffic: each container pings the next host's once; MACs get learned and published.
    let lost = 0;
    for (let i = 1; i <= n; i++) {
      // A ping that cannot even run on the loaded machine counts as lost, not as a failed bench.
      const r = await ping(lab.container(i).ns, lab.container((i % n) + 1).address, { count: 1, timeout: 2 }).catch(() => undefined);
      lost += r === undefined ? 1 : r.transmitted - r.received;
    }
    await sleep(1500);
    const macsInstalled = (await Promise.all(vx.map((v) => status(v)))).reduce((s, x) => s + x.membership.macsInstalled, 0) / n;

    // Idle load: keepalives (lease/3 per instance) and nothing else.
    const idleA = await grpc();
    const idleT = Date.now();
    await sleep(10_000);
    const etcdRequestsPerSecIdle = ((await grpc()) - idleA) / ((Date.now() - idleT) / 1000);

    const rss = vx.map((v) => rssMiB(v.proc.pid));
    const watchBefore = (await Promise.all(vx.slice(0, n - 1).map((v) => status(v)))).reduce((s, x) => s + x.membership.watchEvents, 0);
    const tLeave = Date.now();
    await vx[n - 1]!.stop();
    await until("clean leave", 30_000, () => full(vx.slice(0, n - 1), n - 2));
    const leaveMs = Date.now() - tLeave;
    const watchEventsPerLeave = (await Promise.all(vx.slice(0, n - 1).map((v) => status(v)))).reduce((s, x) => s + x.membership.watchEvents, 0) - watchBefore;
    const tCrash = Date.now();
    await vx[n - 2]!.proc.stop("SIGKILL");
    await until("crash leave", 30_000 + leaseSeconds * 1000, () => full(vx.slice(0, n - 2), n - 3));
    const crashMs = Date.now() - tCrash;
    return {
      instances: n, readyMs, convergeMs, leaveMs, crashMs, leaseSeconds, etcdRequestsPerSecIdle, etcdRequestsConverge, watchEventsConverge, watchEventsPerLeave,
      macsInstalledPerInstance: macsInstalled,
      rssMiB: { mean: rss.reduce((a, b) => a + b, 0) / rss.length, max: Math.max(...rss) },
      pingLoss: lost,
    };
  } finally {
    await Promise.all(vx.map((v) => v.stop().catch(() => undefined)));
    await etcd?.destroy();
    await lab.destroy();
  }
}

export function formatRow(r: ScaleResult): string {
  return `| ${r.instances} | ${(r.readyMs / 1000).toFixed(1)} | ${(r.convergeMs / 1000).toFixed(1)} | ${r.leaveMs} | ${(r.crashMs / 1000).toFixed(1)} (lease ${r.leaseSeconds} s) | ${r.etcdRequestsConverge} | ${r.watchEventsConverge} | ${r.watchEventsPerLeave} | ${r.etcdRequestsPerSecIdle.toFixed(1)} | ${r.macsInstalledPerInstance.toFixed(1)} | ${r.rssMiB.mean.toFixed(0)} / ${r.rssMiB.max.toFixed(0)} | ${r.pingLoss} |`;
}

export const HEADER = [
  "| instances | all ready (s) | converged (s) | clean leave seen by all (ms) | crash leave seen by all (s) | etcd gRPC requests to converge | watch events to converge (sum) | watch events per leave (sum) | etcd requests/s idle | remote MACs installed per instance | RSS MiB mean / max | pings lost |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
];

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { instances: { type: "string" }, lease: { type: "string" }, help: { type: "boolean" } } });
  if (values.help === true) {
    console.log(USAGE);
    return;
  }
  const sizes = (values.instances ?? "25").split(",").map(Number);
  const lease = Number(values.lease ?? "5");
  if (sizes.some((s) => !Number.isInteger(s) || s < 3 || s > MAX_INSTANCES) || !(lease >= 2 && lease <= 60)) {
    console.error(`vxswitch bench:scale: --instances takes 3..${MAX_INSTANCES} (comma-separated), --lease 2..60 seconds\n${USAGE}`);
    process.exit(2);
  }
  console.log(HEADER.join("\n"));
  try {
    for (const n of sizes) console.log(formatRow(await runScale(n, lease)));
  } finally {
    await cleanupAll();
  }
}

if (isEntry(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`vxswitch bench:scale: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}

// `npm run demo`: three hosts in network namespaces, vxswitch on each, containers pinging across
// the overlay; prints each host's FDB and counters, then tears everything down (also on Ctrl-C).
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startVxswitchMesh, type MeshMember } from "./mesh.js";
import { cleanupAll, formatExit, labTempDir, nsExec, spawnIn } from "./netns.js";
import { Lab } from "./topology.js";
import { ping, type PingResult } from "./traffic.js";
import { totalDrops, vxswitchArgv, vxswitchBuilt, vxswitchCli, type VxswitchStats } from "./vxswitch-process.js";
import { runMain } from "./run-main.js";

const USAGE = `usage: npm run demo -- [--hosts N] [--io batch|dgram] [--count N]

Builds N hosts (default 3) as network namespaces vxs-<pid>-... behind an underlay bridge
(198.18.0.0/24), a container behind each host's br0 (10.42.0.N/24), runs vxswitch on every host
(VXLAN VNI 42, full unicast mesh), pings every pair of containers, prints each host's FDB and
counters, then h1's status, fdb, a top snapshot, a few trace lines and four tunnel packets captured
with vxswitch capture and decoded by vxswitch decode, and removes everything again. Needs root.`;

interface PairResult {
  from: number;
  to: number;
  result: PingResult;
}

function fmtMs(ms: number | undefined): string {
  return ms === undefined ? "-" : `${ms.toFixed(2)} ms`;
}

function indent(text: string, by = "    "): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => by + line)
    .join("\n");
}

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      hosts: { type: "string", default: "3" },
      io: { type: "string", default: "batch" },
      count: { type: "string", default: "3" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const hosts = Number(values.hosts);
  const count = Number(values.count);
  const io = values.io;
  if (!Number.isInteger(hosts) || hosts < 2 || hosts > 8) throw new Error(`--hosts: 2..8, not ${values.hosts}`);
  if (!Number.isInteger(count) || count < 1 || count > 100) throw new Error(`--count: 1..100, not ${values.count}`);
  if (io !== "batch" && io !== "dgram") throw new Error(`--io: batch or dgram, not ${io}`);
  if (process.getuid?.() !== 0) {
    console.error("the demo builds network namespaces: run it as root (or with CAP_NET_ADMIN and CAP_SYS_ADMIN)");
    return 1;
  }
  if (!vxswitchBuilt()) {
    console.error("vxswitch is not built (dist/src/cli/main.js missing): run `npm run build` first");
    return 1;
  }

  console.log(`vxswitch demo: ${hosts} hosts, one VXLAN segment (VNI 42, UDP 4789), full unicast mesh, --io ${io}`);
  let lab: Lab | undefined;
  let mesh: MeshMember[] = [];
  try {
    const t0 = Date.now();
    lab = await Lab.create({ hosts, label: "demo" });
    heading(`Topology (built in ${Date.now() - t0} ms)`);
    console.log(`  underlay switch  ${lab.switchNs}  (bridge sw0, 198.18.0.0/24)`);
    for (const host of lab.hosts) {
      const c = lab.container(host.index);
      console.log(`  ${host.name}  ${host.ns.padEnd(24)}  u0 ${host.underlayV4.padEnd(12)}  br0 <- vxtap42 (vxswitch), ${c.hostIf} <- container ${c.address} ${c.mac}`);
    }
    await lab.checkUnderlay();
    console.log("  underlay: every host reaches every other host");

    heading("Starting vxswitch on every host");
    const t1 = Date.now();
    mesh = await startVxswitchMesh(lab, { vni: 42, io });
    for (const { host } of mesh) {
      console.log(`  ${host.name}: vxswitch up --local ${host.underlayV4} ${lab.remotesOf(host).map((r) => `--remote ${r}`).join(" ")} --vni 42 --tap vxtap42 --bridge br0 --io ${io}`);
    }
    console.log(`  all ready in ${Date.now() - t1} ms`);

    heading(`Pinging every pair of containers (${count} echo requests each)`);
    const pairs: PairResult[] = [];
    for (const from of lab.hosts) {
      for (const to of lab.hosts) {
        if (from === to) continue;
        const a = lab.container(from.index);
        const b = lab.container(to.index);
        const result = await ping(a.ns, b.address, { count, interval: 0.2, timeout: 1 });
        pairs.push({ from: from.index, to: to.index, result });
        const ok = result.received === result.transmitted && result.transmitted > 0;
        console.log(
          `  ${ok ? "ok  " : "FAIL"} h${from.index} -> h${to.index}  ${a.address} -> ${b.address}  ${result.received}/${result.transmitted} replies  avg ${fmtMs(result.rttAvgMs)}  p99 ${fmtMs(result.rttP99Ms)}`,
        );
      }
    }

    const stats = new Map<string, VxswitchStats>();
    for (const { host, vx } of mesh) {
      heading(`${host.name}: vxswitch fdb show`);
      try {
        console.log(indent(await vx.fdbShowText(), "  "));
      } catch (error) {
        console.log(`  (fdb show failed: ${error instanceof Error ? error.message : String(error)})`);
      }
      heading(`${host.name}: vxswitch stats`);
      try {
        console.log(indent(await vx.statsText(), "  "));
        stats.set(host.name, await vx.stats());
      } catch (error) {
        console.log(`  (stats failed: ${error instanceof Error ? error.message : String(error)})`);
      }
    }

    await showOperations(lab, mesh[0]!);

    heading("Summary");
    const answered = pairs.filter((p) => p.result.received === p.result.transmitted && p.result.transmitted > 0);
    const sent = pairs.reduce((n, p) => n + p.result.transmitted, 0);
    const received = pairs.reduce((n, p) => n + p.result.received, 0);
    const rtts = pairs.flatMap((p) => p.result.rttsMs);
    const avg = rtts.length === 0 ? undefined : rtts.reduce((a, b) => a + b, 0) / rtts.length;
    console.log(`  pairs answering: ${answered.length}/${pairs.length}   echo replies: ${received}/${sent}   rtt avg ${fmtMs(avg)}`);
    for (const [name, s] of stats) {
      console.log(
        `  ${name}: egress ${s.egress.frames} frames / ${s.egress.bytes} B (${totalDrops(s.egress)} dropped), ingress ${s.ingress.frames} frames / ${s.ingress.bytes} B (${totalDrops(s.ingress)} dropped)`,
      );
    }
    for (const { host, vx } of mesh) {
      if (!vx.running) console.log(`  ${host.name}: vxswitch is not running!\n${indent(vx.transcript())}`);
    }
    return answered.length === pairs.length ? 0 : 2;
  } finally {
    heading("Tearing down");
    const exits = await Promise.all(mesh.map(async ({ host, vx }) => `${host.name} ${formatExit(await vx.stop())}`));
    if (exits.length > 0) console.log(`  vxswitch exits: ${exits.join(", ")}`);
    const removed = lab?.allNamespaces().length ?? 0;
    await lab?.destroy();
    await cleanupAll();
    console.log(`  removed ${removed} namespaces`);
  }
}

/** What an operator looks at on one host: status, fdb show, top --once, trace lines and a few packets captured and decoded. */
async function showOperations(lab: Lab, { host, vx }: MeshMember): Promise<void> {
  const control = ["--control", vx.control];
  const show = async (title: string, args: string[], toSwitch = true): Promise<void> => {
    heading(`${host.name}: vxswitch ${title}`);
    try {
      console.log(indent(await vxswitchCli(host.ns, toSwitch ? [...args, ...control] : args), "  "));
    } catch (error) {
      console.log(`  (${title} failed: ${error instanceof Error ? error.message : String(error)})`);
    }
  };
  await show("status", ["status"]);
  await show("fdb show", ["fdb", "show"]);
  // Some traffic while top samples, so its rates are not all zero.
  const other = lab.container(lab.hosts[1]!.index);
  const traffic = ping(lab.container(host.index).ns, other.address, { count: 10, interval: 0.1 });
  await show("top --once", ["top", "--once"]);
  await traffic;

  // Live: a few trace lines and a short capture, both from vxswitch itself, while the containers ping.
  const pinger = lab.container(host.index).ns;
  // The container forgets its neighbours first: the trace opens with its ARP broadcast, flooded to every peer.
  await nsExec(pinger, ["ip", "neigh", "flush", "all"]).catch(() => "");
  heading(`${host.name}: vxswitch trace -c ${TRACE_LINES} (while pinging ${other.address})`);
  const trace = await watchWhilePinging(host.ns, ["trace", "-c", String(TRACE_LINES), ...control], /tracing/, pinger, other.address);
  console.log(indent(trace.stdout === "" ? `(no trace lines: ${trace.problem ?? "none printed"})` : trace.stdout, "  "));
  const file = join(labTempDir(), "demo-capture.pcap");
  heading(`${host.name}: vxswitch capture --outer -c 4 -w ${file} (while pinging), then vxswitch decode`);
  const capture = await watchWhilePinging(host.ns, ["capture", "--outer", "-c", "4", "-w", file, ...control], /capturing/, pinger, other.address);
  console.log(indent(capture.stderr || `(${capture.problem ?? "no summary"})`, "  "));
  await show(`decode ${file}`, ["decode", file], false);
}

const TRACE_LINES = 6;

/**
 * Runs a `vxswitch` stream command (trace, capture) in ns until it stops by itself (-c), pinging
 * to from pinger meanwhile; gives up after 10 s. Resolves with what it printed.
 */
async function watchWhilePinging(ns: string, args: string[], ready: RegExp, pinger: string, to: string): Promise<{ stdout: string; stderr: string; problem?: string }> {
  const proc = spawnIn(ns, vxswitchArgv(args));
  let problem: string | undefined;
  try {
    await proc.waitFor(ready, { stream: "stderr", timeoutMs: 10_000 });
    const traffic = ping(pinger, to, { count: 4, interval: 0.2 });
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000).unref());
    if ((await Promise.race([proc.exited, timeout])) === "timeout") problem = "it did not finish within 10 s";
    await traffic;
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  } finally {
    await proc.stop("SIGINT", 3_000);
  }
  return { stdout: proc.stdout, stderr: proc.stderr.replace(/^.*Ctrl-C to stop\n/m, ""), problem };
}

runMain("demo", main);

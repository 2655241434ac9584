// `npm run bench:fuzz`: a live fuzz of running switches. N random and mutated packets at h1's VXLAN
// socket (from h3's address), N frames into h1's TAP (from its container), and N GRE packets at a
// GRE switch's raw socket, each while c2 pings c1. Reports packets/s, ping loss, and whether the
// switch's counters account for every packet (forwarded + dropped by reason = received).
import { parseArgs } from "node:util";
import { accounted, runFuzzer, type FuzzMode } from "../lab/fuzz.js";
import { startVxswitchMesh, stopMesh, type MeshMember } from "../lab/mesh.js";
import { ipIn } from "../lab/netns.js";
import { Lab } from "../lab/topology.js";
import { ping } from "../lab/traffic.js";
import type { VxswitchProcess, VxswitchStats } from "../lab/vxswitch-process.js";
import { runMainIfEntry } from "../lab/run-main.js";

const USAGE = `usage: npm run bench:fuzz -- [--packets N] [--pps R]

Three hosts in network namespaces vxs-<pid>-..., a VXLAN mesh, then a two-host GRE mesh. N packets
(default 1000000) per target at R packets/s (default 50000; 0 = as fast as python sends). Needs root.`;

interface Row {
  target: string;
  sent: number;
  seconds: number;
  accountedFor: number;
  received: number;
  pings: string;
  alive: boolean;
}

async function tapTx(ns: string): Promise<number> {
  const link = (JSON.parse(await ipIn(ns, ["-s", "-j", "link", "show", "dev", "vxtap42"])) as { stats64: { tx: { packets: number } } }[])[0]!;
  return link.stats64.tx.packets;
}

async function txTo(vx: VxswitchProcess, address: string): Promise<number> {
  return (await vx.peers()).find((p) => p.address === address)?.txFrames ?? 0;
}

function ingressSeen(s: VxswitchStats): number {
  return accounted(s.ingress) + (s.io as { truncated: number; malformed: number }).truncated + (s.io as { malformed: number }).malformed;
}

/** One fuzz run at mesh[0] while c2 pings c1; `mode` picks the target. */
async function fuzzRun(lab: Lab, mesh: MeshMember[], mode: FuzzMode, packets: number, pps: number): Promise<Row> {
  const h1 = mesh[0]!;
  const target = lab.localOf(h1.host);
  const before = await h1.vx.stats();
  const tapBefore = await tapTx(h1.host.ns);
  const legitBefore = (await Promise.all(mesh.slice(1).map((m) => txTo(m.vx, target)))).reduce((a, b) => a + b, 0);
  const pings = ping(lab.container(2).ns, lab.container(1).address, { count: Math.ceil(packets / Math.max(pps, 50_000) / 0.2) + 10, interval: 0.2, timeout: 1 });
  const fuzz = mode === "tap"
    ? await runFuzzer(lab.container(1).ns, { mode, count: packets, pps, seed: 3, iface: lab.container(1).ifname })
    : await runFuzzer(lab.host(mesh.length).ns, { mode, count: packets, pps, seed: 5, src: lab.localOf(lab.host(mesh.length)), dst: target });
  const p = await pings;
  const after = await h1.vx.stats();
  if (mode === "tap") {
    return { target: "TAP (egress)", sent: fuzz.sent, seconds: fuzz.seconds, received: (await tapTx(h1.host.ns)) - tapBefore, accountedFor: accounted(after.egress) - accounted(before.egress), pings: `${p.received}/${p.transmitted}`, alive: h1.vx.running };
  }
  const legit = (await Promise.all(mesh.slice(1).map((m) => txTo(m.vx, target)))).reduce((a, b) => a + b, 0) - legitBefore;
  return { target: mode === "udp" ? "VXLAN socket (ingress)" : "GRE raw socket (ingress)", sent: fuzz.sent, seconds: fuzz.seconds, received: fuzz.sent + legit, accountedFor: ingressSeen(after) - ingressSeen(before), pings: `${p.received}/${p.transmitted}`, alive: h1.vx.running };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { packets: { type: "string" }, pps: { type: "string" }, help: { type: "boolean" } } });
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  const packets = Number(values.packets ?? "1000000");
  const pps = Number(values.pps ?? "50000");
  if (!Number.isInteger(packets) || packets < 1000) {
    console.error(`--packets ${values.packets}: an integer >= 1000`);
    return 2;
  }
  const rows: Row[] = [];
  for (const encap of ["vxlan", "gre"] as const) {
    const lab = await Lab.create({ hosts: encap === "vxlan" ? 3 : 2, label: `fz${encap}` });
    let mesh: MeshMember[] | undefined;
    try {
      await lab.checkUnderlay();
      mesh = await startVxswitchMesh(lab, encap === "gre" ? { greKey: 42 } : { vni: 42 });
      await ping(lab.container(1).ns, lab.container(2).address, { count: 2 });
      const modes: FuzzMode[] = encap === "vxlan" ? ["udp", "tap"] : ["gre"];
      for (const mode of modes) rows.push(await fuzzRun(lab, mesh, mode, packets, pps));
    } finally {
      if (mesh !== undefined) await stopMesh(mesh);
      await lab.destroy();
    }
  }
  console.log(`| target | packets sent | packets/s | received | forwarded + dropped | ping c2 -> c1 | switch up |`);
  console.log(`|---|---:|---:|---:|---:|---:|---|`);
  for (const r of rows) {
    console.log(`| ${r.target} | ${r.sent} | ${Math.round(r.sent / r.seconds)} | ${r.received} | ${r.accountedFor} | ${r.pings} | ${r.alive ? "yes" : "NO"} |`);
  }
  return rows.every((r) => r.alive && r.accountedFor >= r.received) ? 0 : 1;
}

runMainIfEntry(import.meta.url, "fuzz", main);

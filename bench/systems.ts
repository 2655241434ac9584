// The systems the macro benchmark compares, each set up on a fresh two-host lab: the underlay
// routed without an overlay, kernel vxlan, vxswitch in each I/O mode, and tinc in switch mode.
import { addKernelVxlan } from "../src/lab/kernel-vxlan.js";
import { startVxswitchMesh, stopMesh } from "../src/lab/mesh.js";
import { ipIn, sysctlIn } from "../src/lab/netns.js";
import { startTincSwitch, stopTinc, tincVersion } from "../src/lab/tinc.js";
import type { Lab } from "../src/lab/topology.js";
import { vxswitchBuilt, vxswitchCli, type IoMode, type VxswitchStats } from "../src/lab/vxswitch-process.js";
import type { Daemon } from "./measure.js";

export const SYSTEM_IDS = ["raw", "kernel", "kernel-tso", "dgram", "batch", "busy", "tinc"] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

/** The baseline the ratios are taken against. */
export const BASELINE: SystemId = "kernel";

const VNI = 42;

/** Per-host dataplane counters of a switch, for frames-per-batch figures. */
export interface SwitchCounters {
  host: string;
  egressFrames: number;
  egressBatches: number;
  ingressFrames: number;
  ingressBatches: number;
  drops: number;
}

export interface RunningSystem {
  /** Overlay daemons to measure (empty for the kernel's datapaths). */
  daemons: Daemon[];
  /** What the system reported about itself (offloads, versions), for the JSON record. */
  info: Record<string, unknown>;
  counters?: () => Promise<SwitchCounters[]>;
  stop(): Promise<void>;
}

export interface SystemSpec {
  id: SystemId;
  label: string;
  /** How it is set up, for the record. */
  setup: string;
  /**
   * Leave TX checksum offload (and so TSO/GSO) on the underlay veths. Only the kernel peers can
   * take that: a veth then hands the other end packets whose checksums were never filled in,
   * which userspace receivers count as corrupt. Default off for every other system.
   */
  underlayTxOffload?: boolean;
  /** Why it cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  start(lab: Lab): Promise<RunningSystem>;
}

const raw: SystemSpec = {
  id: "raw",
  label: "raw underlay",
  setup: "no overlay: each host routes its container's /32 over u0 (proxy ARP on br0, ip_forward)",
  unavailable: async () => undefined,
  async start(lab) {
    for (const host of lab.hosts) {
      await sysctlIn(host.ns, { "net.ipv4.ip_forward": 1, "net.ipv4.conf.br0.proxy_arp": 1 });
      for (const c of host.containers) await ipIn(host.ns, ["route", "add", `${c.address}/32`, "dev", c.bridge]);
      for (const other of lab.hosts) {
        if (other === host) continue;
        for (const c of other.containers) await ipIn(host.ns, ["route", "add", `${c.address}/32`, "via", other.underlayV4, "dev", host.underlayIf]);
      }
    }
    return { daemons: [], info: {}, stop: async () => undefined };
  },
};

const kernel: SystemSpec = {
  id: "kernel",
  label: "kernel vxlan",
  setup: `ip link add vxlan${VNI} type vxlan id ${VNI} dstport 4789 local <u0 addr> dev u0 (learning), all-zeros fdb entry per peer, on br0, mtu 1450`,
  unavailable: async () => undefined,
  async start(lab) {
    for (const host of lab.hosts) await addKernelVxlan(host.ns, { vni: VNI, local: host.underlayV4, remotes: lab.remotesOf(host) });
    return { daemons: [], info: {}, stop: async () => undefined };
  },
};

/**
 * The same kernel vxlan with the veths' offloads left on: GSO super-packets pass veth to veth
 * without ever being segmented, which no real link does. A reference for how fast the kernel can
 * go on this machine, not the baseline: vxswitch cannot run on that lab at all (see
 * underlayTxOffload).
 */
const kernelTso: SystemSpec = {
  ...kernel,
  id: "kernel-tso",
  label: "kernel vxlan, veth offloads on",
  setup: `${kernel.setup}; TX checksum offload (and with it TSO/GSO) left on the underlay veths`,
  underlayTxOffload: true,
};

/** Busy-poll window of the "busy" system: longer than the 10 ms between the benchmark's pings. */
const BUSY_POLL_US = 20_000;

function vxswitch(io: IoMode, id: SystemId = io, extraArgs: readonly string[] = []): SystemSpec {
  const flags = [`--io ${io}`, ...extraArgs].join(" ");
  return {
    id,
    label: `vxswitch ${flags}`,
    setup: `vxswitch up --local <u0 addr> --remote <peer> --vni ${VNI} --tap vxtap${VNI} --bridge br0 ${flags} (offloads as the binary decides)`,
    unavailable: async () => (vxswitchBuilt() ? undefined : "vxswitch is not built: run `npm run build`"),
    async start(lab) {
      const mesh = await startVxswitchMesh(lab, { vni: VNI, io, extraArgs });
      const info: Record<string, unknown> = {};
      for (const { host, vx } of mesh) {
        const status = await vxswitchCli(host.ns, ["status", "--control", vx.control, "--json"]).catch((error: unknown) => String(error));
        info[host.name] = { pid: vx.proc.pid, log: vx.proc.stdout.trim().split("\n"), status: parseJsonOr(status) };
      }
      return {
        daemons: mesh.map(({ host, vx }) => ({ host: host.name, pid: requirePid(vx.proc.pid, host.name) })),
        info,
        counters: async () => Promise.all(mesh.map(async ({ host, vx }) => switchCounters(host.name, await vx.stats()))),
        stop: () => stopMesh(mesh),
      };
    },
  };
}

const tinc: SystemSpec = {
  id: "tinc",
  label: "tinc switch",
  setup: "tincd 1.0, Mode = switch, Cipher = none, Digest = none, Compression = 0, TAP tinc0 on br0, mtu 1450",
  unavailable: async () => ((await tincVersion()) === undefined ? "tincd is not installed (bench/setup.sh installs it)" : undefined),
  async start(lab) {
    const nodes = await startTincSwitch(lab);
    return {
      daemons: nodes.map((n) => ({ host: n.host.name, pid: requirePid(n.proc.pid, n.host.name) })),
      info: { version: await tincVersion() },
      stop: () => stopTinc(nodes),
    };
  },
};

export const SYSTEMS: Record<SystemId, SystemSpec> = { raw, kernel, "kernel-tso": kernelTso, dgram: vxswitch("dgram"), batch: vxswitch("batch"),
  busy: vxswitch("batch", "busy", ["--busy-poll", String(BUSY_POLL_US)]), tinc };

function switchCounters(host: string, stats: VxswitchStats): SwitchCounters {
  const drops = (d: VxswitchStats["egress"]): number => Object.values(d.drops).reduce<number>((sum, n) => sum + (typeof n === "number" ? n : 0), 0);
  const batches = (d: VxswitchStats["egress"]): number => (typeof d.batches === "number" ? d.batches : 0);
  return {
    host,
    egressFrames: stats.egress.frames,
    egressBatches: batches(stats.egress),
    ingressFrames: stats.ingress.frames,
    ingressBatches: batches(stats.ingress),
    drops: drops(stats.egress) + drops(stats.ingress),
  };
}

/** Counters accumulated between two snapshots of the same hosts. */
export function counterDelta(before: readonly SwitchCounters[], after: readonly SwitchCounters[]): SwitchCounters[] {
  return after.map((a) => {
    const b = before.find((x) => x.host === a.host);
    if (b === undefined) return a;
    return {
      host: a.host,
      egressFrames: a.egressFrames - b.egressFrames,
      egressBatches: a.egressBatches - b.egressBatches,
      ingressFrames: a.ingressFrames - b.ingressFrames,
      ingressBatches: a.ingressBatches - b.ingressBatches,
      drops: a.drops - b.drops,
    };
  });
}

function requirePid(pid: number | undefined, host: string): number {
  if (pid === undefined) throw new Error(`the daemon on ${host} has no pid (did it start?)`);
  return pid;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.trim();
  }
}

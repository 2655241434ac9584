// The systems the macro benchmark compares, each set up on a fresh two-host lab: the underlay
// routed without an overlay, kernel vxlan, vxswitch in each mode, Open vSwitch's userspace
// datapath, and tinc in switch mode. Every underlay keeps the offloads a new veth has, as users
// have it; only Open vSwitch turns TX checksum offload off, on its own side, as it needs.
import { addKernelVxlan } from "../lab/kernel-vxlan.js";
import { startVxswitchMesh, stopMesh } from "../lab/mesh.js";
import { ipIn, sysctlIn, type NsProcess } from "../lab/netns.js";
import { OvsTunnelHost, ovsVersion } from "../lab/ovs.js";
import { startTincSwitch, stopTinc, tincVersion } from "../lab/tinc.js";
import { startWireguard, stopWireguard, wireguardGoVersion } from "../lab/wireguard.js";
import { labTempDir } from "../lab/netns.js";
import { generateKey } from "../src/io/key-file.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../lab/topology.js";
import { vxswitchBuilt, vxswitchCli, type IoMode, type VxswitchStats } from "../lab/vxswitch-process.js";
import type { Daemon } from "./measure.js";
import { captureToNull, idleClient, METRICS_ADDRESS, metricsScraper, type Listener } from "./listeners.js";

export const SYSTEM_IDS = [
  "raw", "kernel", "batch", "batch-idle-client", "batch-capture", "batch-metrics", "busy", "gre", "dgram", "ovs-vxlan", "ovs-gre", "tinc",
  "encrypted", "wireguard-go", "tinc-crypto",
] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

/** Plain batch with something attached: their cost is their figures against "batch" of the same run. */
export const COST_SYSTEMS: ReadonlySet<SystemId> = new Set<SystemId>(["batch-idle-client", "batch-capture", "batch-metrics"]);

/** The baseline the ratios are taken against: the kernel's vxlan with its defaults. */
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


/** Busy-poll window of the "busy" system: longer than the 10 ms between the benchmark's pings. */
const BUSY_POLL_US = 20_000;

/** Something attached to every switch of a system while it is measured (cost systems). */
interface Attached {
  listener: Listener;
  /** For the label and setup, e.g. "+ idle control client". */
  what: string;
}

function vxswitch(io: IoMode, id: SystemId, extraArgs: readonly string[] = [], gre = false, attached?: Attached): SystemSpec {
  const flags = [...(gre ? [`--encap gre --key ${VNI}`] : []), `--io ${io}`, ...extraArgs].join(" ");
  const plus = attached === undefined ? "" : ` ${attached.what}`;
  return {
    id,
    label: `vxswitch ${flags}${plus}`,
    setup: `vxswitch up --local <u0 addr> --remote <peer> ${gre ? "" : `--vni ${VNI} `}--tap vxtap${VNI} --bridge br0 ${flags} (offloads as the binary decides)${plus}`,
    unavailable: async () => (vxswitchBuilt() ? undefined : "vxswitch is not built: run `npm run build`"),
    async start(lab) {
      const mesh = await startVxswitchMesh(lab, { vni: VNI, greKey: gre ? VNI : undefined, io, extraArgs });
      const listeners: NsProcess[] = [];
      const stop = async (): Promise<void> => {
        await Promise.all(listeners.map((l) => l.stop()));
        await stopMesh(mesh);
      };
      try {
        for (const { host, vx } of mesh) if (attached !== undefined) listeners.push(await attached.listener(host.ns, vx.control));
      } catch (error) {
        await stop();
        throw error;
      }
      const info: Record<string, unknown> = {};
      for (const { host, vx } of mesh) {
        const status = await vxswitchCli(host.ns, ["status", "--control", vx.control, "--json"]).catch((error: unknown) => String(error));
        info[host.name] = { pid: vx.proc.pid, log: vx.proc.stdout.trim().split("\n"), status: parseJsonOr(status) };
      }
      return {
        daemons: mesh.map(({ host, vx }) => ({ host: host.name, pid: requirePid(vx.proc.pid, host.name) })),
        info,
        counters: async () => Promise.all(mesh.map(async ({ host, vx }) => switchCounters(host.name, await vx.stats()))),
        stop,
      };
    },
  };
}

function tincSwitch(crypto: boolean): SystemSpec {
  return {
    id: crypto ? "tinc-crypto" : "tinc",
    label: crypto ? "tinc switch, default cipher/digest" : "tinc switch",
    setup: `tincd 1.0, Mode = switch, ${crypto ? "default Cipher and Digest" : "Cipher = none, Digest = none"}, Compression = 0, TAP tinc0 on br0, mtu 1450`,
    unavailable: async () => ((await tincVersion()) === undefined ? "tincd is not installed (bench/setup.sh installs it)" : undefined),
    async start(lab) {
      const nodes = await startTincSwitch(lab, { crypto });
      return {
        daemons: nodes.map((n) => ({ host: n.host.name, pid: requirePid(n.proc.pid, n.host.name) })),
        info: { version: await tincVersion() },
        stop: () => stopTinc(nodes),
      };
    },
  };
}

const tinc = tincSwitch(false);

/** vxswitch sealed (docs/ENCRYPTION.md) with its default cipher; a fresh key file per run. TAPs at the containers' 1450. */
function encrypted(): SystemSpec {
  const flags = ["--key-file", "<key>", "--tap-mtu", "1450"];
  const spec = vxswitch("batch", "encrypted", flags);
  return {
    ...spec,
    label: "vxswitch encrypted (aes-256-gcm)",
    async start(lab) {
      const key = join(labTempDir(), "vxswitch.key");
      writeFileSync(key, `${generateKey()}\n`, { mode: 0o600 });
      return vxswitch("batch", "encrypted", flags.map((f) => (f === "<key>" ? key : f))).start(lab);
    },
  };
}

const wireguardGo: SystemSpec = {
  id: "wireguard-go",
  label: "wireguard-go (L3)",
  setup: "Debian wireguard-go + wg, one peer per host, allowed-ips the containers' /32s, routed with proxy ARP on br0 (layer 3), wg MTU 1420",
  unavailable: async () => ((await wireguardGoVersion()) === undefined ? "wireguard-go / wg are not installed (bench/setup.sh installs them)" : undefined),
  async start(lab) {
    const nodes = await startWireguard(lab);
    return {
      daemons: nodes.map((n) => ({ host: n.host.name, pid: requirePid(n.proc.pid, n.host.name) })),
      info: { version: await wireguardGoVersion() },
      stop: () => stopWireguard(nodes),
    };
  },
};

/**
 * Open vSwitch's userspace ("netdev") datapath on both hosts, the layout OVS documents for
 * userspace tunnelling (u0 in br-phy with the underlay address, tunnel port and container in
 * br-int). It reads its veths with AF_PACKET and drops packets whose checksums a veth left
 * partial: its own link gets TX checksum offload off where that matters (the switch port toward
 * it, its containers' veths), as its users are told to; the other hosts keep their defaults.
 */
function ovs(type: "vxlan" | "gre"): SystemSpec {
  return {
    id: `ovs-${type}`,
    label: `Open vSwitch userspace ${type === "vxlan" ? "VXLAN" : "GRE"}`,
    setup: `ovs-vswitchd datapath_type=netdev, br-phy (u0) + br-int (${type} port key 42, container); tx off on the switch port toward OVS and on its containers' veths`,
    unavailable: async () => ((await ovsVersion()) === undefined ? "Open vSwitch is not installed (scripts/install-deps.sh installs it)" : undefined),
    async start(lab) {
      const hosts: OvsTunnelHost[] = [];
      try {
        for (const host of lab.hosts) {
          // create() turns tx off on the switch's port toward OVS (OVS drops partial checksums).
          const o = await OvsTunnelHost.create(lab, host);
          hosts.push(o);
          for (const other of lab.hosts) if (other !== host) await o.addTunnel({ type, remote: other.underlayV4, key: VNI });
        }
      } catch (error) {
        await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
        throw error;
      }
      return {
        daemons: hosts.map((h) => ({ host: h.host.name, pid: requirePid(h.ovs.vswitchd.pid, h.host.name) })),
        info: { version: await ovsVersion() },
        stop: async () => {
          await Promise.all(hosts.map((h) => h.stop()));
        },
      };
    },
  };
}

const batch = vxswitch("batch", "batch");

export const SYSTEMS: Record<SystemId, SystemSpec> = {
  raw,
  kernel,
  batch,
  "batch-idle-client": vxswitch("batch", "batch-idle-client", [], false, { listener: idleClient, what: "+ idle control client" }),
  "batch-capture": vxswitch("batch", "batch-capture", [], false, { listener: captureToNull, what: "+ capture --inner -w /dev/null" }),
  "batch-metrics": vxswitch("batch", "batch-metrics", ["--metrics", METRICS_ADDRESS], false, { listener: metricsScraper, what: "+ scraped every 1 s" }),
  busy: vxswitch("batch", "busy", ["--busy-poll", String(BUSY_POLL_US)]),
  gre: vxswitch("batch", "gre", [], true),
  dgram: vxswitch("dgram", "dgram"),
  "ovs-vxlan": ovs("vxlan"),
  "ovs-gre": ovs("gre"),
  tinc,
  encrypted: encrypted(),
  "wireguard-go": wireguardGo,
  "tinc-crypto": tincSwitch(true),
};

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

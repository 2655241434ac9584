// `vxswitch up`: build a Config from flags or a file, start the switch, serve the control socket, tear down on signals.
import { loadConfigFile, validateConfig, type Config } from "../control/config.js";
import { ControlServer, DEFAULT_CONTROL_PATH } from "../control/control-server.js";
import { controlHandlers } from "../control/handlers.js";
import { plan, SwitchInstance, type Plan } from "../dataplane/instance.js";
import { tierUpSooner } from "../dataplane/jit-tiering.js";
import { startMetrics } from "../control/metrics-server.js";

export interface UpFlags {
  config?: string;
  local?: string;
  remote?: string[];
  vni?: number;
  key?: number;
  tap?: string;
  bridge?: string;
  address?: string;
  port?: number;
  mtu?: number;
  io?: string;
  encap?: string;
  greCsum?: boolean;
  trunk?: boolean;
  /** "VLAN:ID" pairs of a trunk TAP. */
  vlan?: string[];
  group?: string;
  ttl?: number;
  dev?: string;
  maxLearnedPeers?: number;
  greSeq?: boolean;
  ageing?: number;
  maxAddresses?: number;
  batch?: number;
  busyPoll?: number;
  /** commander's --no-offloads: false when given. */
  offloads?: boolean;
  control?: string;
  dryRun?: boolean;
  /** ADDR:PORT of the Prometheus endpoint; off when absent. */
  metrics?: string;
}

/** Flags -> the same object a config file holds, so both go through one validation. */
export function configFromFlags(f: UpFlags): Config {
  if (f.config !== undefined) {
    const cfg = loadConfigFile(f.config);
    return f.control !== undefined ? { ...cfg, control: f.control } : cfg;
  }
  const missing = (["local", "tap"] as const).filter((k) => f[k] === undefined);
  if (missing.length > 0) throw new Error(`missing ${missing.map((m) => `--${m}`).join(" and ")} (or give a config file with -c FILE)`);
  return validateConfig({
    local: f.local,
    port: f.port,
    encap: f.encap,
    greChecksum: f.greCsum,
    greSequence: f.greSeq,
    io: f.io,
    peers: f.remote ?? [],
    ageing: f.ageing,
    maxAddresses: f.maxAddresses,
    batch: f.batch,
    busyPoll: f.busyPoll,
    offloads: f.offloads,
    control: f.control,
    group: f.group,
    ttl: f.ttl,
    dev: f.dev,
    maxLearnedPeers: f.maxLearnedPeers,
    segments: [{ vni: f.vni, key: f.key, tap: f.tap, bridge: f.bridge, address: f.address, mtu: f.mtu, ...trunkFromFlags(f) }],
  });
}

/** --trunk / --vlan 100:1000 -> { trunk, vlans } of the segment; --vlan implies --trunk. */
export function trunkFromFlags(f: Pick<UpFlags, "trunk" | "vlan">): { trunk?: boolean; vlans?: Record<string, number> } {
  if (f.vlan === undefined) return f.trunk === true ? { trunk: true } : {};
  const vlans: Record<string, number> = {};
  for (const pair of f.vlan) {
    const m = /^(\d+):(\d+)$/.exec(pair.trim());
    if (m === null) throw new Error(`--vlan ${pair}: expected VLAN:ID, e.g. --vlan 100:1000`);
    if (vlans[m[1]!] !== undefined) throw new Error(`--vlan ${pair}: VLAN ${m[1]} is mapped twice`);
    vlans[m[1]!] = Number(m[2]);
  }
  return { trunk: true, vlans };
}

/** "vxlan", "gre", "gre (checksum, sequence)". */
function describeEncap(cfg: Config): string {
  const options = cfg.encap === "gre" ? [cfg.greChecksum ? "checksum" : "", cfg.greSequence ? "sequence" : ""].filter((o) => o !== "") : [];
  return options.length > 0 ? `${cfg.encap} (${options.join(", ")})` : cfg.encap;
}

export function describePlan(cfg: Config, p: Plan): string {
  const lines = [
    `would start vxswitch: encap ${describeEncap(cfg)}, io ${cfg.io}, local ${cfg.local}${cfg.encap === "gre" ? "" : ` port ${cfg.port}`}, batch ${cfg.batch}${cfg.busyPoll > 0 ? `, busy-poll ${cfg.busyPoll} µs` : ""}`,
    `  underlay ${p.underlayInterface ?? "(interface not found here)"} mtu ${p.underlayMtu}`,
    `  peers: ${cfg.peers.length > 0 ? cfg.peers.join(", ") : "(none)"}`,
    `  fdb: ageing ${cfg.ageing} s, at most ${cfg.maxAddresses} addresses per segment`,
  ];
  if (p.multicast !== undefined) {
    lines.push(`  multicast group ${p.multicast.group} on ${p.multicast.dev ?? "(routed interface)"}, ttl ${p.multicast.ttl}, loop off: floods go to the group, at most ${cfg.maxLearnedPeers} peers learned from traffic`);
  }
  const trunksOpened = new Set<string>();
  for (const s of p.segments) {
    if (s.createBridge) lines.push(`  create bridge ${s.bridge}, set it up`);
    if (s.vlan !== 0) {
      if (!trunksOpened.has(s.tap)) lines.push(`  open trunk TAP ${s.tap} (802.1Q), mtu ${s.mtu} (${s.mtuSource})${s.bridge ? `, attach to ${s.bridge}` : ""}, set it up`);
      trunksOpened.add(s.tap);
      lines.push(`    VLAN ${s.vlan} <-> ${cfg.encap === "gre" ? "GRE key" : "VNI"} ${s.id} (tag removed into the tunnel, restored out of it)`);
      continue;
    }
    lines.push(`  open TAP ${s.tap} for ${cfg.encap === "gre" ? "GRE key" : "VNI"} ${s.id}, mtu ${s.mtu} (${s.mtuSource})${s.bridge ? `, attach to ${s.bridge}` : ""}, set it up`);
    if (s.address) lines.push(`  add address ${s.address} to ${s.bridge ?? s.tap}`);
  }
  lines.push(`  control socket ${cfg.control ?? DEFAULT_CONTROL_PATH}`);
  return lines.join("\n");
}

export async function runUp(flags: UpFlags): Promise<void> {
  const cfg = configFromFlags(flags);
  const p = plan(cfg);
  if (flags.dryRun) {
    console.log(describePlan(cfg, p));
    return;
  }
  const log = (line: string): void => console.log(line);
  tierUpSooner();
  const instance = new SwitchInstance(cfg, p, log);
  await instance.start();
  const control = new ControlServer(cfg.control ?? DEFAULT_CONTROL_PATH, controlHandlers(instance));
  try {
    await control.listen();
  } catch (err) {
    instance.close();
    throw new Error(`cannot listen on control socket ${control.path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  const metrics = await startMetrics(flags.metrics ?? cfg.metrics, instance, log).catch((err: unknown) => {
    control.close();
    instance.close();
    throw err;
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping, removing TAPs`);
    control.close();
    metrics?.close();
    instance.close();
    process.exit(0);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  log(`ready: ${cfg.encap} ${p.segments.map((s) => `${s.id}@${s.vlan === 0 ? s.tap : `${s.tap}.${s.vlan}`}`).join(" ")} local ${cfg.encap === "gre" ? cfg.local : `${cfg.local}:${cfg.port}`} peers ${cfg.peers.join(",") || "-"}${cfg.group === undefined ? "" : ` group ${cfg.group}`} io ${instance.io} control ${control.path}`);
}

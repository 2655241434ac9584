// `vxswitch up`: build a Config from flags or a file, start the switch, serve the control socket, tear down on signals.
import { readKeyFile } from "../io/key-file.js";
import { ConfigError, loadConfigFile, validateConfig, type Config } from "../control/config.js";
import { mtuWarnings } from "../control/mtu-check.js";
import { portName } from "../switch/port-name.js";
import { UsageError } from "./usage-error.js";
import { ControlServer, DEFAULT_CONTROL_PATH } from "../control/control-server.js";
import { controlHandlers, startingHandlers } from "../control/handlers.js";
import { plan, type Plan } from "../control/plan.js";
import { tierUpSooner } from "../dataplane/jit-tiering.js";
import type { ReloadResult } from "../control/reload.js";
import { Logger, type LogFormat, type LogLevel } from "../log/logger.js";
import { ProblemWatch } from "../log/problem-watch.js";
import { Switch } from "../api/switch.js";

/** How long a stopping switch waits to revoke its etcd lease (so peers drop it at once). */
const ETCD_REVOKE_WAIT_MS = 1000;

/** How long `down` waits before exiting, so its answer reaches the client first. */
const DOWN_DELAY_MS = 50;

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
  tapMtu?: number;
  mac?: string;
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
  /** Encrypt every segment with keys from this pre-shared key file. */
  keyFile?: string;
  cipher?: string;
  rotateSeconds?: number;
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
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  /** etcd client URLs, comma-separated: membership through etcd. */
  etcd?: string;
}

/** Flags that go with -c FILE: where to listen and whether to start at all, not how to switch. */
const FLAGS_WITH_CONFIG_FILE = new Set<keyof UpFlags>(["config", "control", "dryRun", "logLevel", "logFormat"]);

/** The switch settings given as flags, by their command-line names (`--gre-csum`, `--no-offloads`). */
export function settingFlagsGiven(f: UpFlags): string[] {
  return (Object.keys(f) as (keyof UpFlags)[])
    .filter((k) => !FLAGS_WITH_CONFIG_FILE.has(k) && f[k] !== undefined && !(k === "offloads" && f[k] === true))
    .map((k) => (k === "offloads" ? "--no-offloads" : `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`));
}

/**
 * Flags -> the same object a config file holds, so both go through one validation. With -c FILE
 * the file is the whole configuration: setting flags beside it are refused (not merged), so
 * what runs is what the file says; only --control and --dry-run go with it.
 */
export function configFromFlags(f: UpFlags): Config {
  if (f.config !== undefined) {
    const extra = settingFlagsGiven(f);
    if (extra.length > 0) {
      throw new UsageError(`-c FILE holds the whole configuration; put ${extra.join(", ")} in the file instead (only --control, --dry-run, --log-level and --log-format go with -c)`, "vxswitch up");
    }
    const cfg = loadConfigFile(f.config);
    return f.control !== undefined ? { ...cfg, control: f.control } : cfg;
  }
  const missing = (["local", "tap"] as const).filter((k) => f[k] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(" and ")} (or give a config file with -c FILE)`, "vxswitch up");
  return validateFlags({
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
    ...(f.etcd !== undefined ? { membership: { etcd: { endpoints: f.etcd.split(",").map((u) => u.trim()).filter((u) => u !== "") } } } : {}),
    segments: [{ vni: f.vni, key: f.key, tap: f.tap, bridge: f.bridge, address: f.address, mtu: f.mtu, tapMtu: f.tapMtu, mac: f.mac, ...trunkFromFlags(f) }],
    ...encryptionFromFlags(f),
  });
}

/** --key-file FILE [--cipher C] [--rotate-seconds N]: the whole switch encrypted. */
function encryptionFromFlags(f: UpFlags): { encryption?: { keyFile: string; cipher?: string; rotateSeconds?: number } } {
  if (f.keyFile === undefined) {
    const stray = f.cipher !== undefined ? "--cipher" : f.rotateSeconds !== undefined ? "--rotate-seconds" : undefined;
    if (stray !== undefined) throw new UsageError(`${stray} goes with --key-file FILE (encryption)`, "vxswitch up");
    return {};
  }
  return { encryption: { keyFile: f.keyFile, cipher: f.cipher, rotateSeconds: f.rotateSeconds } };
}

/** Flags that do not make a valid configuration are a usage error, reported on one line. */
function validateFlags(input: unknown): Config {
  try {
    return validateConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.problems.map(flagProblem).join("; "), "vxswitch up");
    throw err;
  }
}

/** Config names that differ from their flag's name. */
const FLAG_OF_KEY: Record<string, string> = { encryption: "--key-file", peers: "--remote", greChecksum: "--gre-csum", greSequence: "--gre-seq", vlans: "--vlan", offloads: "--no-offloads", membership: "--etcd" };

/** "segments[0].vni: ..." -> "--vni: ...": a problem of a config built from flags, named by the flag. */
function flagProblem(problem: string): string {
  const m = /^(?:segments\[0\]\.)?([A-Za-z]+)(\[\d+\]|\.[^:]*)?: (.*)$/.exec(problem);
  if (m === null) return problem;
  const key = m[1]!;
  return `${FLAG_OF_KEY[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`}: ${m[3]}`;
}

/** --trunk / --vlan 100:1000 -> { trunk, vlans } of the segment; --vlan implies --trunk. */
export function trunkFromFlags(f: Pick<UpFlags, "trunk" | "vlan">): { trunk?: boolean; vlans?: Record<string, number> } {
  if (f.vlan === undefined) return f.trunk === true ? { trunk: true } : {};
  const vlans: Record<string, number> = {};
  for (const pair of f.vlan) {
    const m = /^(\d+):(\d+)$/.exec(pair.trim());
    if (m === null) throw new UsageError(`--vlan ${pair}: expected VLAN:ID, e.g. --vlan 100:1000`, "vxswitch up");
    if (vlans[m[1]!] !== undefined) throw new UsageError(`--vlan ${pair}: VLAN ${m[1]} is mapped twice`, "vxswitch up");
    vlans[m[1]!] = Number(m[2]);
  }
  return { trunk: true, vlans };
}

/** "vxlan", "gre", "gre (checksum, sequence)". */
function describeEncap(cfg: Config): string {
  const options = cfg.encap === "gre" ? [cfg.greChecksum ? "checksum" : "", cfg.greSequence ? "sequence" : ""].filter((o) => o !== "") : [];
  return options.length > 0 ? `${cfg.encap} (${options.join(", ")})` : cfg.encap;
}

function describePlan(cfg: Config, p: Plan): string {
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
  // A key file that is missing, malformed or readable by others stops `up` (and --dry-run) at once.
  if (cfg.encryption !== undefined) readKeyFile(cfg.encryption.keyFile);
  if (flags.dryRun) {
    console.log(describePlan(cfg, p));
    for (const warning of mtuWarnings(p)) console.log(warning);
    return;
  }
  const logger = new Logger({ level: flags.logLevel, format: flags.logFormat });
  const log = (line: string): void => logger.info(line);
  for (const warning of mtuWarnings(p)) logger.warn(warning);
  tierUpSooner();
  let sw: Switch | undefined;
  let stop = (_why: string): void => {};
  const reload = (trigger: string): ReloadResult => {
    try {
      if (sw === undefined) throw new Error("the switch is still starting");
      const result = sw.reload();
      logReload(logger, trigger, result);
      return result;
    } catch (err) {
      logger.error(`${trigger}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  };
  // The control socket first: a second switch on the same path is refused before it opens
  // anything, and the first one's socket is never touched. It answers through the library API.
  const hooks = { reload: () => reload("reload"), down: () => setTimeout(() => stop("down (control socket)"), DOWN_DELAY_MS) };
  // Until the switch runs, every request is answered "still starting"; then the API answers.
  const handlers = startingHandlers();
  const control = new ControlServer(cfg.control ?? DEFAULT_CONTROL_PATH, handlers, { log });
  await control.listen();
  // Whatever ends the process (an uncaught error too), the socket file goes with it, if still ours.
  process.once("exit", () => control.close());
  try {
    sw = await Switch.start(cfg, { log, configPath: flags.config, metrics: flags.metrics });
  } catch (err) {
    control.close();
    throw err;
  }
  const running = sw;
  Object.assign(handlers, controlHandlers(running, hooks));
  const watch = new ProblemWatch(running, logger);
  const watchTimer = setInterval(() => watch.check(), 1000);
  watchTimer.unref();
  let stopping = false;
  stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(watchTimer);
    watch.check();
    logger.flushProblems();
    log(`${why}: stopping, removing TAPs`);
    control.close();
    // Revoking an etcd lease takes this host out of every peer list now, not after the lease time.
    setTimeout(() => process.exit(0), ETCD_REVOKE_WAIT_MS).unref();
    void running.stop(true).finally(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // SIGHUP re-reads the config file (like `vxswitch reload`); a refused reload keeps the switch
  // running as it was, so a hang-up never kills the switch without its cleanup.
  process.on("SIGHUP", () => {
    try {
      reload("SIGHUP");
    } catch {
      // Logged by reload; the running state is kept.
    }
  });
  const etcd = cfg.membership?.etcd;
  log(`ready: ${cfg.encap} ${p.segments.map((s) => `${s.id}@${portName(s.tap, s.vlan)}`).join(" ")} local ${cfg.encap === "gre" ? cfg.local : `${cfg.local}:${cfg.port}`} peers ${cfg.peers.join(",") || "-"}${etcd === undefined ? "" : ` etcd ${etcd.endpoints.join(",")}`}${cfg.group === undefined ? "" : ` group ${cfg.group}`} io ${running.io} control ${control.path}`);
}

function logReload(logger: Logger, trigger: string, result: ReloadResult): void {
  if (result.changes.length === 0 && result.failed.length === 0) logger.info(`${trigger}: configuration unchanged`);
  for (const change of result.changes) logger.info(`${trigger}: ${change}`);
  for (const failure of result.failed) logger.error(`${trigger}: ${failure}`);
}

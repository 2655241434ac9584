// Runs the vxswitch CLI inside a lab namespace: `up` until it says ready, SIGTERM to stop, and
// the `fdb show` / `stats --json` queries over its control socket.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { formatExit, labTempDir, nsExec, spawnIn, type ExitStatus, type NsProcess } from "./netns.js";
import { assertUnderlayAddress } from "./topology.js";

export type IoMode = "batch" | "dgram";

export interface VxswitchUpOptions {
  local: string;
  remotes: readonly string[];
  /** VXLAN network identifier (VXLAN; omit for GRE). */
  vni?: number;
  /** Encapsulation (default: the CLI's, VXLAN). */
  encap?: "vxlan" | "gre";
  /** GRE key (GRE without it sends no key). */
  key?: number;
  /** GRE: --gre-csum / --gre-seq. */
  greChecksum?: boolean;
  greSequence?: boolean;
  tap: string;
  bridge?: string;
  /** Address for the TAP, with prefix length. */
  address?: string;
  port?: number;
  mtu?: number;
  io?: IoMode;
  /** Control socket path (default: a fresh one in a lab temp dir). */
  control?: string;
  /** Further flags, passed verbatim. */
  extraArgs?: readonly string[];
}

/** The YAML config of `vxswitch up -c FILE`. */
export interface VxswitchConfig {
  local: string;
  encap?: "vxlan" | "gre";
  greChecksum?: boolean;
  greSequence?: boolean;
  /** TAP offloads (virtio-net header, TSO split, TCP coalescing); default on. */
  offloads?: boolean;
  port?: number;
  peers: string[];
  io?: IoMode;
  control?: string;
  /** Flooded frames per segment (off when absent). */
  floodRateLimit?: { pps: number; burst?: number };
  maxAddresses?: number;
  metrics?: string;
  segments: VxswitchSegmentConfig[];
  /** Membership through etcd (see the config schema's membership.etcd). */
  membership?: { etcd: { endpoints: string[]; [setting: string]: unknown } };
  /** Encrypted tunnels (docs/ENCRYPTION.md). */
  encryption?: { keyFile: string; cipher?: "aes-256-gcm" | "chacha20-poly1305"; segments?: number[]; rotateSeconds?: number };
}

export interface VxswitchSegmentConfig {
  /** VXLAN segments have a vni, GRE segments a key (or neither: the keyless one). */
  vni?: number;
  key?: number;
  tap: string;
  /** Trunk segment: 802.1Q frames on the TAP, each VLAN (decimal string) its own VNI/key in `vlans`. */
  trunk?: boolean;
  vlans?: Record<string, number>;
  bridge?: string;
  address?: string;
  mtu?: number;
  floodRateLimit?: { pps: number; burst?: number };
}

export interface StartOptions {
  /** How long to wait for the line containing "ready" (default 15 s). */
  readyTimeoutMs?: number;
  /** Run the vxswitch of another built checkout (its root directory), e.g. to compare versions in one lab. */
  root?: string;
}

/** One line of `vxswitch fdb show`, e.g. `52:54:00:42:02:00 dst 198.18.0.2 vni 42 self`. */
export interface FdbLine {
  mac: string;
  dev: string | undefined;
  dst: string | undefined;
  vni: number | undefined;
  flags: string[];
  line: string;
}

/** One peer of `vxswitch peers --json`. */
export interface PeerLine {
  address: string;
  /** Learned from traffic (multicast group mode). */
  dynamic: boolean;
  rxFrames: number;
  txFrames: number;
}

export interface DirectionCounters {
  frames: number;
  bytes: number;
  drops: Record<string, number>;
  [counter: string]: unknown;
}

/** `vxswitch stats --json`: the counters the lab relies on, plus whatever else it prints. */
export interface VxswitchStats {
  egress: DirectionCounters;
  ingress: DirectionCounters;
  fdb: Record<string, unknown>;
  [key: string]: unknown;
}

let repoRootCache: string | undefined;

/** The repository root (the directory holding vxswitch's package.json), from lab/ or dist/lab/. */
export function repoRoot(): string {
  if (repoRootCache !== undefined) return repoRootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
      if (typeof parsed === "object" && parsed !== null && "name" in parsed && parsed.name === "vxswitch") {
        repoRootCache = dir;
        return dir;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the vxswitch repository root above the lab library");
    dir = parent;
  }
}

/** argv that runs the vxswitch CLI with this Node (absolute paths: PATH may differ in the netns). */
export function vxswitchArgv(args: readonly string[], root = repoRoot()): string[] {
  return [process.execPath, join(root, "bin", "vxswitch.js"), ...args];
}

/** Whether the CLI has been built (dist/src/cli/main.js exists). */
export function vxswitchBuilt(): boolean {
  return existsSync(join(repoRoot(), "dist", "src", "cli", "main.js"));
}

/** Runs `vxswitch args...` in a namespace and resolves with stdout. */
export function vxswitchCli(ns: string, args: readonly string[], timeoutMs = 15_000): Promise<string> {
  return nsExec(ns, vxswitchArgv(args), { timeoutMs });
}

/** The `up` flags for a single-segment switch. */
export function upArgs(options: VxswitchUpOptions & { control: string }): string[] {
  assertUnderlayAddress(options.local);
  options.remotes.forEach(assertUnderlayAddress);
  const args = ["up", "--local", options.local];
  for (const remote of options.remotes) args.push("--remote", remote);
  if (options.encap !== undefined) args.push("--encap", options.encap);
  if (options.vni !== undefined) args.push("--vni", String(options.vni));
  if (options.key !== undefined) args.push("--key", String(options.key));
  if (options.greChecksum === true) args.push("--gre-csum");
  if (options.greSequence === true) args.push("--gre-seq");
  args.push("--tap", options.tap);
  if (options.bridge !== undefined) args.push("--bridge", options.bridge);
  if (options.address !== undefined) args.push("--address", options.address);
  if (options.port !== undefined) args.push("--port", String(options.port));
  if (options.mtu !== undefined) args.push("--mtu", String(options.mtu));
  if (options.io !== undefined) args.push("--io", options.io);
  args.push("--control", options.control);
  if (options.extraArgs !== undefined) args.push(...options.extraArgs);
  return args;
}

/** A running `vxswitch up` in a namespace. */
export class VxswitchProcess {
  private constructor(
    readonly ns: string,
    readonly control: string,
    readonly proc: NsProcess,
  ) {}

  /** `vxswitch up --local ... --remote ... --vni ... --tap ...`, resolved once it prints "ready". */
  static async start(ns: string, options: VxswitchUpOptions, start: StartOptions = {}): Promise<VxswitchProcess> {
    const control = options.control ?? join(labTempDir(), "vxswitch.sock");
    return VxswitchProcess.launch(ns, control, upArgs({ ...options, control }), start);
  }

  /** Writes the config as YAML into a temp dir and runs `vxswitch up -c FILE`. */
  static async startWithConfig(ns: string, config: VxswitchConfig, start: StartOptions = {}): Promise<VxswitchProcess> {
    assertUnderlayAddress(config.local);
    config.peers.forEach(assertUnderlayAddress);
    const dir = labTempDir();
    const control = config.control ?? join(dir, "vxswitch.sock");
    const file = join(dir, "vxswitch.yaml");
    writeFileSync(file, stringify({ ...config, control }));
    return VxswitchProcess.launch(ns, control, ["up", "-c", file], start);
  }

  private static async launch(ns: string, control: string, args: string[], start: StartOptions): Promise<VxswitchProcess> {
    const proc = spawnIn(ns, vxswitchArgv(args, start.root));
    try {
      await proc.waitFor(/ready/, { stream: "stdout", timeoutMs: start.readyTimeoutMs ?? 15_000 });
    } catch (error) {
      await proc.stop("SIGKILL");
      throw error;
    }
    return new VxswitchProcess(ns, resolve(control), proc);
  }

  get running(): boolean {
    return this.proc.running;
  }

  /** SIGTERM, then waits for the exit (SIGKILL after timeoutMs). */
  stop(timeoutMs = 5_000): Promise<ExitStatus> {
    return this.proc.stop("SIGTERM", timeoutMs);
  }

  async fdbShow(): Promise<FdbLine[]> {
    return parseFdbShow(await this.fdbShowText());
  }

  fdbShowText(): Promise<string> {
    return vxswitchCli(this.ns, ["fdb", "show", "--control", this.control]);
  }

  async stats(): Promise<VxswitchStats> {
    return parseStats(await vxswitchCli(this.ns, ["stats", "--control", this.control, "--json"]));
  }

  /** `vxswitch peers --json`: configured and learned peers with their counters. */
  async peers(): Promise<PeerLine[]> {
    const parsed: unknown = JSON.parse(await vxswitchCli(this.ns, ["peers", "--control", this.control, "--json"]));
    if (!Array.isArray(parsed)) throw new Error(`vxswitch peers --json printed no list: ${JSON.stringify(parsed)}`);
    return parsed.filter(isRecord).map((p) => ({
      address: String(p.address),
      dynamic: p.dynamic === true,
      rxFrames: typeof p.rxFrames === "number" ? p.rxFrames : 0,
      txFrames: typeof p.txFrames === "number" ? p.txFrames : 0,
    }));
  }

  /** `vxswitch status --json`, unparsed beyond JSON. */
  async status(): Promise<Record<string, unknown>> {
    const parsed: unknown = JSON.parse(await vxswitchCli(this.ns, ["status", "--control", this.control, "--json"]));
    if (!isRecord(parsed)) throw new Error(`vxswitch status --json printed no object: ${JSON.stringify(parsed)}`);
    return parsed;
  }

  /** Plain `vxswitch stats` (human-readable). */
  statsText(): Promise<string> {
    return vxswitchCli(this.ns, ["stats", "--control", this.control]);
  }

  /** What the process printed so far, for failure messages. */
  transcript(): string {
    const status = this.proc.exitStatus;
    return `${status === undefined ? "running" : `exited (${formatExit(status)})`}${this.proc.transcript()}`;
  }
}

/** Parses `bridge fdb show`-style lines: `MAC [dev D] [dst A] [vni N] [flags...]`. */
export function parseFdbShow(text: string): FdbLine[] {
  const entries: FdbLine[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const words = line.split(/\s+/);
    const mac = words[0]?.toLowerCase();
    if (mac === undefined || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) continue;
    const entry: FdbLine = { mac, dev: undefined, dst: undefined, vni: undefined, flags: [], line };
    for (let i = 1; i < words.length; i += 1) {
      const word = words[i] ?? "";
      const value = words[i + 1];
      if ((word === "dev" || word === "dst" || word === "vni") && value !== undefined) {
        if (word === "vni") entry.vni = Number(value);
        else entry[word] = value;
        i += 1;
      } else {
        entry.flags.push(word);
      }
    }
    entries.push(entry);
  }
  return entries;
}

/** Parses `vxswitch stats --json`, checking the fields the lab relies on. */
export function parseStats(text: string): VxswitchStats {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`vxswitch stats --json printed no JSON:\n${text}`);
  }
  if (!isRecord(parsed) || !isDirection(parsed.egress) || !isDirection(parsed.ingress) || !isRecord(parsed.fdb)) {
    throw new Error(`vxswitch stats --json lacks egress/ingress {frames, bytes, drops} or fdb:\n${text}`);
  }
  return { ...parsed, egress: parsed.egress, ingress: parsed.ingress, fdb: parsed.fdb };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isDirection(value: unknown): value is DirectionCounters {
  return isRecord(value) && typeof value.frames === "number" && typeof value.bytes === "number" && isRecord(value.drops);
}

/** Sum of all drop counters of one direction. */
export function totalDrops(direction: DirectionCounters): number {
  return Object.values(direction.drops).reduce((sum, n) => sum + (typeof n === "number" ? n : 0), 0);
}

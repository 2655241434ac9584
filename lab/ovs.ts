// Open vSwitch's userspace ("netdev") datapath as an independent GRE/VXLAN peer inside a lab
// namespace: its own ovsdb-server and ovs-vswitchd with database, sockets and logs in a temp dir.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ipIn, labTempDir, nsExec, nsExecResult, run, runResult, sleep, spawnIn, waitUntil, type NsProcess } from "./netns.js";
import type { Lab, LabContainer, LabHost } from "./topology.js";
import { assertUnderlayAddress, UNDERLAY_IF } from "./topology.js";

const SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
/** Bridge holding the underlay port and the underlay address (OVS userspace tunnelling wants it so). */
export const OVS_PHYSICAL_BRIDGE = "br-phy";
/** Bridge holding the tunnel ports and the containers. */
export const OVS_INTEGRATION_BRIDGE = "br-int";

export interface OvsPortOptions {
  /** Interface type: "gre", "vxlan", "internal"; omitted for an existing Linux device. */
  type?: string;
  /** Interface options (options:KEY=VALUE). */
  options?: Record<string, string>;
  /** Access VLAN of the port (tag=N): what keeps segments apart inside one OVS bridge. */
  tag?: number;
}

export interface OvsTunnelOptions {
  type: "gre" | "vxlan";
  /** The remote underlay address. */
  remote: string;
  /** GRE key or VXLAN VNI (options:key); GRE without it sends no key. */
  key?: number;
  /** GRE: send (and expect nothing else of) checksums, options:csum=true. */
  csum?: boolean;
  /** GRE: send sequence numbers, options:seq=true. */
  seq?: boolean;
  /** VXLAN destination port (default 4789). */
  dstPort?: number;
  /** Port name (default gre<key>/vxlan<key>, or gre0/vxlan0). */
  name?: string;
  /** VLAN tag of the tunnel port inside br-int (see OvsPortOptions.tag). */
  tag?: number;
}

/** `ovs-vswitchd --version`'s first line, or undefined when Open vSwitch is not installed. */
export async function ovsVersion(): Promise<string | undefined> {
  try {
    const result = await runResult(["ovs-vswitchd", "--version"], { timeoutMs: 5_000 });
    return result.code === 0 ? result.stdout.split("\n")[0]?.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One Open vSwitch (ovsdb-server + ovs-vswitchd) in a namespace. The daemons run in the
 * foreground as lab processes, so the lab's cleanup kills them even if stop() never runs.
 */
export class OvsInstance {
  private stopped = false;

  private constructor(
    readonly ns: string,
    /** Database, unix sockets, pid and log files. */
    readonly dir: string,
    readonly db: NsProcess,
    readonly vswitchd: NsProcess,
  ) {}

  /** Starts both daemons and resolves once ovs-vswitchd answers; on failure stops what started. */
  static async start(ns: string): Promise<OvsInstance> {
    const dir = labTempDir();
    const env = ovsEnv(dir);
    await run(["ovsdb-tool", "create", join(dir, "conf.db"), SCHEMA], { env });
    const db = spawnIn(ns, [
      "ovsdb-server", join(dir, "conf.db"), `--remote=punix:${join(dir, "db.sock")}`, `--unixctl=${join(dir, "ovsdb-server.ctl")}`,
      `--pidfile=${join(dir, "ovsdb-server.pid")}`, `--log-file=${join(dir, "ovsdb-server.log")}`, "-vconsole:off",
    ], { env });
    let vswitchd: NsProcess | undefined;
    try {
      await waitUntil(async () => (await nsExecResult(ns, [...vsctlArgv(dir), "--no-wait", "init"], { env, timeoutMs: 5_000 })).code === 0,
        10_000, () => `ovsdb-server did not come up in ${ns}${db.transcript()}`);
      vswitchd = spawnIn(ns, [
        "ovs-vswitchd", `unix:${join(dir, "db.sock")}`, `--unixctl=${join(dir, "ovs-vswitchd.ctl")}`,
        `--pidfile=${join(dir, "ovs-vswitchd.pid")}`, `--log-file=${join(dir, "ovs-vswitchd.log")}`, "-vconsole:off",
      ], { env });
      const started = vswitchd;
      await waitUntil(async () => (await nsExecResult(ns, ["ovs-appctl", "-t", join(dir, "ovs-vswitchd.ctl"), "version"], { env, timeoutMs: 5_000 })).code === 0,
        15_000, () => `ovs-vswitchd did not come up in ${ns}${started.transcript()}\n${tail(join(dir, "ovs-vswitchd.log"))}`);
    } catch (error) {
      await vswitchd?.stop("SIGKILL");
      await db.stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return new OvsInstance(ns, dir, db, vswitchd);
  }

  get running(): boolean {
    return !this.stopped && this.db.running && this.vswitchd.running;
  }

  /** `ovs-vsctl ARGS` against this instance (waits for ovs-vswitchd to apply changes). */
  vsctl(args: readonly string[]): Promise<string> {
    return nsExec(this.ns, [...vsctlArgv(this.dir), ...args], { env: ovsEnv(this.dir), timeoutMs: 20_000 });
  }

  /** `ovs-appctl -t ovs-vswitchd.ctl ARGS`. */
  appctl(args: readonly string[]): Promise<string> {
    return nsExec(this.ns, ["ovs-appctl", "-t", join(this.dir, "ovs-vswitchd.ctl"), ...args], { env: ovsEnv(this.dir), timeoutMs: 20_000 });
  }

  /** A bridge on the userspace datapath (datapath_type=netdev: no kernel module involved). */
  async addBridge(name: string): Promise<void> {
    await this.vsctl(["--may-exist", "add-br", name, "--", "set", "bridge", name, "datapath_type=netdev"]);
  }

  async addPort(bridge: string, port: string, options: OvsPortOptions = {}): Promise<void> {
    const argv = ["--may-exist", "add-port", bridge, port];
    if (options.tag !== undefined) argv.push(`tag=${options.tag}`);
    const settings: string[] = [];
    if (options.type !== undefined) settings.push(`type=${options.type}`);
    for (const [key, value] of Object.entries(options.options ?? {})) settings.push(`options:${key}=${value}`);
    if (settings.length > 0) argv.push("--", "set", "interface", port, ...settings);
    await this.vsctl(argv);
  }

  /**
   * Moves a container's host-side veth off its Linux bridge into `bridge`, as an access port of
   * VLAN `tag` if given. OVS userspace reads the veth with AF_PACKET, which hands over TX-offloaded
   * packets with unfinished checksums that it would tunnel as they are; so the container computes
   * its checksums itself (tx off on its end: OVS's own link, not an underlay).
   */
  async attachContainer(bridge: string, container: LabContainer, tag?: number): Promise<void> {
    await nsExec(container.ns, ["ethtool", "-K", container.ifname, "tx", "off"]);
    await ipIn(this.ns, ["link", "set", container.hostIf, "nomaster"]);
    await this.addPort(bridge, container.hostIf, { tag });
    await ipIn(this.ns, ["link", "set", container.hostIf, "up"]);
  }

  /** The statistics column of an interface (rx_packets, tx_packets, ...). */
  async interfaceStats(name: string): Promise<Record<string, number>> {
    const text = await this.vsctl(["get", "interface", name, "statistics"]);
    const stats: Record<string, number> = {};
    for (const match of text.matchAll(/([a-z_]+)=(\d+)/g)) stats[match[1]!] = Number(match[2]);
    return stats;
  }

  /**
   * Packets the kernel dropped at ovs-vswitchd's AF_PACKET sockets because their receive
   * buffers were full (the sum of `ss -0 -m`'s d<N> over them). OVS reads its ports with these
   * sockets; its own statistics count packets at the interface, before this loss.
   */
  async packetSocketDrops(): Promise<number> {
    const text = await nsExec(this.ns, ["ss", "-a", "-m", "-p", "-0"]);
    let drops = 0;
    for (const line of text.split("\n")) {
      if (!line.includes('"ovs-vswitchd"')) continue;
      drops += Number(line.match(/skmem:\(.*\bd(\d+)\)/)?.[1] ?? 0);
    }
    return drops;
  }

  /** The tail of ovs-vswitchd's log, for failure messages. */
  logTail(lines = 30): string {
    return tail(join(this.dir, "ovs-vswitchd.log"), lines);
  }

  /**
   * Stops ovs-vswitchd with `exit --cleanup` (it removes its datapath and the TAPs of its
   * internal ports), then ovsdb-server; kills whichever does not exit; removes the directory.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      if (this.vswitchd.running) {
        await this.appctlQuiet(join(this.dir, "ovs-vswitchd.ctl"), ["exit", "--cleanup"]);
        await waitExit(this.vswitchd, 5_000);
      }
      if (this.db.running) {
        await this.appctlQuiet(join(this.dir, "ovsdb-server.ctl"), ["exit"]);
        await waitExit(this.db, 3_000);
      }
    } finally {
      await this.vswitchd.stop("SIGTERM", 2_000);
      await this.db.stop("SIGTERM", 2_000);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private async appctlQuiet(target: string, args: string[]): Promise<void> {
    await nsExecResult(this.ns, ["ovs-appctl", "-t", target, ...args], { env: ovsEnv(this.dir), timeoutMs: 10_000 }).catch(() => undefined);
  }
}

/**
 * A lab host turned into an OVS tunnel endpoint, the layout OVS documents for userspace
 * tunnelling: u0 becomes a port of br-phy, which takes over the underlay address; br-int holds
 * the tunnel ports and the host's containers (moved off the Linux bridge they were on).
 *
 * OVS reads u0 with AF_PACKET and checks every tunnel checksum it finds in software, blind to
 * the kernel's "checksum not finished yet" mark. Peers on default offloads (vxswitch, kernel
 * vxlan) send outer UDP checksums that a veth leaves partial (a NIC would finish them on the
 * wire), so OVS would drop all of their VXLAN. The underlay switch's port toward the OVS host
 * therefore finishes checksums in software (tx off on the switch namespace's end of this host's
 * link): what OVS gets is what a real wire carries. Only frames toward OVS are affected; the
 * peers' own links keep their default offloads. Turning tx off on u0 itself changes nothing for
 * OVS (it computes every checksum it sends), so u0 keeps its defaults too.
 */
export class OvsTunnelHost {
  private constructor(
    readonly host: LabHost,
    readonly ovs: OvsInstance,
  ) {}

  static async create(lab: Lab, host: LabHost): Promise<OvsTunnelHost> {
    const ovs = await OvsInstance.start(host.ns);
    try {
      // The switch namespace's end of a host's underlay veth is named after the host (see Lab).
      await nsExec(lab.switchNs, ["ethtool", "-K", host.name, "tx", "off"]);
      const cidr = (await ipIn(host.ns, ["-4", "-o", "addr", "show", "dev", UNDERLAY_IF])).match(/inet (\S+)/)?.[1];
      if (cidr === undefined) throw new Error(`${host.name} has no IPv4 address on ${UNDERLAY_IF}`);
      await ovs.addBridge(OVS_PHYSICAL_BRIDGE);
      await ovs.addPort(OVS_PHYSICAL_BRIDGE, UNDERLAY_IF);
      await ipIn(host.ns, ["addr", "flush", "dev", UNDERLAY_IF]);
      await ipIn(host.ns, ["addr", "add", cidr, "dev", OVS_PHYSICAL_BRIDGE]);
      await ipIn(host.ns, ["link", "set", OVS_PHYSICAL_BRIDGE, "up"]);
      await ovs.addBridge(OVS_INTEGRATION_BRIDGE);
      for (const container of host.containers) await ovs.attachContainer(OVS_INTEGRATION_BRIDGE, container);
    } catch (error) {
      await ovs.stop().catch(() => undefined);
      throw error;
    }
    return new OvsTunnelHost(host, ovs);
  }

  /** Adds a GRE or VXLAN port to br-int; returns its name. */
  async addTunnel(options: OvsTunnelOptions): Promise<string> {
    assertUnderlayAddress(options.remote);
    const name = options.name ?? `${options.type}${options.key ?? 0}`;
    const settings: Record<string, string> = { remote_ip: options.remote };
    if (options.key !== undefined) settings.key = String(options.key);
    if (options.csum === true) settings.csum = "true";
    if (options.seq === true) settings.seq = "true";
    if (options.dstPort !== undefined) settings.dst_port = String(options.dstPort);
    await this.ovs.addPort(OVS_INTEGRATION_BRIDGE, name, { type: options.type, options: settings, tag: options.tag });
    return name;
  }

  /** Changes options of a tunnel port (e.g. { csum: "true" }) in place. */
  async setTunnelOptions(name: string, options: Record<string, string>): Promise<void> {
    const settings = Object.entries(options).map(([key, value]) => `options:${key}=${value}`);
    await this.ovs.vsctl(["set", "interface", name, ...settings]);
  }

  /** Moves a container of this host into br-int, optionally as an access port of VLAN `tag`. */
  async attachContainer(container: LabContainer, tag?: number): Promise<void> {
    await this.ovs.attachContainer(OVS_INTEGRATION_BRIDGE, container, tag);
  }

  stop(): Promise<void> {
    return this.ovs.stop();
  }
}

function ovsEnv(dir: string): Record<string, string> {
  return { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
}

function vsctlArgv(dir: string): string[] {
  return ["ovs-vsctl", `--db=unix:${join(dir, "db.sock")}`, "--timeout=15"];
}

async function waitExit(proc: NsProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (proc.running && Date.now() < deadline) await sleep(50);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return `(no ${file})`;
  }
}

// Lab topologies: an underlay switch namespace (Linux bridge sw0), hosts joined to it by veth u0
// (198.18.0.N/24, optionally 2001:2::N/64), and containers behind a bridge in each host.
import { isIPv4, isIPv6 } from "node:net";
import { createNamespace, deleteNamespace, ipIn, nsExecResult, sysctlIn, uniqueName } from "./netns.js";

/** The underlay bridge inside the switch namespace. */
export const UNDERLAY_BRIDGE = "sw0";
/** Each host's underlay interface. */
export const UNDERLAY_IF = "u0";
/** Each container's interface. */
export const CONTAINER_IF = "eth0";
/** Overlay MTU with a VXLAN/IPv4 underlay of 1500 (50 bytes of encapsulation). */
export const VXLAN_MTU_V4 = 1450;
/** Overlay MTU with a VXLAN/IPv6 underlay of 1500 (70 bytes of encapsulation). */
export const VXLAN_MTU_V6 = 1430;

export interface LabOptions {
  /** Number of hosts (1..200). */
  hosts: number;
  /** Also give each host an IPv6 underlay address 2001:2::N/64 (RFC 5180 benchmarking range). */
  ipv6?: boolean;
  /** Put one container per host on bridge br0, 10.42.0.N/24 (default true). */
  containers?: boolean;
  /** MTU of container interfaces (default 1450, or 1430 with `ipv6`). */
  overlayMtu?: number;
  /** Short label used in names, e.g. "mesh" (default none). */
  label?: string;
}

export interface LabHost {
  /** 1-based. */
  index: number;
  /** "h1", "h2", ... */
  name: string;
  ns: string;
  underlayIf: string;
  /** 198.18.0.N */
  underlayV4: string;
  /** 2001:2::N when the lab has an IPv6 underlay. */
  underlayV6: string | undefined;
  containers: LabContainer[];
}

export interface LabContainer {
  ns: string;
  host: LabHost;
  /** Bridge in the host namespace the container hangs off. */
  bridge: string;
  /** Interface inside the container. */
  ifname: string;
  /** Veth end in the host namespace (bridge port). */
  hostIf: string;
  /** Overlay address without prefix length, e.g. "10.42.0.1". */
  address: string;
  /** With prefix length, e.g. "10.42.0.1/24". */
  cidr: string;
  mac: string;
}

export interface ContainerOptions {
  /** Bridge in the host namespace; created if missing (default "br0"). */
  bridge?: string;
  /**
   * Overlay address with prefix, e.g. "10.42.0.11/24"; "dhcp" for none (a DHCP client gets one
   * later): `address` and `cidr` of the container are then "".
   */
  cidr: string;
  /** MAC of the container interface (default 52:54:00:42:HH:KK). */
  mac?: string;
  mtu?: number;
}

/** 198.18.0.0/15, the benchmarking range: the only IPv4 underlay addresses a lab uses. */
export function isBenchmarkingV4(address: string): boolean {
  const parts = address.split(".").map(Number);
  return isIPv4(address) && parts[0] === 198 && (parts[1] === 18 || parts[1] === 19);
}

/** 2001:2::/48, the IPv6 benchmarking range. */
export function isBenchmarkingV6(address: string): boolean {
  const groups = expandV6(address);
  return groups !== undefined && groups[0] === 0x2001 && groups[1] === 0x0002 && groups[2] === 0;
}

/** Checks that an underlay address is in a benchmarking range (so traffic stays in the lab). */
export function assertUnderlayAddress(address: string): void {
  if (!isBenchmarkingV4(address) && !isBenchmarkingV6(address)) {
    throw new Error(`refusing underlay address ${address}: labs use 198.18.0.0/15 or 2001:2::/48 only`);
  }
}

function expandV6(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  const [head = "", tail] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill("0"), ...right];
  return groups.map((g) => parseInt(g, 16));
}

export class Lab {
  readonly hosts: LabHost[] = [];
  readonly switchNs: string;
  private readonly namespaces: string[] = [];
  private destroyed = false;

  private constructor(
    readonly id: string,
    readonly options: Required<Omit<LabOptions, "label">>,
  ) {
    this.switchNs = `${id}-sw`;
  }

  /** Builds the lab; on failure removes whatever it had built and rethrows. */
  static async create(options: LabOptions): Promise<Lab> {
    if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 200) {
      throw new Error(`a lab has 1..200 hosts, not ${options.hosts}`);
    }
    const ipv6 = options.ipv6 ?? false;
    const id = options.label === undefined ? uniqueName() : `${uniqueName()}-${options.label}`;
    const lab = new Lab(id, {
      hosts: options.hosts,
      ipv6,
      containers: options.containers ?? true,
      overlayMtu: options.overlayMtu ?? (ipv6 ? VXLAN_MTU_V6 : VXLAN_MTU_V4),
    });
    try {
      await lab.build();
    } catch (error) {
      await lab.destroy().catch(() => undefined);
      throw error;
    }
    return lab;
  }

  /** Host by 1-based index. */
  host(index: number): LabHost {
    const host = this.hosts[index - 1];
    if (host === undefined) throw new Error(`lab ${this.id} has no host ${index}`);
    return host;
  }

  /** The k-th (0-based) container of host `index`. */
  container(index: number, k = 0): LabContainer {
    const container = this.host(index).containers[k];
    if (container === undefined) throw new Error(`host h${index} of lab ${this.id} has no container ${k}`);
    return container;
  }

  /** The host's own underlay address in the chosen family. */
  localOf(host: LabHost, family: 4 | 6 = 4): string {
    if (family === 4) return host.underlayV4;
    if (host.underlayV6 === undefined) throw new Error(`lab ${this.id} has no IPv6 underlay`);
    return host.underlayV6;
  }

  /** Underlay addresses of every other host: the peers of a full unicast mesh. */
  remotesOf(host: LabHost, family: 4 | 6 = 4): string[] {
    return this.hosts.filter((h) => h !== host).map((h) => this.localOf(h, family));
  }

  /** Every namespace of the lab, switch first. */
  allNamespaces(): string[] {
    return [...this.namespaces];
  }

  /** Creates a bridge in a host namespace if it is not there yet, and sets it up. */
  async ensureBridge(host: LabHost, bridge: string): Promise<void> {
    await ensureBridge(host.ns, bridge);
  }

  /** Adds a container namespace, joined by veth to `bridge` in the host namespace. */
  async addContainer(host: LabHost, options: ContainerOptions): Promise<LabContainer> {
    const k = host.containers.length;
    const bridge = options.bridge ?? "br0";
    const ns = `${this.id}-${host.name}c${k}`;
    const hostIf = `c${k}`;
    const mac = options.mac ?? `52:54:00:42:${hex2(host.index)}:${hex2(k)}`;
    const mtu = options.mtu ?? this.options.overlayMtu;
    const dhcp = options.cidr === "dhcp";
    const [address] = dhcp ? [""] : options.cidr.split("/");
    if (address === undefined || (!dhcp && !options.cidr.includes("/"))) throw new Error(`container address needs a prefix length: ${options.cidr}`);
    await this.ensureBridge(host, bridge);
    await this.addNamespace(ns);
    // Quiet overlay: no IPv6 link-local chatter (RS, MLD) that would be flooded across tunnels.
    await sysctlIn(ns, { "net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1 });
    await ipIn(ns, ["link", "add", CONTAINER_IF, "type", "veth", "peer", "name", hostIf, "netns", host.ns]);
    await ipIn(ns, ["link", "set", CONTAINER_IF, "address", mac, "mtu", String(mtu)]);
    if (!dhcp) await ipIn(ns, ["addr", "add", options.cidr, "dev", CONTAINER_IF]);
    await ipIn(ns, ["link", "set", CONTAINER_IF, "up"]);
    await ipIn(host.ns, ["link", "set", hostIf, "mtu", String(mtu), "master", bridge, "up"]);
    const container: LabContainer = { ns, host, bridge, ifname: CONTAINER_IF, hostIf, address, cidr: dhcp ? "" : options.cidr, mac };
    host.containers.push(container);
    return container;
  }

  /** Pings every other host's underlay address once from each host (also fills ARP caches). */
  async checkUnderlay(family: 4 | 6 = 4): Promise<void> {
    for (const host of this.hosts) {
      for (const peer of this.remotesOf(host, family)) {
        const result = await nsExecResult(host.ns, ["ping", "-c", "1", "-W", "2", peer]);
        if (result.code !== 0) throw new Error(`underlay: ${host.name} cannot reach ${peer}\n${result.stdout}${result.stderr}`);
      }
    }
  }

  /** Deletes every namespace of the lab (processes in them are killed first). Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const errors: string[] = [];
    for (const ns of [...this.namespaces].reverse()) {
      try {
        await deleteNamespace(ns);
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (errors.length > 0) throw new Error(`lab ${this.id} teardown incomplete:\n${errors.join("\n")}`);
  }

  private async addNamespace(ns: string): Promise<void> {
    await createNamespace(ns);
    this.namespaces.push(ns);
  }

  private async build(): Promise<void> {
    const { hosts, ipv6, containers } = this.options;
    const sw = this.switchNs;
    await this.addNamespace(sw);
    await sysctlIn(sw, { "net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1 });
    await ensureBridge(sw, UNDERLAY_BRIDGE);
    for (let index = 1; index <= hosts; index += 1) {
      const name = `h${index}`;
      const ns = `${this.id}-${name}`;
      const host: LabHost = {
        index,
        name,
        ns,
        underlayIf: UNDERLAY_IF,
        underlayV4: `198.18.0.${index}`,
        underlayV6: ipv6 ? `2001:2::${index.toString(16)}` : undefined,
        containers: [],
      };
      await this.addNamespace(ns);
      // New interfaces (bridges, TAPs, veths) start without IPv6 so the overlay stays quiet;
      // u0 gets it back explicitly when the underlay is IPv6.
      await sysctlIn(ns, { "net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1 });
      await ipIn(ns, ["link", "add", UNDERLAY_IF, "type", "veth", "peer", "name", name, "netns", sw]);
      await ipIn(sw, ["link", "set", name, "master", UNDERLAY_BRIDGE, "up"]);
      await ipIn(ns, ["addr", "add", `${host.underlayV4}/24`, "dev", UNDERLAY_IF]);
      if (host.underlayV6 !== undefined) {
        await sysctlIn(ns, { [`net.ipv6.conf.${UNDERLAY_IF}.disable_ipv6`]: 0 });
        await ipIn(ns, ["addr", "add", `${host.underlayV6}/64`, "dev", UNDERLAY_IF, "nodad"]);
      }
      await ipIn(ns, ["link", "set", UNDERLAY_IF, "up"]);
      this.hosts.push(host);
    }
    if (containers) {
      for (const host of this.hosts) await this.addContainer(host, { bridge: "br0", cidr: `10.42.0.${host.index}/24` });
    }
  }
}

/**
 * Creates a Linux bridge in a namespace unless it exists, with multicast snooping off, and sets
 * it up. With snooping on, a bridge sends IGMPv3 reports (joining 224.0.0.106) when it comes up;
 * across a tunnel those are stray flooded frames that would spoil exact packet counts.
 */
export async function ensureBridge(ns: string, bridge: string): Promise<void> {
  checkIfName(bridge);
  const exists = await nsExecResult(ns, ["ip", "link", "show", "dev", bridge]);
  if (exists.code !== 0) await ipIn(ns, ["link", "add", bridge, "type", "bridge", "mcast_snooping", "0"]);
  else await ipIn(ns, ["link", "set", bridge, "type", "bridge", "mcast_snooping", "0"]);
  await ipIn(ns, ["link", "set", bridge, "up"]);
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, "0");
}

function checkIfName(name: string): void {
  if (name.length === 0 || name.length > 15 || /[\s/]/.test(name)) throw new Error(`bad interface name "${name}" (1..15 characters, no spaces or slashes)`);
}

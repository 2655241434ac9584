// A kernel vxlan device as the independent peer: unicast mesh by all-zeros FDB entries (or a
// multicast group), learning on (the kernel default), enslaved to a host bridge.
import { ipIn, run } from "./netns.js";
import { assertUnderlayAddress, ensureBridge, UNDERLAY_IF, VXLAN_MTU_V4, VXLAN_MTU_V6 } from "./topology.js";

export interface KernelVxlanOptions {
  vni: number;
  /** This host's underlay address. */
  local: string;
  /** Underlay addresses of the peers (head-end replication of BUM traffic to each). */
  remotes: readonly string[];
  /** Multicast group mode: BUM traffic to this group (e.g. 239.1.1.1), joined on `dev`. */
  group?: string;
  /** Multicast TTL (kernel default for a group: 1). */
  ttl?: number;
  /** Bridge in the namespace to enslave the device to; created if missing (default "br0"). */
  bridge?: string;
  /** UDP destination port (default 4789). */
  port?: number;
  /** Device name (default `vxlan<vni>`). */
  name?: string;
  /** Default 1450 over IPv4, 1430 over IPv6. */
  mtu?: number;
  /** Underlay device (default u0). */
  dev?: string;
}

export interface KernelVxlan {
  ns: string;
  name: string;
  vni: number;
  bridge: string;
}

export async function addKernelVxlan(ns: string, options: KernelVxlanOptions): Promise<KernelVxlan> {
  const { vni, local, remotes } = options;
  if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) throw new Error(`VNI must be 0..16777215, not ${vni}`);
  assertUnderlayAddress(local);
  remotes.forEach(assertUnderlayAddress);
  const name = options.name ?? `vxlan${vni}`;
  const bridge = options.bridge ?? "br0";
  const ipv6 = local.includes(":");
  const mtu = options.mtu ?? (ipv6 ? VXLAN_MTU_V6 : VXLAN_MTU_V4);
  const port = options.port ?? 4789;
  const dev = options.dev ?? UNDERLAY_IF;
  const link = ["link", "add", name, "type", "vxlan", "id", String(vni), "dstport", String(port), "local", local, "dev", dev];
  if (options.group !== undefined) link.push("group", options.group);
  if (options.ttl !== undefined) link.push("ttl", String(options.ttl));
  // Learning stays on and UDP checksums over IPv6 stay computed: the kernel defaults.
  await ipIn(ns, link);
  for (const remote of remotes) {
    await run(["bridge", "-n", ns, "fdb", "append", "00:00:00:00:00:00", "dev", name, "dst", remote]);
  }
  await ensureBridge(ns, bridge);
  await ipIn(ns, ["link", "set", name, "mtu", String(mtu), "master", bridge, "up"]);
  return { ns, name, vni, bridge };
}

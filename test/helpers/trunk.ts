// A VLAN-aware switch for trunk tests: Open vSwitch (userspace datapath), since the kernels here
// have neither 802.1Q interfaces nor VLAN filtering in the Linux bridge.
import { ipIn, nsExec } from "../../lab/netns.js";
import type { OvsInstance } from "../../lab/ovs.js";
import type { LabContainer } from "../../lab/topology.js";

/** The OVS bridge on the trunk host. */
export const TRUNK_BRIDGE = "brtrunk";

/**
 * Moves a container's host-side veth from its Linux bridge into the OVS bridge as an access port
 * of `vid`. OVS reads veths with AF_PACKET, which would hand it unfinished checksums: tx off on
 * the container's side (OVS's own link; the underlay keeps its defaults).
 */
export async function accessPort(ovs: OvsInstance, c: LabContainer, vid: number): Promise<void> {
  await nsExec(c.ns, ["ethtool", "-K", c.ifname, "tx", "off"]);
  await ipIn(ovs.ns, ["link", "set", c.hostIf, "nomaster"]);
  await ovs.addPort(TRUNK_BRIDGE, c.hostIf, { tag: vid });
}

// A VLAN-aware switch for trunk tests: Open vSwitch (userspace datapath), since the kernels here
// have neither 802.1Q interfaces nor VLAN filtering in the Linux bridge. Containers join it as
// access ports with `ovs.attachContainer(TRUNK_BRIDGE, container, vid)`.

/** The OVS bridge on the trunk host. */
export const TRUNK_BRIDGE = "brtrunk";

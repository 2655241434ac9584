// The wire formats in one import: views, checks, Reprs and writers for every header vxswitch touches.
export * from "./error.js";
export * from "./bytes.js";
export * from "./checksum.js";
export * from "./mac.js";
export * from "./ethernet.js";
export * from "./vxlan.js";
export * from "./gre.js";
export * from "./ip.js";
export * from "./ipv4.js";
export * from "./ipv6.js";
export * from "./udp.js";
export * from "./tcp.js";
export * from "./arp.js";
export * from "./virtio-net.js";
export * from "./pcap.js";
export * from "./flow-hash.js";

// What IPv4 and IPv6 share: protocol numbers and the transport pseudo-header sum for either family.
import { ipv4PseudoHeaderSum } from "./ipv4.js";
import { ipv6PseudoHeaderSum } from "./ipv6.js";

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;

/** The version nibble of the IP header at off (4 or 6 for a real one). */
export function ipVersion(buf: Buffer, off: number): number {
  return buf[off] >>> 4;
}

/** Unfolded pseudo-header sum for a TCP/UDP/ICMPv6 checksum, by the IP header's version. */
export function pseudoHeaderSum(buf: Buffer, ipOff: number, protocol: number, l4Len: number): number {
  return ipVersion(buf, ipOff) === 6
    ? ipv6PseudoHeaderSum(buf, ipOff, protocol, l4Len)
    : ipv4PseudoHeaderSum(buf, ipOff, protocol, l4Len);
}

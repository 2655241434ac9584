// Outer UDP checksums as a capture on a veth sees them: a sender on default offloads leaves the
// field partial (CHECKSUM_PARTIAL: only the pseudo-header sum, which a NIC would finish and a
// veth never does). Such a field is right when it is exactly that sum.
import { isIPv6 } from "node:net";

/** Expands an IPv6 address to its eight 16-bit groups. */
function groups(address: string): number[] {
  if (!isIPv6(address)) throw new Error(`not an IPv6 address: ${address}`);
  const [head = "", tail] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  return [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right].map((g) => parseInt(g, 16));
}

/** The folded (not complemented) IPv6 pseudo-header sum of a UDP packet, as Linux leaves it for the NIC. */
export function partialUdp6Checksum(src: string, dst: string, udpLength: number): number {
  let sum = [...groups(src), ...groups(dst)].reduce((a, b) => a + b, 0) + (udpLength >>> 16) + (udpLength & 0xffff) + 17;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

// IPv6 fixed header (RFC 8200): fields, a writer, the pseudo-header sum for TCP/UDP, address text (RFC 5952).
import { put16, put32 } from "./bytes.js";
import { checksumAdd } from "./checksum.js";

export const IPV6_VER_TC_FL = 0;
export const IPV6_PAYLOAD_LEN = 4;
export const IPV6_NEXT_HEADER = 6;
export const IPV6_HOP_LIMIT = 7;
export const IPV6_SRC = 8;
export const IPV6_DST = 24;
export const IPV6_HEADER_LEN = 40;
export const IPV6_ADDR_LEN = 16;

export const Ipv6Reason = {
  truncated: "ipv6-truncated",
  badVersion: "ipv6-bad-version",
} as const;
export type Ipv6Reason = (typeof Ipv6Reason)[keyof typeof Ipv6Reason];

/** Version 6 and the payload within len. Extension headers are not walked. */
export function checkIpv6(buf: Buffer, off: number, len: number): Ipv6Reason | null {
  if (len < IPV6_HEADER_LEN || off < 0 || off + len > buf.length) return Ipv6Reason.truncated;
  if (ipv6Version(buf, off) !== 6) return Ipv6Reason.badVersion;
  if (IPV6_HEADER_LEN + ipv6PayloadLength(buf, off) > len) return Ipv6Reason.truncated;
  return null;
}

export function ipv6Version(buf: Buffer, off: number): number {
  return buf[off] >>> 4;
}

export function ipv6FlowLabel(buf: Buffer, off: number): number {
  return ((buf[off + 1] & 0x0f) << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

export function ipv6PayloadLength(buf: Buffer, off: number): number {
  return (buf[off + IPV6_PAYLOAD_LEN] << 8) | buf[off + IPV6_PAYLOAD_LEN + 1];
}

export function ipv6NextHeader(buf: Buffer, off: number): number {
  return buf[off + IPV6_NEXT_HEADER];
}

export function ipv6HopLimit(buf: Buffer, off: number): number {
  return buf[off + IPV6_HOP_LIMIT];
}

/**
 * Unfolded sum of the upper-layer pseudo header (RFC 8200 section 8.1: addresses, 32-bit
 * length, next header) of the IPv6 header at ipOff; the `initial` for a TCP/UDP checksum.
 */
export function ipv6PseudoHeaderSum(buf: Buffer, ipOff: number, nextHeader: number, l4Len: number): number {
  return checksumAdd(buf, ipOff + IPV6_SRC, 2 * IPV6_ADDR_LEN, nextHeader + (l4Len >>> 16) + (l4Len & 0xffff));
}

/** RFC 5952 text: lower case, longest run (>= 2) of zero groups as "::", first run on ties. */
export function formatIpv6(bytes: Uint8Array, off = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[off + 2 * i] << 8) | bytes[off + 2 * i + 1]);
  // ::ffff:a.b.c.d for IPv4-mapped addresses, as inet_ntop prints them.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[off + 12]}.${bytes[off + 13]}.${bytes[off + 14]}.${bytes[off + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** What writeIpv6Header needs; addresses are 16 bytes each. */
export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/** Writes the 40-byte fixed header for payloadLen bytes of payload; returns 40. */
export function writeIpv6Header(buf: Buffer, off: number, h: Ipv6Header, payloadLen: number): number {
  put32(buf, off + IPV6_VER_TC_FL, (6 << 28) | ((h.trafficClass & 0xff) << 20) | (h.flowLabel & 0xfffff));
  put16(buf, off + IPV6_PAYLOAD_LEN, payloadLen);
  buf[off + IPV6_NEXT_HEADER] = h.nextHeader;
  buf[off + IPV6_HOP_LIMIT] = h.hopLimit;
  buf.set(h.src.subarray(0, IPV6_ADDR_LEN), off + IPV6_SRC);
  buf.set(h.dst.subarray(0, IPV6_ADDR_LEN), off + IPV6_DST);
  return IPV6_HEADER_LEN;
}

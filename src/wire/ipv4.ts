// IPv4 header (RFC 791): fields, IHL, header checksum, the pseudo-header sum for TCP/UDP, address text.
import { get32, put16, put32 } from "./bytes.js";
import { checksumAdd, checksumIsValid, finishChecksum } from "./checksum.js";

export const IPV4_VER_IHL = 0;
export const IPV4_TOS = 1;
export const IPV4_TOTAL_LEN = 2;
export const IPV4_IDENT = 4;
export const IPV4_FLAGS_FRAG = 6;
export const IPV4_TTL = 8;
export const IPV4_PROTOCOL = 9;
export const IPV4_CHECKSUM = 10;
export const IPV4_SRC = 12;
export const IPV4_DST = 16;
export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;

export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
export const IPV4_FRAG_OFFSET_MASK = 0x1fff;

export const Ipv4Reason = {
  truncated: "ipv4-truncated",
  badVersion: "ipv4-bad-version",
  badHeaderLength: "ipv4-bad-header-length",
  badTotalLength: "ipv4-bad-total-length",
  badChecksum: "ipv4-bad-checksum",
} as const;
export type Ipv4Reason = (typeof Ipv4Reason)[keyof typeof Ipv4Reason];

/**
 * Structural check: version 4, 20 <= IHL*4 <= total length <= len. The header checksum is not
 * verified here (a DATA_VALID virtio header may vouch for it); see ipv4ChecksumIsValid.
 */
export function checkIpv4(buf: Buffer, off: number, len: number): Ipv4Reason | null {
  if (len < IPV4_MIN_HEADER_LEN || off < 0 || off + len > buf.length) return Ipv4Reason.truncated;
  if (ipv4Version(buf, off) !== 4) return Ipv4Reason.badVersion;
  const ihl = ipv4HeaderLength(buf, off);
  if (ihl < IPV4_MIN_HEADER_LEN) return Ipv4Reason.badHeaderLength;
  if (ihl > len) return Ipv4Reason.truncated;
  const total = ipv4TotalLength(buf, off);
  if (total < ihl) return Ipv4Reason.badTotalLength;
  if (total > len) return Ipv4Reason.truncated;
  return null;
}

export function ipv4Version(buf: Buffer, off: number): number {
  return buf[off + IPV4_VER_IHL] >>> 4;
}

/** IHL in bytes (IHL * 4). */
export function ipv4HeaderLength(buf: Buffer, off: number): number {
  return (buf[off + IPV4_VER_IHL] & 0x0f) << 2;
}

export function ipv4TotalLength(buf: Buffer, off: number): number {
  return (buf[off + IPV4_TOTAL_LEN] << 8) | buf[off + IPV4_TOTAL_LEN + 1];
}

export function ipv4Ident(buf: Buffer, off: number): number {
  return (buf[off + IPV4_IDENT] << 8) | buf[off + IPV4_IDENT + 1];
}

/** Flags and fragment offset word. */
function ipv4FlagsFrag(buf: Buffer, off: number): number {
  return (buf[off + IPV4_FLAGS_FRAG] << 8) | buf[off + IPV4_FLAGS_FRAG + 1];
}

export function ipv4DontFragment(buf: Buffer, off: number): boolean {
  return (ipv4FlagsFrag(buf, off) & IPV4_FLAG_DF) !== 0;
}

export function ipv4MoreFragments(buf: Buffer, off: number): boolean {
  return (ipv4FlagsFrag(buf, off) & IPV4_FLAG_MF) !== 0;
}

/** Fragment offset in bytes. */
export function ipv4FragmentOffset(buf: Buffer, off: number): number {
  return (ipv4FlagsFrag(buf, off) & IPV4_FRAG_OFFSET_MASK) << 3;
}

export function ipv4Ttl(buf: Buffer, off: number): number {
  return buf[off + IPV4_TTL];
}

export function ipv4Protocol(buf: Buffer, off: number): number {
  return buf[off + IPV4_PROTOCOL];
}

export function ipv4Checksum(buf: Buffer, off: number): number {
  return (buf[off + IPV4_CHECKSUM] << 8) | buf[off + IPV4_CHECKSUM + 1];
}

/** Source address as an unsigned 32-bit number. */
export function ipv4Src(buf: Buffer, off: number): number {
  return get32(buf, off + IPV4_SRC);
}

export function ipv4Dst(buf: Buffer, off: number): number {
  return get32(buf, off + IPV4_DST);
}

/** The header checksum the header should carry (its checksum field counts as zero). */
export function computeIpv4Checksum(buf: Buffer, off: number): number {
  const ihl = ipv4HeaderLength(buf, off);
  const sum = checksumAdd(buf, off + IPV4_CHECKSUM + 2, ihl - IPV4_CHECKSUM - 2, checksumAdd(buf, off, IPV4_CHECKSUM));
  return finishChecksum(sum);
}

/** Computes and stores the header checksum. */
export function fillIpv4Checksum(buf: Buffer, off: number): void {
  put16(buf, off + IPV4_CHECKSUM, computeIpv4Checksum(buf, off));
}

export function ipv4ChecksumIsValid(buf: Buffer, off: number): boolean {
  return checksumIsValid(buf, off, ipv4HeaderLength(buf, off));
}

/**
 * Unfolded sum of the TCP/UDP pseudo header (source, destination, zero+protocol, length) of
 * the IPv4 header at ipOff; pass it as `initial` to the checksum of the transport segment.
 */
export function ipv4PseudoHeaderSum(buf: Buffer, ipOff: number, protocol: number, l4Len: number): number {
  return checksumAdd(buf, ipOff + IPV4_SRC, 8, protocol + l4Len);
}

export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** What writeIpv4Header needs; addresses as unsigned 32-bit numbers. */
export interface Ipv4Header {
  tos: number;
  ident: number;
  dontFragment: boolean;
  ttl: number;
  protocol: number;
  src: number;
  dst: number;
}

/** Writes a 20-byte header (no options, not a fragment) for payloadLen bytes, checksum filled; returns 20. */
export function writeIpv4Header(buf: Buffer, off: number, h: Ipv4Header, payloadLen: number): number {
  buf[off + IPV4_VER_IHL] = 0x45;
  buf[off + IPV4_TOS] = h.tos;
  put16(buf, off + IPV4_TOTAL_LEN, IPV4_MIN_HEADER_LEN + payloadLen);
  put16(buf, off + IPV4_IDENT, h.ident);
  put16(buf, off + IPV4_FLAGS_FRAG, h.dontFragment ? IPV4_FLAG_DF : 0);
  buf[off + IPV4_TTL] = h.ttl;
  buf[off + IPV4_PROTOCOL] = h.protocol;
  put32(buf, off + IPV4_SRC, h.src);
  put32(buf, off + IPV4_DST, h.dst);
  fillIpv4Checksum(buf, off);
  return IPV4_MIN_HEADER_LEN;
}

// ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum and the echo identifier/sequence.
import { get16 } from "./bytes.js";
import { checksumIsValid } from "./checksum.js";
import { IPPROTO_ICMPV6 } from "./ip.js";
import { ipv6PseudoHeaderSum } from "./ipv6.js";

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CHECKSUM = 2;
/** Echo request/reply: identifier and sequence number follow the checksum. */
export const ICMP_ECHO_ID = 4;
export const ICMP_ECHO_SEQ = 6;
/** Type, code, checksum and the 4-byte rest of header every message has. */
export const ICMP_HEADER_LEN = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

export const IcmpReason = {
  truncated: "icmp-truncated",
} as const;
export type IcmpReason = (typeof IcmpReason)[keyof typeof IcmpReason];

export function checkIcmp(buf: Buffer, off: number, len: number): IcmpReason | null {
  if (len < ICMP_HEADER_LEN || off < 0 || off + len > buf.length) return IcmpReason.truncated;
  return null;
}

export function icmpType(buf: Buffer, off: number): number {
  return buf[off + ICMP_TYPE];
}

export function icmpCode(buf: Buffer, off: number): number {
  return buf[off + ICMP_CODE];
}

export function icmpChecksum(buf: Buffer, off: number): number {
  return get16(buf, off + ICMP_CHECKSUM);
}

export function icmpEchoId(buf: Buffer, off: number): number {
  return get16(buf, off + ICMP_ECHO_ID);
}

export function icmpEchoSeq(buf: Buffer, off: number): number {
  return get16(buf, off + ICMP_ECHO_SEQ);
}

export function icmpIsEcho(type: number): boolean {
  return type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY || type === ICMPV6_ECHO_REQUEST || type === ICMPV6_ECHO_REPLY;
}

/** ICMP over IPv4 sums the message alone (no pseudo header). */
export function icmpChecksumIsValid(buf: Buffer, off: number, len: number): boolean {
  return checksumIsValid(buf, off, len);
}

/** ICMPv6 includes the IPv6 pseudo header (RFC 4443 section 2.3). */
export function icmpv6ChecksumIsValid(buf: Buffer, ipOff: number, off: number, len: number): boolean {
  return checksumIsValid(buf, off, len, ipv6PseudoHeaderSum(buf, ipOff, IPPROTO_ICMPV6, len));
}

/** "echo request", "destination unreachable", ... by tcpdump's names; the number otherwise. */
export function icmpTypeName(type: number, v6: boolean): string {
  const names: Record<number, string> = v6
    ? { 1: "destination unreachable", 2: "packet too big", 3: "time exceeded", 4: "parameter problem", 128: "echo request",
      129: "echo reply", 133: "router solicitation", 134: "router advertisement", 135: "neighbor solicitation",
      136: "neighbor advertisement", 137: "redirect", 143: "multicast listener report v2" }
    : { 0: "echo reply", 3: "destination unreachable", 5: "redirect", 8: "echo request", 11: "time exceeded",
      12: "parameter problem" };
  return names[type] ?? `type ${type}`;
}

// UDP header (RFC 768): ports, length, checksum over the IPv4 or IPv6 pseudo header.
import { put16 } from "./bytes.js";
import { checksumAdd, checksumIsValid, finishChecksum } from "./checksum.js";
import { IPPROTO_UDP, ipVersion, pseudoHeaderSum } from "./ip.js";

export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HEADER_LEN = 8;

export const UdpReason = {
  truncated: "udp-truncated",
  badLength: "udp-bad-length",
} as const;
export type UdpReason = (typeof UdpReason)[keyof typeof UdpReason];

/** The header fits, and its length field covers the header and stays within len. */
export function checkUdp(buf: Buffer, off: number, len: number): UdpReason | null {
  if (len < UDP_HEADER_LEN || off < 0 || off + len > buf.length) return UdpReason.truncated;
  const length = udpLength(buf, off);
  if (length < UDP_HEADER_LEN) return UdpReason.badLength;
  if (length > len) return UdpReason.truncated;
  return null;
}

export function udpSrcPort(buf: Buffer, off: number): number {
  return (buf[off + UDP_SRC_PORT] << 8) | buf[off + UDP_SRC_PORT + 1];
}

export function udpDstPort(buf: Buffer, off: number): number {
  return (buf[off + UDP_DST_PORT] << 8) | buf[off + UDP_DST_PORT + 1];
}

/** Header plus payload, from the length field. */
export function udpLength(buf: Buffer, off: number): number {
  return (buf[off + UDP_LENGTH] << 8) | buf[off + UDP_LENGTH + 1];
}

export function udpChecksum(buf: Buffer, off: number): number {
  return (buf[off + UDP_CHECKSUM] << 8) | buf[off + UDP_CHECKSUM + 1];
}

/** Writes ports, length (header + payloadLen) and a zero checksum; returns 8. */
export function writeUdpHeader(buf: Buffer, off: number, srcPort: number, dstPort: number, payloadLen: number): number {
  put16(buf, off + UDP_SRC_PORT, srcPort);
  put16(buf, off + UDP_DST_PORT, dstPort);
  put16(buf, off + UDP_LENGTH, UDP_HEADER_LEN + payloadLen);
  put16(buf, off + UDP_CHECKSUM, 0);
  return UDP_HEADER_LEN;
}

/**
 * The checksum the datagram at udpOff (udpLen bytes, IP header at ipOff) should carry; the
 * checksum field counts as zero. A computed 0 is sent as 0xffff (0 means "none" over IPv4).
 */
export function computeUdpChecksum(buf: Buffer, ipOff: number, udpOff: number, udpLen: number): number {
  // Ports and length, then the payload: the checksum field is skipped rather than zeroed.
  let sum = pseudoHeaderSum(buf, ipOff, IPPROTO_UDP, udpLen);
  sum = checksumAdd(buf, udpOff, UDP_CHECKSUM, sum);
  sum = checksumAdd(buf, udpOff + UDP_HEADER_LEN, udpLen - UDP_HEADER_LEN, sum);
  const checksum = finishChecksum(sum);
  return checksum === 0 ? 0xffff : checksum;
}

export function fillUdpChecksum(buf: Buffer, ipOff: number, udpOff: number, udpLen: number): void {
  put16(buf, udpOff + UDP_CHECKSUM, computeUdpChecksum(buf, ipOff, udpOff, udpLen));
}

/**
 * True when the checksum verifies, or is 0 (absent) over IPv4. A zero checksum over IPv6 is
 * invalid (RFC 8200); a receiver that accepts it for tunnels (RFC 6935) checks for 0 first.
 */
export function udpChecksumIsValid(buf: Buffer, ipOff: number, udpOff: number, udpLen: number): boolean {
  if (udpChecksum(buf, udpOff) === 0) return ipVersion(buf, ipOff) !== 6;
  return checksumIsValid(buf, udpOff, udpLen, pseudoHeaderSum(buf, ipOff, IPPROTO_UDP, udpLen));
}

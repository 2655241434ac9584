// UDP header (RFC 768): ports, length, checksum over the IPv4 or IPv6 pseudo header.
import { put16 } from "./bytes.js";
import { checksumAdd, checksumIsValid, finishChecksum } from "./checksum.js";
import { assertWire } from "./error.js";
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

export function setUdpSrcPort(buf: Buffer, off: number, port: number): void {
  put16(buf, off + UDP_SRC_PORT, port);
}

export function setUdpDstPort(buf: Buffer, off: number, port: number): void {
  put16(buf, off + UDP_DST_PORT, port);
}

export function setUdpLength(buf: Buffer, off: number, length: number): void {
  put16(buf, off + UDP_LENGTH, length);
}

export function setUdpChecksum(buf: Buffer, off: number, checksum: number): void {
  put16(buf, off + UDP_CHECKSUM, checksum);
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
  setUdpChecksum(buf, udpOff, computeUdpChecksum(buf, ipOff, udpOff, udpLen));
}

/**
 * True when the checksum verifies, or is 0 (absent) over IPv4. A zero checksum over IPv6 is
 * invalid (RFC 8200); a receiver that accepts it for tunnels (RFC 6935) checks for 0 first.
 */
export function udpChecksumIsValid(buf: Buffer, ipOff: number, udpOff: number, udpLen: number): boolean {
  if (udpChecksum(buf, udpOff) === 0) return ipVersion(buf, ipOff) !== 6;
  return checksumIsValid(buf, udpOff, udpLen, pseudoHeaderSum(buf, ipOff, IPPROTO_UDP, udpLen));
}

export class UdpView {
  constructor(
    readonly buf: Buffer,
    readonly offset: number,
    readonly length: number,
  ) {}

  static checked(buf: Buffer, offset: number, length: number): UdpView {
    assertWire(checkUdp(buf, offset, length), "UDP header", offset);
    return new UdpView(buf, offset, length);
  }

  check(): UdpReason | null {
    return checkUdp(this.buf, this.offset, this.length);
  }

  get srcPort(): number {
    return udpSrcPort(this.buf, this.offset);
  }
  set srcPort(port: number) {
    setUdpSrcPort(this.buf, this.offset, port);
  }
  get dstPort(): number {
    return udpDstPort(this.buf, this.offset);
  }
  set dstPort(port: number) {
    setUdpDstPort(this.buf, this.offset, port);
  }
  /** The length field (header + payload). */
  get udpLength(): number {
    return udpLength(this.buf, this.offset);
  }
  get checksum(): number {
    return udpChecksum(this.buf, this.offset);
  }
  set checksum(checksum: number) {
    setUdpChecksum(this.buf, this.offset, checksum);
  }
  get payloadOffset(): number {
    return this.offset + UDP_HEADER_LEN;
  }
  get payloadLength(): number {
    return this.udpLength - UDP_HEADER_LEN;
  }
  checksumIsValid(ipOff: number): boolean {
    return udpChecksumIsValid(this.buf, ipOff, this.offset, this.udpLength);
  }
  fillChecksum(ipOff: number): void {
    fillUdpChecksum(this.buf, ipOff, this.offset, this.udpLength);
  }
}

/** A UDP header's meaning; the checksum is a property of the whole datagram (see fillUdpChecksum). */
export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  payloadLength: number;
}

export const UdpRepr = {
  parse(buf: Buffer, off: number, len: number): UdpRepr {
    assertWire(checkUdp(buf, off, len), "UDP header", off);
    return {
      srcPort: udpSrcPort(buf, off),
      dstPort: udpDstPort(buf, off),
      payloadLength: udpLength(buf, off) - UDP_HEADER_LEN,
    };
  },
  headerLength(_repr: UdpRepr): number {
    return UDP_HEADER_LEN;
  },
  /** Writes the header with a zero checksum; fill it afterwards when wanted. Returns 8. */
  emit(repr: UdpRepr, buf: Buffer, off: number): number {
    return writeUdpHeader(buf, off, repr.srcPort, repr.dstPort, repr.payloadLength);
  },
};

// TCP header (RFC 9293): ports, sequence and acknowledgment numbers, data offset, flags, checksum.
import { get32, put16 } from "./bytes.js";
import { checksumAdd, checksumIsValid, finishChecksum } from "./checksum.js";
import { IPPROTO_TCP, pseudoHeaderSum } from "./ip.js";

export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
/** Data offset in the high nibble (32-bit words); the low bits of this byte and the next hold flags. */
export const TCP_DATA_OFF = 12;
export const TCP_FLAGS = 13;
export const TCP_WINDOW = 14;
export const TCP_CHECKSUM = 16;
export const TCP_URGENT = 18;
export const TCP_MIN_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK_FLAG = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const TcpReason = {
  truncated: "tcp-truncated",
  badDataOffset: "tcp-bad-data-offset",
} as const;
export type TcpReason = (typeof TcpReason)[keyof typeof TcpReason];

/** The fixed header fits and 20 <= data offset <= len. */
export function checkTcp(buf: Buffer, off: number, len: number): TcpReason | null {
  if (len < TCP_MIN_HEADER_LEN || off < 0 || off + len > buf.length) return TcpReason.truncated;
  const hlen = tcpHeaderLength(buf, off);
  if (hlen < TCP_MIN_HEADER_LEN) return TcpReason.badDataOffset;
  if (hlen > len) return TcpReason.truncated;
  return null;
}

export function tcpSrcPort(buf: Buffer, off: number): number {
  return (buf[off + TCP_SRC_PORT] << 8) | buf[off + TCP_SRC_PORT + 1];
}

export function tcpDstPort(buf: Buffer, off: number): number {
  return (buf[off + TCP_DST_PORT] << 8) | buf[off + TCP_DST_PORT + 1];
}

export function tcpSeq(buf: Buffer, off: number): number {
  return get32(buf, off + TCP_SEQ);
}

export function tcpAck(buf: Buffer, off: number): number {
  return get32(buf, off + TCP_ACK);
}

/** Data offset in bytes: where the payload starts. */
export function tcpHeaderLength(buf: Buffer, off: number): number {
  return (buf[off + TCP_DATA_OFF] >>> 4) << 2;
}

/** CWR ECE URG ACK PSH RST SYN FIN. */
export function tcpFlags(buf: Buffer, off: number): number {
  return buf[off + TCP_FLAGS];
}

export function tcpWindow(buf: Buffer, off: number): number {
  return (buf[off + TCP_WINDOW] << 8) | buf[off + TCP_WINDOW + 1];
}

export function tcpChecksum(buf: Buffer, off: number): number {
  return (buf[off + TCP_CHECKSUM] << 8) | buf[off + TCP_CHECKSUM + 1];
}

/** The checksum the segment at tcpOff (tcpLen bytes, IP header at ipOff) should carry. */
export function computeTcpChecksum(buf: Buffer, ipOff: number, tcpOff: number, tcpLen: number): number {
  // Everything but the checksum field itself, which is skipped rather than zeroed.
  let sum = pseudoHeaderSum(buf, ipOff, IPPROTO_TCP, tcpLen);
  sum = checksumAdd(buf, tcpOff, TCP_CHECKSUM, sum);
  sum = checksumAdd(buf, tcpOff + TCP_CHECKSUM + 2, tcpLen - TCP_CHECKSUM - 2, sum);
  return finishChecksum(sum);
}

export function fillTcpChecksum(buf: Buffer, ipOff: number, tcpOff: number, tcpLen: number): void {
  put16(buf, tcpOff + TCP_CHECKSUM, computeTcpChecksum(buf, ipOff, tcpOff, tcpLen));
}

export function tcpChecksumIsValid(buf: Buffer, ipOff: number, tcpOff: number, tcpLen: number): boolean {
  return checksumIsValid(buf, tcpOff, tcpLen, pseudoHeaderSum(buf, ipOff, IPPROTO_TCP, tcpLen));
}

/** "SYN,ACK" style, as tshark's tcp.flags.str names them. */
export function formatTcpFlags(flags: number): string {
  const names: [number, string][] = [
    [TCP_CWR, "CWR"], [TCP_ECE, "ECE"], [TCP_URG, "URG"], [TCP_ACK_FLAG, "ACK"],
    [TCP_PSH, "PSH"], [TCP_RST, "RST"], [TCP_SYN, "SYN"], [TCP_FIN, "FIN"],
  ];
  return names.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name).join(",");
}

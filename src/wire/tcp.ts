// TCP header (RFC 9293): ports, sequence and acknowledgment numbers, data offset, flags, checksum.
import { get32, put16, put32 } from "./bytes.js";
import { checksumAdd, checksumIsValid, finishChecksum } from "./checksum.js";
import { assertWire } from "./error.js";
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

export function tcpUrgent(buf: Buffer, off: number): number {
  return (buf[off + TCP_URGENT] << 8) | buf[off + TCP_URGENT + 1];
}

export function setTcpSrcPort(buf: Buffer, off: number, port: number): void {
  put16(buf, off + TCP_SRC_PORT, port);
}

export function setTcpDstPort(buf: Buffer, off: number, port: number): void {
  put16(buf, off + TCP_DST_PORT, port);
}

export function setTcpSeq(buf: Buffer, off: number, seq: number): void {
  put32(buf, off + TCP_SEQ, seq >>> 0);
}

export function setTcpAck(buf: Buffer, off: number, ack: number): void {
  put32(buf, off + TCP_ACK, ack >>> 0);
}

/** Sets the data offset (bytes, a multiple of 4), keeping the reserved bits. */
export function setTcpHeaderLength(buf: Buffer, off: number, hlen: number): void {
  buf[off + TCP_DATA_OFF] = ((hlen >>> 2) << 4) | (buf[off + TCP_DATA_OFF] & 0x0f);
}

export function setTcpFlags(buf: Buffer, off: number, flags: number): void {
  buf[off + TCP_FLAGS] = flags & 0xff;
}

export function setTcpWindow(buf: Buffer, off: number, window: number): void {
  put16(buf, off + TCP_WINDOW, window);
}

export function setTcpChecksum(buf: Buffer, off: number, checksum: number): void {
  put16(buf, off + TCP_CHECKSUM, checksum);
}

export function setTcpUrgent(buf: Buffer, off: number, urgent: number): void {
  put16(buf, off + TCP_URGENT, urgent);
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
  setTcpChecksum(buf, tcpOff, computeTcpChecksum(buf, ipOff, tcpOff, tcpLen));
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

export class TcpView {
  constructor(
    readonly buf: Buffer,
    readonly offset: number,
    readonly length: number,
  ) {}

  static checked(buf: Buffer, offset: number, length: number): TcpView {
    assertWire(checkTcp(buf, offset, length), "TCP header", offset);
    return new TcpView(buf, offset, length);
  }

  check(): TcpReason | null {
    return checkTcp(this.buf, this.offset, this.length);
  }

  get srcPort(): number {
    return tcpSrcPort(this.buf, this.offset);
  }
  set srcPort(port: number) {
    setTcpSrcPort(this.buf, this.offset, port);
  }
  get dstPort(): number {
    return tcpDstPort(this.buf, this.offset);
  }
  set dstPort(port: number) {
    setTcpDstPort(this.buf, this.offset, port);
  }
  get seq(): number {
    return tcpSeq(this.buf, this.offset);
  }
  set seq(seq: number) {
    setTcpSeq(this.buf, this.offset, seq);
  }
  get ack(): number {
    return tcpAck(this.buf, this.offset);
  }
  set ack(ack: number) {
    setTcpAck(this.buf, this.offset, ack);
  }
  get headerLength(): number {
    return tcpHeaderLength(this.buf, this.offset);
  }
  get flags(): number {
    return tcpFlags(this.buf, this.offset);
  }
  set flags(flags: number) {
    setTcpFlags(this.buf, this.offset, flags);
  }
  get window(): number {
    return tcpWindow(this.buf, this.offset);
  }
  set window(window: number) {
    setTcpWindow(this.buf, this.offset, window);
  }
  get checksum(): number {
    return tcpChecksum(this.buf, this.offset);
  }
  set checksum(checksum: number) {
    setTcpChecksum(this.buf, this.offset, checksum);
  }
  get urgent(): number {
    return tcpUrgent(this.buf, this.offset);
  }
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  get payloadLength(): number {
    return this.length - this.headerLength;
  }
  checksumIsValid(ipOff: number): boolean {
    return tcpChecksumIsValid(this.buf, ipOff, this.offset, this.length);
  }
  fillChecksum(ipOff: number): void {
    fillTcpChecksum(this.buf, ipOff, this.offset, this.length);
  }
}

/** A TCP header's meaning; options stay raw bytes (a multiple of 4 long when emitted). */
export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent: number;
  options: Buffer;
}

export const TcpRepr = {
  parse(buf: Buffer, off: number, len: number): TcpRepr {
    assertWire(checkTcp(buf, off, len), "TCP header", off);
    const hlen = tcpHeaderLength(buf, off);
    return {
      srcPort: tcpSrcPort(buf, off),
      dstPort: tcpDstPort(buf, off),
      seq: tcpSeq(buf, off),
      ack: tcpAck(buf, off),
      flags: tcpFlags(buf, off),
      window: tcpWindow(buf, off),
      urgent: tcpUrgent(buf, off),
      options: Buffer.from(buf.subarray(off + TCP_MIN_HEADER_LEN, off + hlen)),
    };
  },
  headerLength(repr: TcpRepr): number {
    return TCP_MIN_HEADER_LEN + ((repr.options.length + 3) & ~3);
  },
  /** Writes the header (options zero-padded to 4) with a zero checksum; fill it afterwards. */
  emit(repr: TcpRepr, buf: Buffer, off: number): number {
    const hlen = TcpRepr.headerLength(repr);
    if (hlen > TCP_MAX_HEADER_LEN) throw new RangeError(`TCP options of ${repr.options.length} bytes exceed 40`);
    put16(buf, off + TCP_SRC_PORT, repr.srcPort);
    put16(buf, off + TCP_DST_PORT, repr.dstPort);
    put32(buf, off + TCP_SEQ, repr.seq >>> 0);
    put32(buf, off + TCP_ACK, repr.ack >>> 0);
    buf[off + TCP_DATA_OFF] = (hlen >>> 2) << 4;
    buf[off + TCP_FLAGS] = repr.flags & 0xff;
    put16(buf, off + TCP_WINDOW, repr.window);
    put16(buf, off + TCP_CHECKSUM, 0);
    put16(buf, off + TCP_URGENT, repr.urgent);
    repr.options.copy(buf, off + TCP_MIN_HEADER_LEN);
    buf.fill(0, off + TCP_MIN_HEADER_LEN + repr.options.length, off + hlen);
    return hlen;
  },
};

// IPv4 header (RFC 791): fields, IHL, header checksum, the pseudo-header sum for TCP/UDP, address text.
import { get32, put16, put32 } from "./bytes.js";
import { checksumAdd, checksumIsValid, finishChecksum } from "./checksum.js";
import { assertWire, WireError } from "./error.js";

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

export function ipv4Tos(buf: Buffer, off: number): number {
  return buf[off + IPV4_TOS];
}

export function ipv4Dscp(buf: Buffer, off: number): number {
  return buf[off + IPV4_TOS] >>> 2;
}

export function ipv4Ecn(buf: Buffer, off: number): number {
  return buf[off + IPV4_TOS] & 3;
}

export function ipv4TotalLength(buf: Buffer, off: number): number {
  return (buf[off + IPV4_TOTAL_LEN] << 8) | buf[off + IPV4_TOTAL_LEN + 1];
}

export function ipv4Ident(buf: Buffer, off: number): number {
  return (buf[off + IPV4_IDENT] << 8) | buf[off + IPV4_IDENT + 1];
}

/** Flags and fragment offset word. */
export function ipv4FlagsFrag(buf: Buffer, off: number): number {
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

/** MF set or a non-zero offset: the transport header may be absent or partial. */
export function ipv4IsFragment(buf: Buffer, off: number): boolean {
  return (ipv4FlagsFrag(buf, off) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK)) !== 0;
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

export function setIpv4Tos(buf: Buffer, off: number, tos: number): void {
  buf[off + IPV4_TOS] = tos & 0xff;
}

export function setIpv4TotalLength(buf: Buffer, off: number, total: number): void {
  put16(buf, off + IPV4_TOTAL_LEN, total);
}

export function setIpv4Ident(buf: Buffer, off: number, ident: number): void {
  put16(buf, off + IPV4_IDENT, ident & 0xffff);
}

export function setIpv4FlagsFrag(buf: Buffer, off: number, word: number): void {
  put16(buf, off + IPV4_FLAGS_FRAG, word & 0xffff);
}

export function setIpv4Ttl(buf: Buffer, off: number, ttl: number): void {
  buf[off + IPV4_TTL] = ttl & 0xff;
}

export function setIpv4Protocol(buf: Buffer, off: number, protocol: number): void {
  buf[off + IPV4_PROTOCOL] = protocol & 0xff;
}

export function setIpv4Checksum(buf: Buffer, off: number, checksum: number): void {
  put16(buf, off + IPV4_CHECKSUM, checksum);
}

export function setIpv4Src(buf: Buffer, off: number, addr: number): void {
  put32(buf, off + IPV4_SRC, addr >>> 0);
}

export function setIpv4Dst(buf: Buffer, off: number, addr: number): void {
  put32(buf, off + IPV4_DST, addr >>> 0);
}

/** The header checksum the header should carry (its checksum field counts as zero). */
export function computeIpv4Checksum(buf: Buffer, off: number): number {
  const ihl = ipv4HeaderLength(buf, off);
  const sum = checksumAdd(buf, off + IPV4_CHECKSUM + 2, ihl - IPV4_CHECKSUM - 2, checksumAdd(buf, off, IPV4_CHECKSUM));
  return finishChecksum(sum);
}

/** Computes and stores the header checksum. */
export function fillIpv4Checksum(buf: Buffer, off: number): void {
  setIpv4Checksum(buf, off, computeIpv4Checksum(buf, off));
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

/** Dotted quad to an unsigned 32-bit number; -1 when the text is not an IPv4 address. */
export function tryParseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) return -1;
  let addr = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return -1;
    const octet = Number(part);
    if (octet > 255) return -1;
    addr = addr * 256 + octet;
  }
  return addr;
}

export function parseIpv4(text: string): number {
  const addr = tryParseIpv4(text);
  if (addr < 0) throw new Error(`invalid IPv4 address "${text}": expected a dotted quad like 198.18.0.1`);
  return addr;
}

export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

export class Ipv4View {
  constructor(
    readonly buf: Buffer,
    readonly offset: number,
    readonly length: number,
  ) {}

  static checked(buf: Buffer, offset: number, length: number): Ipv4View {
    assertWire(checkIpv4(buf, offset, length), "IPv4 header", offset);
    return new Ipv4View(buf, offset, length);
  }

  check(): Ipv4Reason | null {
    return checkIpv4(this.buf, this.offset, this.length);
  }

  get version(): number {
    return ipv4Version(this.buf, this.offset);
  }
  get headerLength(): number {
    return ipv4HeaderLength(this.buf, this.offset);
  }
  get tos(): number {
    return ipv4Tos(this.buf, this.offset);
  }
  set tos(tos: number) {
    setIpv4Tos(this.buf, this.offset, tos);
  }
  get dscp(): number {
    return ipv4Dscp(this.buf, this.offset);
  }
  get ecn(): number {
    return ipv4Ecn(this.buf, this.offset);
  }
  get totalLength(): number {
    return ipv4TotalLength(this.buf, this.offset);
  }
  set totalLength(total: number) {
    setIpv4TotalLength(this.buf, this.offset, total);
  }
  get ident(): number {
    return ipv4Ident(this.buf, this.offset);
  }
  set ident(ident: number) {
    setIpv4Ident(this.buf, this.offset, ident);
  }
  get dontFragment(): boolean {
    return ipv4DontFragment(this.buf, this.offset);
  }
  get moreFragments(): boolean {
    return ipv4MoreFragments(this.buf, this.offset);
  }
  get fragmentOffset(): number {
    return ipv4FragmentOffset(this.buf, this.offset);
  }
  get ttl(): number {
    return ipv4Ttl(this.buf, this.offset);
  }
  set ttl(ttl: number) {
    setIpv4Ttl(this.buf, this.offset, ttl);
  }
  get protocol(): number {
    return ipv4Protocol(this.buf, this.offset);
  }
  set protocol(protocol: number) {
    setIpv4Protocol(this.buf, this.offset, protocol);
  }
  get checksum(): number {
    return ipv4Checksum(this.buf, this.offset);
  }
  get src(): number {
    return ipv4Src(this.buf, this.offset);
  }
  set src(addr: number) {
    setIpv4Src(this.buf, this.offset, addr);
  }
  get dst(): number {
    return ipv4Dst(this.buf, this.offset);
  }
  set dst(addr: number) {
    setIpv4Dst(this.buf, this.offset, addr);
  }
  get payloadOffset(): number {
    return this.offset + this.headerLength;
  }
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }
  checksumIsValid(): boolean {
    return ipv4ChecksumIsValid(this.buf, this.offset);
  }
  fillChecksum(): void {
    fillIpv4Checksum(this.buf, this.offset);
  }
}

/** An IPv4 header's meaning (addresses as unsigned 32-bit numbers). Options are not represented. */
export interface Ipv4Repr {
  src: number;
  dst: number;
  protocol: number;
  payloadLength: number;
  ttl: number;
  tos: number;
  ident: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset: number;
}

export const Ipv4Repr = {
  /** Checks structure and the header checksum; options are skipped. */
  parse(buf: Buffer, off: number, len: number): Ipv4Repr {
    assertWire(checkIpv4(buf, off, len), "IPv4 header", off);
    if (!ipv4ChecksumIsValid(buf, off)) throw new WireError(Ipv4Reason.badChecksum, "IPv4 header", off);
    return {
      src: ipv4Src(buf, off),
      dst: ipv4Dst(buf, off),
      protocol: ipv4Protocol(buf, off),
      payloadLength: ipv4TotalLength(buf, off) - ipv4HeaderLength(buf, off),
      ttl: ipv4Ttl(buf, off),
      tos: ipv4Tos(buf, off),
      ident: ipv4Ident(buf, off),
      dontFragment: ipv4DontFragment(buf, off),
      moreFragments: ipv4MoreFragments(buf, off),
      fragmentOffset: ipv4FragmentOffset(buf, off),
    };
  },
  headerLength(_repr: Ipv4Repr): number {
    return IPV4_MIN_HEADER_LEN;
  },
  /** Writes a 20-byte header with its checksum; returns 20. */
  emit(repr: Ipv4Repr, buf: Buffer, off: number): number {
    buf[off + IPV4_VER_IHL] = 0x45;
    buf[off + IPV4_TOS] = repr.tos & 0xff;
    put16(buf, off + IPV4_TOTAL_LEN, IPV4_MIN_HEADER_LEN + repr.payloadLength);
    put16(buf, off + IPV4_IDENT, repr.ident & 0xffff);
    setIpv4FlagsFrag(buf, off, (repr.dontFragment ? IPV4_FLAG_DF : 0) | (repr.moreFragments ? IPV4_FLAG_MF : 0) |
      ((repr.fragmentOffset >>> 3) & IPV4_FRAG_OFFSET_MASK));
    buf[off + IPV4_TTL] = repr.ttl & 0xff;
    buf[off + IPV4_PROTOCOL] = repr.protocol & 0xff;
    put16(buf, off + IPV4_CHECKSUM, 0);
    put32(buf, off + IPV4_SRC, repr.src >>> 0);
    put32(buf, off + IPV4_DST, repr.dst >>> 0);
    fillIpv4Checksum(buf, off);
    return IPV4_MIN_HEADER_LEN;
  },
};

// IPv6 fixed header (RFC 8200): fields, the pseudo-header sum for TCP/UDP, address text (RFC 5952).
import { put16, put32 } from "./bytes.js";
import { checksumAdd } from "./checksum.js";
import { assertWire } from "./error.js";
import { tryParseIpv4 } from "./ipv4.js";

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

export function ipv6TrafficClass(buf: Buffer, off: number): number {
  return ((buf[off] & 0x0f) << 4) | (buf[off + 1] >>> 4);
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

/** Version, traffic class and flow label in one write. */
export function setIpv6VersionTcFlow(buf: Buffer, off: number, trafficClass: number, flowLabel: number): void {
  put32(buf, off, (6 << 28) | ((trafficClass & 0xff) << 20) | (flowLabel & 0xfffff));
}

export function setIpv6PayloadLength(buf: Buffer, off: number, len: number): void {
  put16(buf, off + IPV6_PAYLOAD_LEN, len);
}

export function setIpv6NextHeader(buf: Buffer, off: number, next: number): void {
  buf[off + IPV6_NEXT_HEADER] = next & 0xff;
}

export function setIpv6HopLimit(buf: Buffer, off: number, hops: number): void {
  buf[off + IPV6_HOP_LIMIT] = hops & 0xff;
}

/** Copies a 16-byte address into the source field. */
export function setIpv6Src(buf: Buffer, off: number, addr: Uint8Array): void {
  buf.set(addr.subarray(0, IPV6_ADDR_LEN), off + IPV6_SRC);
}

export function setIpv6Dst(buf: Buffer, off: number, addr: Uint8Array): void {
  buf.set(addr.subarray(0, IPV6_ADDR_LEN), off + IPV6_DST);
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

/** Parses IPv6 text (with "::" and an optional dotted-quad tail) to 16 bytes; null when invalid. */
export function tryParseIpv6(text: string): Buffer | null {
  const halves = text.trim().split("::");
  if (halves.length > 2) return null;
  const groupsOf = (part: string, quadAllowed: boolean): number[] | null => {
    if (part === "") return [];
    const pieces = part.split(":");
    const out: number[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (quadAllowed && i === pieces.length - 1 && piece.includes(".")) {
        const v4 = tryParseIpv4(piece);
        if (v4 < 0) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1], true) : [];
  if (head === null || tail === null) return null;
  const zeros = 8 - head.length - tail.length;
  // "::" stands for at least one zero group; without it there must be exactly eight groups.
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) return null;
  const out = Buffer.alloc(IPV6_ADDR_LEN);
  head.forEach((g, i) => put16(out, 2 * i, g));
  tail.forEach((g, i) => put16(out, 2 * (8 - tail.length + i), g));
  return out;
}

export function parseIpv6(text: string): Buffer {
  const addr = tryParseIpv6(text);
  if (addr === null) throw new Error(`invalid IPv6 address "${text}": expected text like fd00::1`);
  return addr;
}

export class Ipv6View {
  constructor(
    readonly buf: Buffer,
    readonly offset: number,
    readonly length: number,
  ) {}

  static checked(buf: Buffer, offset: number, length: number): Ipv6View {
    assertWire(checkIpv6(buf, offset, length), "IPv6 header", offset);
    return new Ipv6View(buf, offset, length);
  }

  check(): Ipv6Reason | null {
    return checkIpv6(this.buf, this.offset, this.length);
  }

  get version(): number {
    return ipv6Version(this.buf, this.offset);
  }
  get trafficClass(): number {
    return ipv6TrafficClass(this.buf, this.offset);
  }
  get flowLabel(): number {
    return ipv6FlowLabel(this.buf, this.offset);
  }
  get payloadLength(): number {
    return ipv6PayloadLength(this.buf, this.offset);
  }
  set payloadLength(len: number) {
    setIpv6PayloadLength(this.buf, this.offset, len);
  }
  get nextHeader(): number {
    return ipv6NextHeader(this.buf, this.offset);
  }
  get hopLimit(): number {
    return ipv6HopLimit(this.buf, this.offset);
  }
  set hopLimit(hops: number) {
    setIpv6HopLimit(this.buf, this.offset, hops);
  }
  /** The source address bytes (a view into the packet, not a copy). */
  get src(): Buffer {
    return this.buf.subarray(this.offset + IPV6_SRC, this.offset + IPV6_SRC + IPV6_ADDR_LEN);
  }
  get dst(): Buffer {
    return this.buf.subarray(this.offset + IPV6_DST, this.offset + IPV6_DST + IPV6_ADDR_LEN);
  }
  get payloadOffset(): number {
    return this.offset + IPV6_HEADER_LEN;
  }
}

/** An IPv6 fixed header's meaning; addresses are owned 16-byte Buffers. */
export interface Ipv6Repr {
  src: Buffer;
  dst: Buffer;
  nextHeader: number;
  payloadLength: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
}

export const Ipv6Repr = {
  parse(buf: Buffer, off: number, len: number): Ipv6Repr {
    assertWire(checkIpv6(buf, off, len), "IPv6 header", off);
    return {
      src: Buffer.from(buf.subarray(off + IPV6_SRC, off + IPV6_SRC + IPV6_ADDR_LEN)),
      dst: Buffer.from(buf.subarray(off + IPV6_DST, off + IPV6_DST + IPV6_ADDR_LEN)),
      nextHeader: ipv6NextHeader(buf, off),
      payloadLength: ipv6PayloadLength(buf, off),
      hopLimit: ipv6HopLimit(buf, off),
      trafficClass: ipv6TrafficClass(buf, off),
      flowLabel: ipv6FlowLabel(buf, off),
    };
  },
  headerLength(_repr: Ipv6Repr): number {
    return IPV6_HEADER_LEN;
  },
  emit(repr: Ipv6Repr, buf: Buffer, off: number): number {
    setIpv6VersionTcFlow(buf, off, repr.trafficClass, repr.flowLabel);
    put16(buf, off + IPV6_PAYLOAD_LEN, repr.payloadLength);
    buf[off + IPV6_NEXT_HEADER] = repr.nextHeader & 0xff;
    buf[off + IPV6_HOP_LIMIT] = repr.hopLimit & 0xff;
    setIpv6Src(buf, off, repr.src);
    setIpv6Dst(buf, off, repr.dst);
    return IPV6_HEADER_LEN;
  },
};

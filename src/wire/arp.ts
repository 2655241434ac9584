// ARP for Ethernet and IPv4 (RFC 826): the 28-byte packet after the Ethernet header.
import { get16, get32, put16, put32 } from "./bytes.js";
import { assertWire } from "./error.js";
import { ETHERTYPE_IPV4 } from "./ethernet.js";
import { formatIpv4 } from "./ipv4.js";
import { formatMac, readMac, writeMac } from "./mac.js";

export const ARP_HTYPE = 0;
export const ARP_PTYPE = 2;
export const ARP_HLEN = 4;
export const ARP_PLEN = 5;
export const ARP_OPER = 6;
export const ARP_SHA = 8;
export const ARP_SPA = 14;
export const ARP_THA = 18;
export const ARP_TPA = 24;
export const ARP_LEN = 28;

export const ARP_HTYPE_ETHERNET = 1;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

export const ArpReason = {
  truncated: "arp-truncated",
  unsupported: "arp-not-ethernet-ipv4",
} as const;
export type ArpReason = (typeof ArpReason)[keyof typeof ArpReason];

/** 28 bytes, hardware Ethernet (1, length 6), protocol IPv4 (0x0800, length 4). */
export function checkArp(buf: Buffer, off: number, len: number): ArpReason | null {
  if (len < ARP_LEN || off < 0 || off + len > buf.length) return ArpReason.truncated;
  if (get16(buf, off + ARP_HTYPE) !== ARP_HTYPE_ETHERNET || get16(buf, off + ARP_PTYPE) !== ETHERTYPE_IPV4 ||
    buf[off + ARP_HLEN] !== 6 || buf[off + ARP_PLEN] !== 4) {
    return ArpReason.unsupported;
  }
  return null;
}

export function arpOperation(buf: Buffer, off: number): number {
  return get16(buf, off + ARP_OPER);
}

export function arpSenderMac(buf: Buffer, off: number): number {
  return readMac(buf, off + ARP_SHA);
}

export function arpSenderIp(buf: Buffer, off: number): number {
  return get32(buf, off + ARP_SPA);
}

export function arpTargetMac(buf: Buffer, off: number): number {
  return readMac(buf, off + ARP_THA);
}

export function arpTargetIp(buf: Buffer, off: number): number {
  return get32(buf, off + ARP_TPA);
}

/** Sender and target protocol addresses equal: an announcement (gratuitous ARP). */
export function arpIsGratuitous(buf: Buffer, off: number): boolean {
  return arpSenderIp(buf, off) === arpTargetIp(buf, off);
}

export class ArpView {
  constructor(
    readonly buf: Buffer,
    readonly offset: number,
    readonly length: number,
  ) {}

  static checked(buf: Buffer, offset: number, length: number): ArpView {
    assertWire(checkArp(buf, offset, length), "ARP packet", offset);
    return new ArpView(buf, offset, length);
  }

  check(): ArpReason | null {
    return checkArp(this.buf, this.offset, this.length);
  }

  get operation(): number {
    return arpOperation(this.buf, this.offset);
  }
  get senderMac(): number {
    return arpSenderMac(this.buf, this.offset);
  }
  get senderIp(): number {
    return arpSenderIp(this.buf, this.offset);
  }
  get targetMac(): number {
    return arpTargetMac(this.buf, this.offset);
  }
  get targetIp(): number {
    return arpTargetIp(this.buf, this.offset);
  }
}

/** An Ethernet/IPv4 ARP packet's meaning: MACs as 48-bit numbers, IPv4 addresses as 32-bit numbers. */
export interface ArpRepr {
  operation: number;
  senderMac: number;
  senderIp: number;
  targetMac: number;
  targetIp: number;
}

export const ArpRepr = {
  parse(buf: Buffer, off: number, len: number): ArpRepr {
    assertWire(checkArp(buf, off, len), "ARP packet", off);
    return {
      operation: arpOperation(buf, off),
      senderMac: arpSenderMac(buf, off),
      senderIp: arpSenderIp(buf, off),
      targetMac: arpTargetMac(buf, off),
      targetIp: arpTargetIp(buf, off),
    };
  },
  headerLength(_repr: ArpRepr): number {
    return ARP_LEN;
  },
  emit(repr: ArpRepr, buf: Buffer, off: number): number {
    put16(buf, off + ARP_HTYPE, ARP_HTYPE_ETHERNET);
    put16(buf, off + ARP_PTYPE, ETHERTYPE_IPV4);
    buf[off + ARP_HLEN] = 6;
    buf[off + ARP_PLEN] = 4;
    put16(buf, off + ARP_OPER, repr.operation);
    writeMac(buf, off + ARP_SHA, repr.senderMac);
    put32(buf, off + ARP_SPA, repr.senderIp >>> 0);
    writeMac(buf, off + ARP_THA, repr.targetMac);
    put32(buf, off + ARP_TPA, repr.targetIp >>> 0);
    return ARP_LEN;
  },
  /** As tcpdump prints it: "who-has 10.0.0.2 tell 10.0.0.1" / "10.0.0.2 is-at 52:54:00:...". */
  format(repr: ArpRepr): string {
    if (repr.operation === ARP_REQUEST) return `who-has ${formatIpv4(repr.targetIp)} tell ${formatIpv4(repr.senderIp)}`;
    if (repr.operation === ARP_REPLY) return `${formatIpv4(repr.senderIp)} is-at ${formatMac(repr.senderMac)}`;
    return `operation ${repr.operation}`;
  },
};

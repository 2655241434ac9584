// ARP for Ethernet and IPv4 (RFC 826): the 28-byte packet after the Ethernet header.
import { get16, get32 } from "./bytes.js";
import { ETHERTYPE_IPV4 } from "./ethernet.js";
import { formatIpv4 } from "./ipv4.js";
import { formatMac, readMac } from "./mac.js";

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

/** As tcpdump prints it: "who-has 10.0.0.2 tell 10.0.0.1" / "10.0.0.2 is-at 52:54:00:ab:cd:ef". */
export function formatArp(buf: Buffer, off: number): string {
  const operation = arpOperation(buf, off);
  if (operation === ARP_REQUEST) return `who-has ${formatIpv4(arpTargetIp(buf, off))} tell ${formatIpv4(arpSenderIp(buf, off))}`;
  if (operation === ARP_REPLY) return `${formatIpv4(arpSenderIp(buf, off))} is-at ${formatMac(arpSenderMac(buf, off))}`;
  return `operation ${operation}`;
}

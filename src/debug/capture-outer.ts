// Outer packets for `capture --outer`: the sockets carry tunnel payloads, the kernel adds IP (and UDP); we write them back.
// The result is a raw IP packet (pcap linktype 101): addresses, ports, protocol and lengths are the real
// ones; TTL (64), identification (0) and DF are what a Linux sender typically puts, not read from the wire.
import { isV4Mapped } from "../io/address.js";
import { fillIpv4Checksum, IPV4_MIN_HEADER_LEN } from "../wire/ipv4.js";
import { IPV6_HEADER_LEN } from "../wire/ipv6.js";
import { fillUdpChecksum, UDP_HEADER_LEN, writeUdpHeader } from "../wire/udp.js";

const IPPROTO_UDP = 17;
const IPPROTO_GRE = 47;
const TTL = 64;

export interface OuterAddressing {
  /** 16-byte addresses (IPv4-mapped for IPv4), at srcOff / dstOff. */
  src: Uint8Array;
  srcOff: number;
  dst: Uint8Array;
  dstOff: number;
  /** UDP ports (VXLAN); ignored for GRE. */
  srcPort: number;
  dstPort: number;
  gre: boolean;
}

/** A new raw IP packet: IPv4 or IPv6 header (by the address), UDP header unless GRE, then payload[off, off+len). */
export function outerPacket(a: OuterAddressing, payload: Buffer, off: number, len: number): Buffer {
  const v4 = isV4Mapped(a.src, a.srcOff);
  const ipLen = v4 ? IPV4_MIN_HEADER_LEN : IPV6_HEADER_LEN;
  const l4Len = a.gre ? len : UDP_HEADER_LEN + len;
  const out = Buffer.alloc(ipLen + l4Len);
  const protocol = a.gre ? IPPROTO_GRE : IPPROTO_UDP;
  if (v4) {
    out[0] = 0x45;
    out.writeUInt16BE(ipLen + l4Len, 2);
    out.writeUInt16BE(0x4000, 6);
    out[8] = TTL;
    out[9] = protocol;
    out.set(a.src.subarray(a.srcOff + 12, a.srcOff + 16), 12);
    out.set(a.dst.subarray(a.dstOff + 12, a.dstOff + 16), 16);
    fillIpv4Checksum(out, 0);
  } else {
    out[0] = 0x60;
    out.writeUInt16BE(l4Len, 4);
    out[6] = protocol;
    out[7] = TTL;
    out.set(a.src.subarray(a.srcOff, a.srcOff + 16), 8);
    out.set(a.dst.subarray(a.dstOff, a.dstOff + 16), 24);
  }
  const body = a.gre ? ipLen : ipLen + UDP_HEADER_LEN;
  payload.copy(out, body, off, off + len);
  if (!a.gre) {
    writeUdpHeader(out, ipLen, a.srcPort, a.dstPort, len);
    // IPv4 may say "no checksum" (as VXLAN senders usually do); IPv6 must carry one.
    if (!v4) fillUdpChecksum(out, 0, ipLen, l4Len);
  }
  return out;
}

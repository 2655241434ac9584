// Outer packets for `capture --outer`: the sockets carry tunnel payloads, the kernel adds IP (and UDP); we write them back.
// The result is a raw IP packet (pcap linktype 101): addresses, ports, protocol and lengths are the real
// ones; TTL (64), identification (0) and DF are what a Linux sender typically puts, not read from the wire.
import { isV4Mapped, v4Key } from "../io/address.js";
import { IPPROTO_GRE, IPPROTO_UDP } from "../wire/ip.js";
import { IPV4_MIN_HEADER_LEN, writeIpv4Header } from "../wire/ipv4.js";
import { IPV6_ADDR_LEN, IPV6_HEADER_LEN, writeIpv6Header } from "../wire/ipv6.js";
import { fillUdpChecksum, UDP_HEADER_LEN, writeUdpHeader } from "../wire/udp.js";

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
  const l4Len = a.gre ? len : UDP_HEADER_LEN + len;
  const protocol = a.gre ? IPPROTO_GRE : IPPROTO_UDP;
  const src = a.src.subarray(a.srcOff, a.srcOff + IPV6_ADDR_LEN);
  const dst = a.dst.subarray(a.dstOff, a.dstOff + IPV6_ADDR_LEN);
  const ipLen = v4 ? IPV4_MIN_HEADER_LEN : IPV6_HEADER_LEN;
  const out = Buffer.alloc(ipLen + l4Len);
  if (v4) writeIpv4Header(out, 0, { tos: 0, ident: 0, dontFragment: true, ttl: TTL, protocol, src: v4Key(src), dst: v4Key(dst) }, l4Len);
  else writeIpv6Header(out, 0, { trafficClass: 0, flowLabel: 0, nextHeader: protocol, hopLimit: TTL, src, dst }, l4Len);
  const body = a.gre ? ipLen : ipLen + UDP_HEADER_LEN;
  payload.copy(out, body, off, off + len);
  if (!a.gre) {
    writeUdpHeader(out, ipLen, a.srcPort, a.dstPort, len);
    // IPv4 may say "no checksum" (as VXLAN senders usually do); IPv6 must carry one.
    if (!v4) fillUdpChecksum(out, 0, ipLen, l4Len);
  }
  return out;
}

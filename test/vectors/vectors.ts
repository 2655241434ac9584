// The wire test vectors, built with src/wire's emitters; write-pcap.ts saves them for tshark (see README.md).
import {
  ArpRepr, ARP_REQUEST, computeTcpChecksum, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6,
  fillTcpChecksum, fillUdpChecksum, flowSourcePort, insertVlanTag, internetChecksum, IPPROTO_GRE, IPPROTO_ICMP,
  IPPROTO_TCP, IPPROTO_UDP, Ipv4Repr, Ipv6Repr, MAC_BROADCAST, makeTci, parseIpv4, parseIpv6, parseMac, 
  TCP_ACK_FLAG, TCP_PSH, TCP_SYN, TcpRepr, TPID_8021AD, UdpRepr, VXLAN_PORT, writeEthernetHeader, writeGreHeader,
  writeVxlanHeader,
} from "../../src/wire/index.js";

const HOST_A = parseMac("02:00:00:00:00:01");
const HOST_B = parseMac("02:00:00:00:00:02");
const VM_A = parseMac("52:54:00:12:34:56");
const VM_B = parseMac("52:54:00:ab:cd:ef");
const UNDERLAY_A = parseIpv4("198.18.0.1");
const UNDERLAY_B = parseIpv4("198.18.0.2");
const OVERLAY_A = parseIpv4("10.0.0.1");
const OVERLAY_B = parseIpv4("10.0.0.2");
const HEADROOM = 64;

function ipv4(protocol: number, src: number, dst: number, payloadLength: number, ident: number): Ipv4Repr {
  return { src, dst, protocol, payloadLength, ttl: 64, tos: 0, ident, dontFragment: true, moreFragments: false, fragmentOffset: 0 };
}

/** Inner ARP request, who-has 10.0.0.2 tell 10.0.0.1, written at off; returns its length (42). */
function arpRequest(buf: Buffer, off: number): number {
  writeEthernetHeader(buf, off, MAC_BROADCAST, VM_A, ETHERTYPE_ARP);
  return ETH_HEADER_LEN + ArpRepr.emit({ operation: ARP_REQUEST, senderMac: VM_A, senderIp: OVERLAY_A, targetMac: 0,
    targetIp: OVERLAY_B }, buf, off + ETH_HEADER_LEN);
}

/** Inner ICMP echo request 10.0.0.1 -> 10.0.0.2 written at off; returns its length. */
function icmpEcho(buf: Buffer, off: number): number {
  const payload = Buffer.from("vxswitch");
  writeEthernetHeader(buf, off, VM_B, VM_A, ETHERTYPE_IPV4);
  const ip = off + ETH_HEADER_LEN;
  const icmpLen = 8 + payload.length;
  Ipv4Repr.emit(ipv4(IPPROTO_ICMP, OVERLAY_A, OVERLAY_B, icmpLen, 0x0101), buf, ip);
  const icmp = ip + 20;
  buf.writeUInt32BE(0x08000000, icmp); // echo request, code 0, checksum 0 for now
  buf.writeUInt16BE(0x1d2c, icmp + 4);
  buf.writeUInt16BE(1, icmp + 6);
  payload.copy(buf, icmp + 8);
  buf.writeUInt16BE(internetChecksum(buf, icmp, icmpLen), icmp + 2);
  return ETH_HEADER_LEN + 20 + icmpLen;
}

/** Outer Ethernet + IPv4 + UDP + VXLAN in the headroom in front of an inner frame at `inner`. */
function vxlanOverIpv4(slab: Buffer, inner: number, innerLen: number, vni: number): [number, number] {
  const vx = inner - 8;
  writeVxlanHeader(slab, vx, vni);
  const udp = vx - 8;
  UdpRepr.emit({ srcPort: flowSourcePort(slab, inner, innerLen), dstPort: VXLAN_PORT, payloadLength: 8 + innerLen }, slab, udp);
  const ip = udp - 20;
  Ipv4Repr.emit(ipv4(IPPROTO_UDP, UNDERLAY_A, UNDERLAY_B, 16 + innerLen, 0x1234), slab, ip);
  fillUdpChecksum(slab, ip, udp, 16 + innerLen);
  const eth = ip - ETH_HEADER_LEN;
  writeEthernetHeader(slab, eth, HOST_B, HOST_A, ETHERTYPE_IPV4);
  return [eth, inner + innerLen - eth];
}

export function buildVectors(): Buffer[] {
  const frames: Buffer[] = [];

  // 1. VXLAN VNI 42 over IPv4 (UDP checksum computed), inner broadcast ARP request.
  {
    const slab = Buffer.alloc(256);
    const len = arpRequest(slab, HEADROOM);
    const [start, total] = vxlanOverIpv4(slab, HEADROOM, len, 42);
    frames.push(Buffer.from(slab.subarray(start, start + total)));
  }

  // 2. Ethernet over GRE (TEB) over IPv4, with checksum, key 42 and sequence 1; inner ICMP echo.
  {
    const slab = Buffer.alloc(256);
    const len = icmpEcho(slab, HEADROOM);
    const opts = { checksum: true, key: 42, seq: 1 };
    const gre = HEADROOM - 16;
    writeGreHeader(slab, gre, opts, len);
    const ip = gre - 20;
    Ipv4Repr.emit(ipv4(IPPROTO_GRE, UNDERLAY_A, UNDERLAY_B, 16 + len, 0x1235), slab, ip);
    writeEthernetHeader(slab, ip - ETH_HEADER_LEN, HOST_B, HOST_A, ETHERTYPE_IPV4);
    frames.push(Buffer.from(slab.subarray(ip - ETH_HEADER_LEN, HEADROOM + len)));
  }

  // 3. TCP over IPv4: a SYN with an MSS option, then a PSH/ACK carrying "hello\n".
  for (const [flags, seq, ack, payload, options] of [
    [TCP_SYN, 0x01020304, 0, "", Buffer.from([2, 4, 0x05, 0xb4])],
    [TCP_PSH | TCP_ACK_FLAG, 0x01020305, 0xa0b0c0d1, "hello\n", Buffer.alloc(0)],
  ] as const) {
    const buf = Buffer.alloc(14 + 20 + 24 + payload.length);
    writeEthernetHeader(buf, 0, VM_B, VM_A, ETHERTYPE_IPV4);
    const tcp: TcpRepr = { srcPort: 40000, dstPort: 5201, seq, ack, flags, window: 64240, urgent: 0, options };
    const tcpLen = TcpRepr.headerLength(tcp) + payload.length;
    Ipv4Repr.emit(ipv4(IPPROTO_TCP, OVERLAY_A, OVERLAY_B, tcpLen, 0x4000 + seq % 16), buf, 14);
    TcpRepr.emit(tcp, buf, 34);
    buf.write(payload, 34 + TcpRepr.headerLength(tcp));
    fillTcpChecksum(buf, 14, 34, tcpLen);
    if (computeTcpChecksum(buf, 14, 34, tcpLen) === 0) throw new Error("unreachable");
    frames.push(buf.subarray(0, 34 + tcpLen));
  }

  // 4. UDP over IPv6 with its (mandatory) checksum: fd00::1 port 5000 -> fd00::2 port 5001, "vxswitch\n".
  {
    const payload = Buffer.from("vxswitch\n");
    const buf = Buffer.alloc(14 + 40 + 8 + payload.length);
    writeEthernetHeader(buf, 0, VM_B, VM_A, ETHERTYPE_IPV6);
    Ipv6Repr.emit({ src: parseIpv6("fd00::1"), dst: parseIpv6("fd00::2"), nextHeader: IPPROTO_UDP,
      payloadLength: 8 + payload.length, hopLimit: 64, trafficClass: 0, flowLabel: 0x12345 }, buf, 14);
    UdpRepr.emit({ srcPort: 5000, dstPort: 5001, payloadLength: payload.length }, buf, 54);
    payload.copy(buf, 62);
    fillUdpChecksum(buf, 14, 54, 8 + payload.length);
    frames.push(buf);
  }

  // 5. VXLAN VNI 0x123456 over IPv6 (UDP checksum), inner frame tagged in place: 802.1Q PCP 5 VID 100, ICMP echo.
  {
    const slab = Buffer.alloc(256);
    let inner = 2 * HEADROOM; // room for the tag and a 70-byte outer IPv6 stack
    let len = icmpEcho(slab, inner);
    inner = insertVlanTag(slab, inner, makeTci(5, false, 100));
    len += 4;
    writeVxlanHeader(slab, inner - 8, 0x123456);
    const udp = inner - 16;
    UdpRepr.emit({ srcPort: flowSourcePort(slab, inner, len), dstPort: VXLAN_PORT, payloadLength: 8 + len }, slab, udp);
    const ip = udp - 40;
    Ipv6Repr.emit({ src: parseIpv6("2001:db8::a"), dst: parseIpv6("2001:db8::b"), nextHeader: IPPROTO_UDP,
      payloadLength: 16 + len, hopLimit: 64, trafficClass: 0, flowLabel: 0 }, slab, ip);
    fillUdpChecksum(slab, ip, udp, 16 + len);
    writeEthernetHeader(slab, ip - 14, HOST_B, HOST_A, ETHERTYPE_IPV6);
    frames.push(Buffer.from(slab.subarray(ip - 14, inner + len)));
  }

  // 6. An 802.1ad service tag (TPID 0x88a8, PCP 3, DEI, VID 200) in front of an ARP request.
  {
    const slab = Buffer.alloc(128);
    const len = arpRequest(slab, 8);
    const start = insertVlanTag(slab, 8, makeTci(3, true, 200), TPID_8021AD);
    frames.push(Buffer.from(slab.subarray(start, start + len + 4)));
  }
  return frames;
}

/** 2025-01-01T00:00:00Z plus one millisecond per frame. */
export const VECTOR_EPOCH_US = 1_735_689_600_000_000;

// The wire test vectors, built with src/wire's writers (the Ethernet, ARP and TCP headers, which only tests
// write, with the local helpers below); write-pcap.ts saves them for tshark (see README.md).
import {
  computeTcpChecksum, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, fillTcpChecksum, fillUdpChecksum,
  flowSourcePort, insertVlanTag, internetChecksum, IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, type Ipv4Header,
  MAC_BROADCAST, parseMac, TCP_ACK_FLAG, TCP_PSH, TCP_SYN, TPID_8021AD, VXLAN_PORT, writeGreHeader, writeIpv4Header,
  writeIpv6Header, writeUdpHeader, writeVxlanHeader,
} from "../../src/wire/index.js";
import { parseAddress } from "../../src/io/address.js";

const HOST_A = parseMac("02:00:00:00:00:01");
const HOST_B = parseMac("02:00:00:00:00:02");
const VM_A = parseMac("52:54:00:12:34:56");
const VM_B = parseMac("52:54:00:ab:cd:ef");
const UNDERLAY_A = 0xc6120001; // 198.18.0.1
const UNDERLAY_B = 0xc6120002; // 198.18.0.2
const OVERLAY_A = 0x0a000001; // 10.0.0.1
const OVERLAY_B = 0x0a000002; // 10.0.0.2
const HEADROOM = 64;
const TWO_32 = 0x1_0000_0000;

function ipv4(protocol: number, src: number, dst: number, ident: number): Ipv4Header {
  return { src, dst, protocol, ttl: 64, tos: 0, ident, dontFragment: true };
}

function writeMacAt(buf: Buffer, off: number, mac: number): void {
  buf.writeUInt16BE(Math.floor(mac / TWO_32), off);
  buf.writeUInt32BE(mac % TWO_32, off + 2);
}

/** dst, src, ethertype; returns 14. */
function writeEthernet(buf: Buffer, off: number, dst: number, src: number, type: number): number {
  writeMacAt(buf, off, dst);
  writeMacAt(buf, off + 6, src);
  buf.writeUInt16BE(type, off + 12);
  return ETH_HEADER_LEN;
}

/** Inner ARP request, who-has 10.0.0.2 tell 10.0.0.1, written at off; returns its length (42). */
function arpRequest(buf: Buffer, off: number): number {
  writeEthernet(buf, off, MAC_BROADCAST, VM_A, ETHERTYPE_ARP);
  const arp = off + ETH_HEADER_LEN;
  buf.writeUInt32BE(0x0001_0800, arp); // hardware Ethernet, protocol IPv4
  buf.writeUInt32BE(0x0604_0001, arp + 4); // lengths 6 and 4, operation request
  writeMacAt(buf, arp + 8, VM_A);
  buf.writeUInt32BE(OVERLAY_A, arp + 14);
  writeMacAt(buf, arp + 18, 0);
  buf.writeUInt32BE(OVERLAY_B, arp + 24);
  return ETH_HEADER_LEN + 28;
}

/** Inner ICMP echo request 10.0.0.1 -> 10.0.0.2 written at off; returns its length. */
function icmpEcho(buf: Buffer, off: number): number {
  const payload = Buffer.from("vxswitch");
  writeEthernet(buf, off, VM_B, VM_A, ETHERTYPE_IPV4);
  const ip = off + ETH_HEADER_LEN;
  const icmpLen = 8 + payload.length;
  writeIpv4Header(buf, ip, ipv4(IPPROTO_ICMP, OVERLAY_A, OVERLAY_B, 0x0101), icmpLen);
  const icmp = ip + 20;
  buf.writeUInt32BE(0x08000000, icmp); // echo request, code 0, checksum 0 for now
  buf.writeUInt16BE(0x1d2c, icmp + 4);
  buf.writeUInt16BE(1, icmp + 6);
  payload.copy(buf, icmp + 8);
  buf.writeUInt16BE(internetChecksum(buf, icmp, icmpLen), icmp + 2);
  return ETH_HEADER_LEN + 20 + icmpLen;
}

/** A TCP header with options (a multiple of 4 long) and a zero checksum; returns its length. */
function writeTcp(buf: Buffer, off: number, seq: number, ack: number, flags: number, options: Buffer): number {
  const hlen = 20 + options.length;
  buf.writeUInt16BE(40000, off);
  buf.writeUInt16BE(5201, off + 2);
  buf.writeUInt32BE(seq, off + 4);
  buf.writeUInt32BE(ack, off + 8);
  buf[off + 12] = (hlen / 4) << 4;
  buf[off + 13] = flags;
  buf.writeUInt16BE(64240, off + 14);
  buf.writeUInt32BE(0, off + 16); // checksum and urgent pointer
  options.copy(buf, off + 20);
  return hlen;
}

/** Outer Ethernet + IPv4 + UDP + VXLAN in the headroom in front of an inner frame at `inner`. */
function vxlanOverIpv4(slab: Buffer, inner: number, innerLen: number, vni: number): [number, number] {
  const vx = inner - 8;
  writeVxlanHeader(slab, vx, vni);
  const udp = vx - 8;
  writeUdpHeader(slab, udp, flowSourcePort(slab, inner, innerLen), VXLAN_PORT, 8 + innerLen);
  const ip = udp - 20;
  writeIpv4Header(slab, ip, ipv4(IPPROTO_UDP, UNDERLAY_A, UNDERLAY_B, 0x1234), 16 + innerLen);
  fillUdpChecksum(slab, ip, udp, 16 + innerLen);
  const eth = ip - ETH_HEADER_LEN;
  writeEthernet(slab, eth, HOST_B, HOST_A, ETHERTYPE_IPV4);
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
    writeIpv4Header(slab, ip, ipv4(IPPROTO_GRE, UNDERLAY_A, UNDERLAY_B, 0x1235), 16 + len);
    writeEthernet(slab, ip - ETH_HEADER_LEN, HOST_B, HOST_A, ETHERTYPE_IPV4);
    frames.push(Buffer.from(slab.subarray(ip - ETH_HEADER_LEN, HEADROOM + len)));
  }

  // 3. TCP over IPv4: a SYN with an MSS option, then a PSH/ACK carrying "hello\n".
  for (const [flags, seq, ack, payload, options] of [
    [TCP_SYN, 0x01020304, 0, "", Buffer.from([2, 4, 0x05, 0xb4])],
    [TCP_PSH | TCP_ACK_FLAG, 0x01020305, 0xa0b0c0d1, "hello\n", Buffer.alloc(0)],
  ] as const) {
    const buf = Buffer.alloc(14 + 20 + 24 + payload.length);
    writeEthernet(buf, 0, VM_B, VM_A, ETHERTYPE_IPV4);
    const tcpLen = 20 + options.length + payload.length;
    writeIpv4Header(buf, 14, ipv4(IPPROTO_TCP, OVERLAY_A, OVERLAY_B, 0x4000 + seq % 16), tcpLen);
    buf.write(payload, 34 + writeTcp(buf, 34, seq, ack, flags, options));
    fillTcpChecksum(buf, 14, 34, tcpLen);
    if (computeTcpChecksum(buf, 14, 34, tcpLen) === 0) throw new Error("unreachable");
    frames.push(buf.subarray(0, 34 + tcpLen));
  }

  // 4. UDP over IPv6 with its (mandatory) checksum: fd00::1 port 5000 -> fd00::2 port 5001, "vxswitch\n".
  {
    const payload = Buffer.from("vxswitch\n");
    const buf = Buffer.alloc(14 + 40 + 8 + payload.length);
    writeEthernet(buf, 0, VM_B, VM_A, ETHERTYPE_IPV6);
    writeIpv6Header(buf, 14, { src: parseAddress("fd00::1"), dst: parseAddress("fd00::2"), nextHeader: IPPROTO_UDP,
      hopLimit: 64, trafficClass: 0, flowLabel: 0x12345 }, 8 + payload.length);
    writeUdpHeader(buf, 54, 5000, 5001, payload.length);
    payload.copy(buf, 62);
    fillUdpChecksum(buf, 14, 54, 8 + payload.length);
    frames.push(buf);
  }

  // 5. VXLAN VNI 0x123456 over IPv6 (UDP checksum), inner frame tagged in place: 802.1Q PCP 5 VID 100, ICMP echo.
  {
    const slab = Buffer.alloc(256);
    let inner = 2 * HEADROOM; // room for the tag and a 70-byte outer IPv6 stack
    let len = icmpEcho(slab, inner);
    inner = insertVlanTag(slab, inner, 0xa064); // PCP 5, DEI 0, VID 100
    len += 4;
    writeVxlanHeader(slab, inner - 8, 0x123456);
    const udp = inner - 16;
    writeUdpHeader(slab, udp, flowSourcePort(slab, inner, len), VXLAN_PORT, 8 + len);
    const ip = udp - 40;
    writeIpv6Header(slab, ip, { src: parseAddress("2001:db8::a"), dst: parseAddress("2001:db8::b"), nextHeader: IPPROTO_UDP,
      hopLimit: 64, trafficClass: 0, flowLabel: 0 }, 16 + len);
    fillUdpChecksum(slab, ip, udp, 16 + len);
    writeEthernet(slab, ip - 14, HOST_B, HOST_A, ETHERTYPE_IPV6);
    frames.push(Buffer.from(slab.subarray(ip - 14, inner + len)));
  }

  // 6. An 802.1ad service tag (TPID 0x88a8, PCP 3, DEI, VID 200) in front of an ARP request.
  {
    const slab = Buffer.alloc(128);
    const len = arpRequest(slab, 8);
    const start = insertVlanTag(slab, 8, 0x70c8, TPID_8021AD); // PCP 3, DEI 1, VID 200
    frames.push(Buffer.from(slab.subarray(start, start + len + 4)));
  }
  return frames;
}

/** 2025-01-01T00:00:00Z plus one millisecond per frame. */
export const VECTOR_EPOCH_US = 1_735_689_600_000_000;

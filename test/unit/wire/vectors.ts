// Known-good frames for the wire tests: built by test/vectors/vectors.ts, saved in test/vectors/wire.pcap, and
// verified with tshark 4.0.17 (-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE;
// `-z expert` lists no warnings or errors, only the SYN's "chat" note; no _ws.malformed).
import { LINKTYPE_ETHERNET, PCAP_DEFAULT_SNAPLEN, PcapWriter } from "../../../src/wire/pcap.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/**
 * Frame 1: VXLAN over IPv4 carrying a broadcast ARP request. tshark: ip.checksum=0x9c43 [good],
 * udp.srcport=45730 udp.dstport=4789 udp.checksum=0x4472 [good], vxlan.flags=0x0800 vxlan.flag_i=1
 * vxlan.vni=42; inner eth.dst=ff:ff:ff:ff:ff:ff eth.src=52:54:00:12:34:56 eth.type=0x0806, arp.opcode=1
 * arp.src.hw_mac=52:54:00:12:34:56 arp.src.proto_ipv4=10.0.0.1 arp.dst.proto_ipv4=10.0.0.2.
 * Offsets: outer IPv4 14, UDP 34, VXLAN 42, inner frame 50 (42 bytes), ARP 64.
 */
export const VXLAN_ARP = hex(`
  020000000002 020000000001 0800
  4500004e12344000 40119c43 c6120001 c6120002
  b2a212b5003a4472
  0800000000002a00
  ffffffffffff 525400123456 0806
  0001080006040001 525400123456 0a000001 000000000000 0a000002`);

/**
 * Frame 2: Ethernet over GRE over IPv4, GRE with checksum, key and sequence. tshark: ip.checksum=0x9c1c [good],
 * gre.flags_and_version=0xb000 (C, K, S set, version 0) gre.proto=0x6558 gre.checksum=0x3ad0 [good]
 * gre.key=0x0000002a gre.sequence_number=1; inner ICMP echo request 10.0.0.1 -> 10.0.0.2, inner
 * ip.checksum=0x25d6 [good], icmp.checksum=0x2406 [good]. With one payload bit flipped tshark reports
 * gre.checksum.status and icmp.checksum.status bad.
 * Offsets: outer IPv4 14, GRE 34 (16 bytes), inner frame 50 (50 bytes), inner IPv4 64, ICMP 84.
 */
export const GRE_ICMP = hex(`
  020000000002 020000000001 0800
  4500005612354000 402f9c1c c6120001 c6120002
  b0006558 3ad00000 0000002a 00000001
  525400abcdef 525400123456 0800
  4500002401014000 400125d6 0a000001 0a000002
  08002406 1d2c0001 7678737769746368`);

/**
 * Frame 3: TCP SYN over IPv4 with an MSS option. tshark: ip.checksum=0xe6c5 [good], tcp.srcport=40000
 * tcp.dstport=5201 tcp.seq_raw=16909060 tcp.ack_raw=0 tcp.hdr_len=24 tcp.flags=0x0002 tcp.window_size_value=64240
 * tcp.checksum=0xd49b [good] tcp.options.mss_val=1460. Offsets: IPv4 14, TCP 34.
 */
export const TCP_SYN_MSS = hex(`
  525400abcdef 525400123456 0800
  4500002c40044000 4006e6c5 0a000001 0a000002
  9c401451 01020304 00000000 6002faf0 d49b0000 020405b4`);

/**
 * Frame 4: TCP PSH/ACK over IPv4 carrying "hello\n". tshark: ip.checksum=0xe6c2 [good], tcp.seq_raw=16909061
 * tcp.ack_raw=2695938257 tcp.hdr_len=20 tcp.flags=0x0018 tcp.checksum=0x46dc [good] tcp.len=6.
 */
export const TCP_PSH_ACK = hex(`
  525400abcdef 525400123456 0800
  4500002e40054000 4006e6c2 0a000001 0a000002
  9c401451 01020305 a0b0c0d1 5018faf0 46dc0000 68656c6c6f0a`);

/**
 * Frame 5: UDP over IPv6. tshark: ipv6.src=fd00::1 ipv6.dst=fd00::2 ipv6.flow=0x012345 ipv6.plen=17 ipv6.nxt=17
 * ipv6.hlim=64, udp.srcport=5000 udp.dstport=5001 udp.checksum=0x1dea [good]. Offsets: IPv6 14, UDP 54.
 */
export const UDP6 = hex(`
  525400abcdef 525400123456 86dd
  60012345 0011 11 40 fd000000000000000000000000000001 fd000000000000000000000000000002
  13881389 0011 1dea 76787377697463680a`);

/**
 * Frame 6: VXLAN over IPv6 carrying an 802.1Q-tagged ICMP echo (tag inserted in place). tshark:
 * ipv6.src=2001:db8::a ipv6.dst=2001:db8::b ipv6.plen=70, udp.srcport=59955 udp.dstport=4789
 * udp.checksum=0x65ad [good], vxlan.vni=1193046 (0x123456); inner eth.type=0x8100 vlan.priority=5 vlan.dei=0
 * vlan.id=100 vlan.etype=0x0800, icmp.checksum=0x2406 [good].
 * Offsets: IPv6 14, UDP 54, VXLAN 62, inner frame 70 (54 bytes), tag TCI 84, inner IPv4 88.
 */
export const VXLAN6_TAGGED = hex(`
  020000000002 020000000001 86dd
  60000000 0046 11 40 20010db800000000000000000000000a 20010db800000000000000000000000b
  ea3312b5 0046 65ad
  0800000012345600
  525400abcdef 525400123456 8100 a064 0800
  4500002401014000 400125d6 0a000001 0a000002
  08002406 1d2c0001 7678737769746368`);

/**
 * Frame 7: an 802.1ad service tag in front of an ARP request. tshark: eth.type=0x88a8 ieee8021ad.priority=3
 * ieee8021ad.dei=1 ieee8021ad.id=200, then arp.opcode=1.
 */
export const QINQ_ARP = hex(`
  ffffffffffff 525400123456 88a8 70c8 0806
  0001080006040001 525400123456 0a000001 000000000000 0a000002`);

export const ALL_VECTORS = [VXLAN_ARP, GRE_ICMP, TCP_SYN_MSS, TCP_PSH_ACK, UDP6, VXLAN6_TAGGED, QINQ_ARP];

/** A classic pcap file of whole frames, all at time 0, written by PcapWriter. */
export function pcapFile(frames: Buffer[], linktype = LINKTYPE_ETHERNET, snaplen = PCAP_DEFAULT_SNAPLEN): Buffer {
  const chunks: Buffer[] = [];
  const writer = new PcapWriter({ write: (c: Buffer) => chunks.push(c) }, linktype, snaplen);
  for (const f of frames) writer.write(f, 0, f.length, 0);
  return Buffer.concat(chunks);
}

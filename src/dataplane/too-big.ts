// Frames too big for the overlay: ICMP "fragmentation needed" / ICMPv6 "packet too big" back to the sender.
//
// A container at MTU 1500 behind a 1450-byte overlay sends frames that cannot be carried whole.
// Dropping them silently is the classic overlay black hole (TCP hangs after the handshake). The
// kernel's vxlan answers bridged senders itself since Linux 5.9 (iptunnel_pmtud_build_icmp):
// the answer looks as if it came from the packet's destination (addresses and MACs swapped), so
// it needs no address of our own, and the sender's stack lowers its path MTU for that
// destination. IPv4 without DF gets no answer and is dropped (counted `oversize`): fragmenting
// inner packets is left to senders, which set DF on everything that matters (TCP, PMTU probes).
import { internetChecksum } from "../wire/checksum.js";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETH_HEADER_LEN, TPID_8021AD, TPID_8021Q, VLAN_TAG_LEN } from "../wire/ethernet.js";
import { ICMP_HEADER_LEN, icmpType } from "../wire/icmp.js";
import { IPPROTO_ICMP, IPPROTO_ICMPV6 } from "../wire/ip.js";
import {
  IPV4_DST, IPV4_MIN_HEADER_LEN, IPV4_SRC, ipv4DontFragment, ipv4Dst, ipv4FragmentOffset, ipv4HeaderLength, ipv4Protocol, ipv4Src, ipv4Version, writeIpv4Header,
} from "../wire/ipv4.js";
import { IPV6_DST, IPV6_HEADER_LEN, IPV6_SRC, ipv6NextHeader, ipv6PseudoHeaderSum, ipv6Version, writeIpv6Header } from "../wire/ipv6.js";
import type { PortTable } from "../switch/tables.js";
import { FloodLimiter } from "../switch/flood-limit.js";

/** RFC 1812 4.3.2.3: an ICMP error is at most 576 bytes of IP. */
const IPV4_ERROR_MAX = 576;
/** RFC 4443 2.4(c): an ICMPv6 error fits the minimum IPv6 MTU. */
const IPV6_ERROR_MAX = 1280;
const ICMP_DEST_UNREACH = 3;
const ICMP_FRAG_NEEDED = 4;
const ICMPV6_PACKET_TOO_BIG = 2;
/** IPTOS_PREC_INTERNETCONTROL, as the kernel's own ICMP errors carry. */
const TOS_INTERNETCONTROL = 0xc0;
const REPLY_TTL = 64;

/** Answers per second (sustained) and in one burst: a flood of big frames cannot turn into a flood of answers. */
export const TOO_BIG_RATE = 100;
export const TOO_BIG_BURST = 20;

/**
 * True when an untagged-or-tagged frame of len bytes is longer than the overlay carries: more
 * than mtu + 14, or mtu + 18 when it carries its own 802.1Q/802.1ad tag (an access TAP passes
 * tags through).
 */
export function exceedsOverlay(buf: Buffer, off: number, len: number, mtu: number): boolean {
  if (len <= mtu + ETH_HEADER_LEN) return false;
  if (len > mtu + ETH_HEADER_LEN + VLAN_TAG_LEN) return true;
  const type = buf.readUInt16BE(off + 12);
  return type !== TPID_8021Q && type !== TPID_8021AD;
}

/**
 * The wire length of one segment of the GSO super-frame at buf[off, off+len) cut at gsoSize:
 * Ethernet + IP + TCP/UDP headers (read from the frame, not from the virtio-net header's
 * hdr_len, which the kernel fills with its linear length) + gsoSize. 0 when unreadable (left to
 * the splitter, which refuses it with a counted reason).
 */
export function gsoSegmentLength(buf: Buffer, off: number, len: number, gsoSize: number): number {
  if (len < ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN) return 0;
  const type = buf.readUInt16BE(off + 12);
  const ip = off + ETH_HEADER_LEN;
  let l4: number;
  let proto: number;
  if (type === ETHERTYPE_IPV4) {
    l4 = ip + (buf[ip]! & 0x0f) * 4;
    proto = buf[ip + 9]!;
  } else if (type === ETHERTYPE_IPV6) {
    l4 = ip + IPV6_HEADER_LEN;
    proto = buf[ip + 6]!;
  } else {
    return 0;
  }
  if (l4 + 20 > off + len) return 0;
  const l4Len = proto === 6 ? (buf[l4 + 12]! >> 4) * 4 : proto === 17 ? 8 : 0;
  return l4Len === 0 ? 0 : l4 - off + l4Len + gsoSize;
}

/** Where answers go: the loop's local delivery (it tags them for a trunk port). */
export interface AnswerSink {
  copy(port: PortTable, buf: Buffer, off: number, len: number): boolean;
}

export class TooBigResponder {
  /** Answers queued; frames that got none are the caller's `oversize` drops. */
  answered = 0;
  /** Answers withheld by the rate limit. */
  rateLimited = 0;
  private readonly out = Buffer.alloc(ETH_HEADER_LEN + IPV6_ERROR_MAX);
  private readonly bucket: FloodLimiter;

  constructor(
    private readonly sink: AnswerSink,
    rate = TOO_BIG_RATE,
    burst = TOO_BIG_BURST,
    now: () => number = () => performance.now(),
  ) {
    this.bucket = new FloodLimiter({ pps: rate, burst }, now);
  }

  /**
   * Answers the untagged frame at buf[off, off+len), which came from `port` and does not fit
   * `mtu`. True when an answer was queued to the port.
   */
  answer(port: PortTable, buf: Buffer, off: number, len: number, mtu: number): boolean {
    const n = buildTooBig(buf, off, len, mtu, this.out);
    if (n === 0) return false;
    if (!this.bucket.take()) {
      this.rateLimited++;
      return false;
    }
    if (!this.sink.copy(port, this.out, 0, n)) return false;
    this.answered++;
    return true;
  }
}

/**
 * Writes into out the Ethernet frame answering the frame at buf[off, off+len) with "too big for
 * mtu" and returns its length; 0 when it gets no answer: not IP, IPv4 without DF or a later
 * fragment, a group or unspecified address on either side, or itself an ICMP error.
 */
export function buildTooBig(buf: Buffer, off: number, len: number, mtu: number, out: Buffer): number {
  if (len < ETH_HEADER_LEN + IPV4_MIN_HEADER_LEN || (buf[off + 6]! & 1) !== 0) return 0;
  const type = buf.readUInt16BE(off + 12);
  const ip = off + ETH_HEADER_LEN;
  const ipLen = len - ETH_HEADER_LEN;
  let n: number;
  if (type === ETHERTYPE_IPV4) n = buildIpv4(buf, ip, ipLen, mtu, out);
  else if (type === ETHERTYPE_IPV6) n = buildIpv6(buf, ip, ipLen, mtu, out);
  else return 0;
  if (n === 0) return 0;
  // To the sender, as if from the destination.
  buf.copy(out, 0, off + 6, off + 12);
  buf.copy(out, 6, off, off + 6);
  out.writeUInt16BE(type, 12);
  return ETH_HEADER_LEN + n;
}

/** Not a host's unicast address: 0.0.0.0/8, 224.0.0.0/4 and above (multicast, class E, broadcast). */
function ipv4NotUnicast(first: number): boolean {
  return first === 0 || first >= 224;
}

function buildIpv4(buf: Buffer, ip: number, ipLen: number, mtu: number, out: Buffer): number {
  if (ipv4Version(buf, ip) !== 4) return 0;
  const ihl = ipv4HeaderLength(buf, ip);
  if (ihl < IPV4_MIN_HEADER_LEN || ihl > ipLen) return 0;
  if (!ipv4DontFragment(buf, ip) || ipv4FragmentOffset(buf, ip) !== 0) return 0;
  if (ipv4NotUnicast(buf[ip + IPV4_SRC]!) || ipv4NotUnicast(buf[ip + IPV4_DST]!)) return 0;
  // Never an error about an error (RFC 1122 3.2.2): only echo and other queries are answered.
  if (ipv4Protocol(buf, ip) === IPPROTO_ICMP) {
    if (ipLen < ihl + 1) return 0;
    const t = icmpType(buf, ip + ihl);
    if (t === 3 || t === 4 || t === 5 || t === 11 || t === 12) return 0;
  }
  const quote = Math.min(ipLen, IPV4_ERROR_MAX - IPV4_MIN_HEADER_LEN - ICMP_HEADER_LEN);
  const o = ETH_HEADER_LEN;
  // Back to the sender, from the address it sent to; no DF, ident 0 (RFC 1812 4.3.2.5: TOS 0xc0).
  const reply = { tos: TOS_INTERNETCONTROL, ident: 0, dontFragment: false, ttl: REPLY_TTL, protocol: IPPROTO_ICMP, src: ipv4Dst(buf, ip), dst: ipv4Src(buf, ip) };
  const icmp = o + writeIpv4Header(out, o, reply, ICMP_HEADER_LEN + quote);
  out[icmp] = ICMP_DEST_UNREACH;
  out[icmp + 1] = ICMP_FRAG_NEEDED;
  out.writeUInt16BE(0, icmp + 2);
  out.writeUInt16BE(0, icmp + 4);
  out.writeUInt16BE(Math.min(mtu, 0xffff), icmp + 6);
  buf.copy(out, icmp + ICMP_HEADER_LEN, ip, ip + quote);
  out.writeUInt16BE(internetChecksum(out, icmp, ICMP_HEADER_LEN + quote), icmp + 2);
  return IPV4_MIN_HEADER_LEN + ICMP_HEADER_LEN + quote;
}

function buildIpv6(buf: Buffer, ip: number, ipLen: number, mtu: number, out: Buffer): number {
  if (ipLen < IPV6_HEADER_LEN || ipv6Version(buf, ip) !== 6) return 0;
  // Group or unspecified addresses: the answer would need a source address of our own.
  if (buf[ip + IPV6_SRC] === 0xff || buf[ip + IPV6_DST] === 0xff || isZero(buf, ip + IPV6_SRC) || isZero(buf, ip + IPV6_DST)) return 0;
  if (ipv6NextHeader(buf, ip) === IPPROTO_ICMPV6 && ipLen > IPV6_HEADER_LEN && icmpType(buf, ip + IPV6_HEADER_LEN) < 128) return 0;
  const quote = Math.min(ipLen, IPV6_ERROR_MAX - IPV6_HEADER_LEN - ICMP_HEADER_LEN);
  const o = ETH_HEADER_LEN;
  const payload = ICMP_HEADER_LEN + quote;
  const reply = { trafficClass: 0, flowLabel: 0, nextHeader: IPPROTO_ICMPV6, hopLimit: REPLY_TTL, src: buf.subarray(ip + IPV6_DST, ip + IPV6_DST + 16), dst: buf.subarray(ip + IPV6_SRC, ip + IPV6_SRC + 16) };
  const icmp = o + writeIpv6Header(out, o, reply, payload);
  out[icmp] = ICMPV6_PACKET_TOO_BIG;
  out[icmp + 1] = 0;
  out.writeUInt16BE(0, icmp + 2);
  out.writeUInt32BE(mtu, icmp + 4);
  buf.copy(out, icmp + ICMP_HEADER_LEN, ip, ip + quote);
  out.writeUInt16BE(internetChecksum(out, icmp, payload, ipv6PseudoHeaderSum(out, o, IPPROTO_ICMPV6, payload)), icmp + 2);
  return IPV6_HEADER_LEN + payload;
}

function isZero(buf: Buffer, at: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[at + i] !== 0) return false;
  return true;
}

// IPv4 and IPv6 for `decode`: header fields, lengths against what was captured, header checksum, extension headers.
import { get16 } from "../wire/bytes.js";
import { IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from "../wire/ip.js";
import {
  checkIpv4, computeIpv4Checksum, formatIpv4, ipv4Checksum, ipv4ChecksumIsValid, ipv4DontFragment, ipv4Dst,
  ipv4FragmentOffset, ipv4HeaderLength, ipv4Ident, ipv4MoreFragments, ipv4Protocol, ipv4Src, ipv4TotalLength, ipv4Ttl,
  ipv4Version, Ipv4Reason, IPV4_MIN_HEADER_LEN,
} from "../wire/ipv4.js";
import {
  checkIpv6, formatIpv6, ipv6FlowLabel, ipv6HopLimit, ipv6NextHeader, ipv6PayloadLength, ipv6Version, IPV6_DST,
  IPV6_HEADER_LEN, IPV6_SRC,
} from "../wire/ipv6.js";
import { hex16, MAX_DEPTH, tooShort, type Walk } from "./decoder.js";
import { decodeTransport } from "./transport.js";

const PROTOCOL_NAMES: Record<number, string> = {
  [IPPROTO_ICMP]: "icmp", [IPPROTO_TCP]: "tcp", [IPPROTO_UDP]: "udp", [IPPROTO_GRE]: "gre", [IPPROTO_ICMPV6]: "icmpv6",
  0: "hop-by-hop", 43: "routing", 44: "fragment", 50: "esp", 51: "ah", 59: "no next header", 60: "destination options",
};

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol] ?? `proto ${protocol}`;
}

/** Who deals with a broken header at this depth: the kernel under vxswitch (outer), or the receiving host (inner). */
export function consequence(w: Walk): string {
  return w.depth === 0 ? "the kernel drops this before vxswitch reads it" : "vxswitch forwards it as it is; the receiving host drops it";
}

export function decodeIpv4(w: Walk, off: number, end: number): void {
  const buf = w.buf;
  const len = end - off;
  const reason = checkIpv4(buf, off, len);
  if (len < IPV4_MIN_HEADER_LEN) {
    w.problem(null, tooShort("IPv4", len, IPV4_MIN_HEADER_LEN), reason ?? undefined);
    return;
  }
  const src = formatIpv4(ipv4Src(buf, off));
  const dst = formatIpv4(ipv4Dst(buf, off));
  const ihl = ipv4HeaderLength(buf, off);
  const total = ipv4TotalLength(buf, off);
  const protocol = ipv4Protocol(buf, off);
  const fragOffset = ipv4FragmentOffset(buf, off);
  const layer = w.layer("ip", off, `${src} > ${dst} ${protocolName(protocol)} ttl ${ipv4Ttl(buf, off)} id ${hex16(ipv4Ident(buf, off))} len ${total}`, {
    src, dst, protocol, ttl: ipv4Ttl(buf, off), id: ipv4Ident(buf, off), totalLength: total, headerLength: ihl,
    dontFragment: ipv4DontFragment(buf, off), moreFragments: ipv4MoreFragments(buf, off), fragmentOffset: fragOffset,
    checksum: ipv4Checksum(buf, off),
  });
  if (ipv4Version(buf, off) !== 4) {
    w.problem(layer, `IPv4: version ${ipv4Version(buf, off)} in the header of a packet sent as IPv4`, reason ?? undefined);
    return;
  }
  if (ihl < IPV4_MIN_HEADER_LEN) {
    w.problem(layer, `IPv4: header length ${ihl} (IHL ${ihl >>> 2}) is below the minimum 20`, reason ?? undefined);
    return;
  }
  if (ihl > len) {
    w.problem(layer, `IPv4: header length ${ihl} > ${len} bytes captured`, reason ?? undefined);
    return;
  }
  const valid = ipv4ChecksumIsValid(buf, off);
  layer.fields.checksumState = valid ? "ok" : "bad";
  layer.summary += valid ? " csum ok" : " csum bad";
  if (!valid) {
    w.problem(layer, `IPv4: header checksum ${hex16(ipv4Checksum(buf, off))} bad (should be ${hex16(computeIpv4Checksum(buf, off))}): ${consequence(w)}`, Ipv4Reason.badChecksum);
  }
  if (ipv4DontFragment(buf, off)) layer.summary += " DF";
  if (total < ihl) {
    w.problem(layer, `IPv4: total length ${total} < header length ${ihl}`, reason ?? undefined);
    return;
  }
  let payloadEnd = off + total;
  if (total > len) {
    w.problem(layer, `IPv4: total length ${total} > ${len} bytes captured`, reason ?? undefined);
    payloadEnd = end;
  }
  if (fragOffset !== 0 || ipv4MoreFragments(buf, off)) {
    layer.summary += ` frag offset ${fragOffset}${ipv4MoreFragments(buf, off) ? " MF" : ""}`;
    if (fragOffset !== 0) {
      w.layer("data", off + ihl, `${payloadEnd - off - ihl} bytes of a fragment`, { length: payloadEnd - off - ihl });
      return;
    }
  }
  decodeTransport(w, protocol, off, off + ihl, payloadEnd);
}

/** Extension headers walked to the transport header (RFC 8200 section 4); ESP ends the walk. */
const EXTENSION_HEADERS = new Set([0, 43, 44, 51, 60]);
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;

export function decodeIpv6(w: Walk, off: number, end: number): void {
  const buf = w.buf;
  const len = end - off;
  const reason = checkIpv6(buf, off, len);
  if (len < IPV6_HEADER_LEN) {
    w.problem(null, tooShort("IPv6", len, IPV6_HEADER_LEN), reason ?? undefined);
    return;
  }
  const src = formatIpv6(buf, off + IPV6_SRC);
  const dst = formatIpv6(buf, off + IPV6_DST);
  const payloadLength = ipv6PayloadLength(buf, off);
  const layer = w.layer("ipv6", off, `${src} > ${dst}`, {
    src, dst, nextHeader: ipv6NextHeader(buf, off), hopLimit: ipv6HopLimit(buf, off), flowLabel: ipv6FlowLabel(buf, off), payloadLength,
  });
  if (ipv6Version(buf, off) !== 6) {
    w.problem(layer, `IPv6: version ${ipv6Version(buf, off)} in the header of a packet sent as IPv6`, reason ?? undefined);
    return;
  }
  let payloadEnd = off + IPV6_HEADER_LEN + payloadLength;
  if (payloadEnd > end) {
    w.problem(layer, `IPv6: payload length ${payloadLength} > ${len - IPV6_HEADER_LEN} bytes captured after the header`, reason ?? undefined);
    payloadEnd = end;
  }
  let next = ipv6NextHeader(buf, off);
  let at = off + IPV6_HEADER_LEN;
  const chain: string[] = [];
  for (let n = 0; EXTENSION_HEADERS.has(next); n++) {
    if (at + 8 > payloadEnd || n >= MAX_DEPTH) {
      w.problem(layer, `IPv6: ${protocolName(next)} header at offset ${at - off} does not fit in the ${payloadEnd - at} bytes left`);
      return;
    }
    chain.push(protocolName(next));
    if (next === IPV6_FRAGMENT) {
      const fragOffset = get16(buf, at + 2) & 0xfff8;
      next = buf[at]!;
      at += 8;
      if (fragOffset !== 0) {
        layer.summary += ` ${chain.join(", ")} ${protocolName(next)} hlim ${ipv6HopLimit(buf, off)} len ${payloadLength} frag offset ${fragOffset}`;
        w.layer("data", at, `${payloadEnd - at} bytes of a fragment`, { length: payloadEnd - at });
        return;
      }
      continue;
    }
    const hlen = next === IPV6_AH ? (buf[at + 1]! + 2) * 4 : (buf[at + 1]! + 1) * 8;
    next = buf[at]!;
    at += hlen;
  }
  layer.summary += `${chain.length > 0 ? ` ${chain.join(", ")}` : ""} ${protocolName(next)} hlim ${ipv6HopLimit(buf, off)} flow ${hex16(ipv6FlowLabel(buf, off))} len ${payloadLength}`;
  if (at > payloadEnd) {
    w.problem(layer, `IPv6: extension headers end at offset ${at - off}, past the payload's end at ${payloadEnd - off}`);
    return;
  }
  decodeTransport(w, next, off, at, payloadEnd);
}

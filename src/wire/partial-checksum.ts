// Partial TCP/UDP checksums (CHECKSUM_PARTIAL left unfinished by a same-host sender): find and finish them.
import { foldChecksum } from "./checksum.js";
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, isVlanTpid } from "./ethernet.js";
import { IPPROTO_TCP, IPPROTO_UDP, pseudoHeaderSum } from "./ip.js";
import { completePartialChecksum } from "./virtio-net.js";

/** IPv6 extension headers walked to the transport header: hop-by-hop, routing, destination options. */
const IPV6_WALKED = new Set([0, 43, 60]);

/**
 * The offset of the TCP/UDP checksum field of the Ethernet frame buf[off, off+len) when that
 * field holds only the folded pseudo-header sum (a partial checksum), or -1. IPv4 without
 * fragments, IPv6 behind up to 8 hop-by-hop/routing/destination-options headers, up to two VLAN
 * tags. `start` receives the transport header's offset.
 */
export function partialChecksumField(buf: Buffer, off: number, len: number, start: { l4: number; end: number }): number {
  const frameEnd = off + len;
  let l3 = off + 12;
  let type = 0;
  for (let tags = 0; ; tags++) {
    if (l3 + 2 > frameEnd || tags > 2) return -1;
    type = buf.readUInt16BE(l3);
    l3 += 2;
    if (!isVlanTpid(type)) break;
    l3 += 2;
  }
  let l4: number;
  let end: number;
  let proto: number;
  if (type === ETHERTYPE_IPV4) {
    if (l3 + 20 > frameEnd || buf[l3]! >> 4 !== 4) return -1;
    const ihl = (buf[l3]! & 0x0f) * 4;
    end = l3 + buf.readUInt16BE(l3 + 2);
    if (ihl < 20 || end > frameEnd || l3 + ihl > end || (buf.readUInt16BE(l3 + 6) & 0x3fff) !== 0) return -1;
    l4 = l3 + ihl;
    proto = buf[l3 + 9]!;
  } else if (type === ETHERTYPE_IPV6) {
    if (l3 + 40 > frameEnd || buf[l3]! >> 4 !== 6) return -1;
    end = l3 + 40 + buf.readUInt16BE(l3 + 4);
    if (end > frameEnd) return -1;
    proto = buf[l3 + 6]!;
    l4 = l3 + 40;
    for (let hops = 0; hops < 8 && IPV6_WALKED.has(proto); hops++) {
      if (l4 + 8 > end) return -1;
      proto = buf[l4]!;
      l4 += (buf[l4 + 1]! + 1) * 8;
    }
  } else {
    return -1;
  }
  const at = proto === IPPROTO_TCP ? 16 : proto === IPPROTO_UDP ? 6 : -1;
  if (at < 0 || l4 + (proto === IPPROTO_TCP ? 20 : 8) > end) return -1;
  if (buf.readUInt16BE(l4 + at) !== foldChecksum(pseudoHeaderSum(buf, l3, proto, end - l4))) return -1;
  start.l4 = l4;
  start.end = end;
  return l4 + at;
}

const scratch = { l4: 0, end: 0 };

/**
 * Finishes a partial TCP/UDP checksum in place (what the kernel's skb_checksum_help does for
 * CHECKSUM_PARTIAL): the field holds the pseudo-header sum, so the sum over the transport
 * header and data, field included, is the complete checksum. True when it did. A complete
 * checksum equal to its pseudo-header sum is rewritten with the same value (docs/INTERNALS.md).
 */
export function finishPartialChecksum(buf: Buffer, off: number, len: number): boolean {
  const field = partialChecksumField(buf, off, len, scratch);
  if (field < 0) return false;
  completePartialChecksum(buf, off, scratch.end - off, scratch.l4 - off, field - scratch.l4);
  return true;
}

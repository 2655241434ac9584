// `vxswitch decode`'s entry points: where a packet starts (link type or a guess from its bytes), and the walk over it.
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethType, isVlanTpid } from "../wire/ethernet.js";
import { ipVersion } from "../wire/ip.js";
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW,
} from "../wire/pcap.js";
import { VXLAN_FLAG_I, VXLAN_HEADER_LEN } from "../wire/vxlan.js";
import { DEFAULT_DECODE_OPTIONS, Walk, type DecodeOptions } from "./decoder.js";
import { decodeCooked, decodeEthernet } from "./link.js";
import { decodeIpv4, decodeIpv6 } from "./network.js";
import { decodeGre, decodeVxlan } from "./tunnel.js";
import type { DecodedPacket, LinkStart } from "./packet.js";

/** Where a capture file's packets start, by its link type; undefined for link types decode does not read. */
export function startOfLinktype(linktype: number): LinkStart | undefined {
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      return "eth";
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case 12: // DLT_RAW's number on some BSDs, written by older libpcap
    case 14:
      return "ip";
    case LINKTYPE_LINUX_SLL:
      return "sll";
    case LINKTYPE_LINUX_SLL2:
      return "sll2";
    default:
      return undefined;
  }
}

/**
 * Where bare bytes (hex) start, in this order:
 * 1. Ethernet, when bytes 12-13 hold IPv4, IPv6, ARP or a VLAN TPID (in an IPv4 header they are
 *    the source address's first two bytes, which rarely spell one: 8.0.x.x would, 134.221.x.x too);
 * 2. IP, when the first nibble is 4 (with IHL >= 5) or 6;
 * 3. a bare VXLAN header, when the I flag is set and the reserved bytes are zero;
 * 4. Ethernet otherwise, so its problems say why nothing fit.
 */
export function guessStart(buf: Buffer): LinkStart {
  if (buf.length >= 14) {
    const type = ethType(buf, 0);
    if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 || type === ETHERTYPE_ARP || isVlanTpid(type)) return "eth";
  }
  if (buf.length >= 1) {
    const version = ipVersion(buf, 0);
    if ((version === 4 && (buf[0]! & 0x0f) >= 5) || version === 6) return "ip";
  }
  if (buf.length >= VXLAN_HEADER_LEN && buf[0] === VXLAN_FLAG_I && buf[1] === 0 && buf[2] === 0 && buf[3] === 0 && buf[7] === 0) return "vxlan";
  return "eth";
}

export interface PacketMeta {
  /** 1-based position in the input. */
  number: number;
  /** Length on the wire, when a capture cut the packet. */
  originalLength?: number;
  time?: number;
}

/** Decodes one packet; never throws: whatever the bytes, the answer is layers and problems. */
export function decodePacket(data: Buffer, start: LinkStart, meta: PacketMeta, options: DecodeOptions = DEFAULT_DECODE_OPTIONS): DecodedPacket {
  const w = new Walk(data, options);
  const original = meta.originalLength ?? data.length;
  if (original > data.length) {
    w.problem(null, `capture: ${data.length} of ${original} bytes captured (snaplen): length and checksum problems past byte ${data.length} come from the cut`);
  }
  const end = data.length;
  switch (start) {
    case "eth":
      decodeEthernet(w, 0, end);
      break;
    case "ip":
      decodeIp(w, end);
      break;
    case "sll":
    case "sll2":
      decodeCooked(w, 0, end, start === "sll2");
      break;
    case "vxlan":
      decodeVxlan(w, 0, end);
      break;
    case "gre":
      decodeGre(w, 0, end);
      break;
  }
  const packet: DecodedPacket = { number: meta.number, start, capturedLength: data.length, originalLength: original, layers: w.layers, problems: w.problems };
  if (meta.time !== undefined) packet.time = meta.time;
  return packet;
}

function decodeIp(w: Walk, end: number): void {
  if (end === 0) {
    w.problem(null, "IP: empty packet");
    return;
  }
  const version = ipVersion(w.buf, 0);
  if (version === 4) decodeIpv4(w, 0, end);
  else if (version === 6) decodeIpv6(w, 0, end);
  else w.problem(null, `IP: version ${version} in the first byte (0x${w.buf[0]!.toString(16).padStart(2, "0")}): neither 4 nor 6`);
}

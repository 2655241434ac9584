// Link layers for `decode`: Ethernet with any number of 802.1Q/802.1ad tags, Linux cooked headers, ARP.
import {
  ARP_LEN, ArpReason, arpOperation, arpSenderIp, arpSenderMac, arpTargetIp, arpTargetMac, checkArp, formatArp,
} from "../wire/arp.js";
import { get16 } from "../wire/bytes.js";
import {
  checkEthernet, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_TEB, ethDst, ethSrc, ethType,
  isVlanTpid, TPID_8021AD, vlanDei, vlanPcp, vlanVid, VLAN_TAG_LEN,
} from "../wire/ethernet.js";
import { formatIpv4 } from "../wire/ipv4.js";
import { formatMac } from "../wire/mac.js";
import { hex16, MAX_DEPTH, tooShort, type Walk } from "./decoder.js";
import { decodeIpv4, decodeIpv6 } from "./network.js";

const ETHERTYPE_NAMES: Record<number, string> = {
  [ETHERTYPE_IPV4]: "IPv4", [ETHERTYPE_IPV6]: "IPv6", [ETHERTYPE_ARP]: "ARP", [ETHERTYPE_TEB]: "TEB", 0x8100: "802.1Q",
  0x88a8: "802.1ad", 0x88cc: "LLDP", 0x8847: "MPLS", 0x8863: "PPPoE discovery", 0x8864: "PPPoE",
};

export function ethertypeName(type: number): string {
  return ETHERTYPE_NAMES[type] ?? hex16(type);
}

/** The Ethernet frame at buf[off, end): header, tags, then its payload by ethertype. */
export function decodeEthernet(w: Walk, off: number, end: number): void {
  const buf = w.buf;
  const reason = checkEthernet(buf, off, end - off);
  if (reason !== null && end - off < ETH_HEADER_LEN) {
    w.problem(null, tooShort("Ethernet", end - off, ETH_HEADER_LEN), reason);
    return;
  }
  const dst = formatMac(ethDst(buf, off));
  const src = formatMac(ethSrc(buf, off));
  const eth = w.layer("eth", off, `${src} > ${dst}`, { src, dst, type: ethType(buf, off) });
  // Tags are walked one after another (QinQ: 802.1ad outside, 802.1Q inside); each moves the type field 4 bytes on.
  let at = off;
  let tags = 0;
  let last = eth;
  while (isVlanTpid(ethType(buf, at))) {
    const tpid = ethType(buf, at);
    const kind = tpid === TPID_8021AD ? "802.1ad" : "802.1Q";
    if (at + ETH_HEADER_LEN + VLAN_TAG_LEN > end) {
      w.problem(eth, `${kind}: the tag at offset ${at - off + 12} and the ethertype after it need ${at - off + ETH_HEADER_LEN + VLAN_TAG_LEN} bytes, ${end - off} captured`,
        tags === 0 ? reason ?? undefined : undefined);
      return;
    }
    if (++tags > MAX_DEPTH) {
      w.problem(eth, `802.1Q: more than ${MAX_DEPTH} tags; decoding stops`);
      return;
    }
    const vid = vlanVid(buf, at);
    const pcp = vlanPcp(buf, at);
    const dei = vlanDei(buf, at);
    last = w.layer("vlan", at + 12, `${kind} vid ${vid} pcp ${pcp}${dei ? " dei" : ""}`, { tpid, vid, pcp, dei });
    at += VLAN_TAG_LEN;
  }
  const type = ethType(buf, at);
  // The payload's type goes on the line of the header that carries it (the last tag, with QinQ).
  last.summary += ` ${ethertypeName(type)}`;
  decodeEthertype(w, type, at + ETH_HEADER_LEN, end);
}

/** Linux cooked capture (tcpdump -i any): SLL is 16 bytes with the protocol at 14, SLL2 20 bytes with it at 0. */
export function decodeCooked(w: Walk, off: number, end: number, v2: boolean): void {
  const need = v2 ? 20 : 16;
  if (end - off < need) {
    w.problem(null, tooShort(v2 ? "Linux cooked v2" : "Linux cooked", end - off, need));
    return;
  }
  const type = get16(w.buf, off + (v2 ? 0 : 14));
  w.layer("sll", off, ethertypeName(type), { type });
  decodeEthertype(w, type, off + need, end);
}

export function decodeEthertype(w: Walk, type: number, off: number, end: number): void {
  if (type === ETHERTYPE_IPV4) decodeIpv4(w, off, end);
  else if (type === ETHERTYPE_IPV6) decodeIpv6(w, off, end);
  else if (type === ETHERTYPE_ARP) decodeArp(w, off, end);
  else if (type === ETHERTYPE_TEB) decodeEthernet(w, off, end);
  else if (end > off) w.layer("data", off, `${end - off} bytes of ethertype ${hex16(type)}`, { length: end - off });
}

function decodeArp(w: Walk, off: number, end: number): void {
  const reason = checkArp(w.buf, off, end - off);
  if (reason === ArpReason.truncated) {
    w.problem(null, tooShort("ARP", end - off, ARP_LEN), reason);
    return;
  }
  if (reason !== null) {
    const buf = w.buf;
    const layer = w.layer("arp", off, "not Ethernet/IPv4", { htype: get16(buf, off), ptype: get16(buf, off + 2) });
    w.problem(layer, `ARP: hardware type ${get16(buf, off)} length ${buf[off + 4]}, protocol ${hex16(get16(buf, off + 2))} length ${buf[off + 5]}: only Ethernet (1, 6) / IPv4 (0x0800, 4) is decoded`, reason);
    return;
  }
  const buf = w.buf;
  w.layer("arp", off, formatArp(buf, off), {
    operation: arpOperation(buf, off), senderMac: formatMac(arpSenderMac(buf, off)), senderIp: formatIpv4(arpSenderIp(buf, off)),
    targetMac: formatMac(arpTargetMac(buf, off)), targetIp: formatIpv4(arpTargetIp(buf, off)),
  });
}

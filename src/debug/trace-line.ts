// One trace line: where a frame came from, what it is, and what the switch did with it.
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, arpOperation, arpTargetIp } from "../wire/arp.js";
import {
  ETH_HEADER_LEN, ETH_VLAN_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethDst, ethSrc, ethType, TPID_8021Q,
  VLAN_TAG_LEN, vlanVid,
} from "../wire/ethernet.js";
import { formatIpv4, IPV4_MIN_HEADER_LEN, ipv4Dst, ipv4Protocol, ipv4Src } from "../wire/ipv4.js";
import { formatIpv6, IPV6_DST, IPV6_HEADER_LEN, IPV6_SRC, ipv6NextHeader } from "../wire/ipv6.js";
import { formatMac } from "../wire/mac.js";
import type { DropReasonName } from "../dataplane/stats.js";
import { ethertypeName } from "./link.js";
import { protocolName } from "./network.js";

/** What each drop reason means, in the words a trace line uses. */
export const DROP_WORDS: Record<DropReasonName, string> = {
  runt: "runt (shorter than its headers)",
  vxlanFlagI: "VXLAN I flag clear",
  unknownVni: "unknown VNI",
  unknownPeer: "unknown peer",
  splitHorizon: "split horizon (from a tunnel, destination behind another tunnel)",
  hairpin: "hairpin (destination is behind the port it came from)",
  noTarget: "no target (nobody else in the segment)",
  txFull: "send queue full",
  txError: "send failed",
  greHeader: "bad GRE header",
  greChecksum: "GRE checksum wrong",
  untagged: "untagged frame on a trunk",
  unmappedVlan: "VLAN not mapped to a segment",
  oversize: "larger than the segment's MTU",
  badOffload: "virtio-net header does not match the frame",
  serviceTag: "802.1ad service tag on a trunk",
  tooBig: "too big for the overlay (answered with ICMP fragmentation needed / packet too big)",
  moveRefused: "a tunnel claimed a MAC in use on a local port (move refused)",
  floodLimited: "flood over the segment's floodRateLimit",
  authFailed: "encrypted packet did not verify (forged, corrupted, another key or sender)",
  replayed: "encrypted packet replayed or behind the replay window",
  truncated: "encrypted packet shorter than its headers and tag",
  staleKey: "encrypted packet under an old or unasked-for key epoch",
  cleartextRefused: "clear packet for an encrypted segment",
  notEncrypted: "encrypted packet for a segment not encrypted here",
};

/** "aa:..:01 > ff:..:ff ARP" or "... vlan 100 IPv4 10.0.0.1 > 10.0.0.2 icmp" from the first bytes of a frame. */
export function frameSummary(buf: Buffer, off: number, len: number): string {
  if (len < ETH_HEADER_LEN) return `runt frame of ${len} bytes`;
  const macs = `${formatMac(ethSrc(buf, off))} > ${formatMac(ethDst(buf, off))}`;
  // With a tag the type field sits 4 bytes on: reading at `at` as if it were the frame start.
  let at = off;
  let vlan = "";
  if (ethType(buf, at) === TPID_8021Q && len >= ETH_VLAN_HEADER_LEN) {
    vlan = ` vlan ${vlanVid(buf, at)}`;
    at += VLAN_TAG_LEN;
  }
  const type = ethType(buf, at);
  const l3 = at + ETH_HEADER_LEN;
  const have = off + len - l3;
  let what = ethertypeName(type);
  if (type === ETHERTYPE_IPV4 && have >= IPV4_MIN_HEADER_LEN) {
    what += ` ${formatIpv4(ipv4Src(buf, l3))} > ${formatIpv4(ipv4Dst(buf, l3))} ${protocolName(ipv4Protocol(buf, l3))}`;
  } else if (type === ETHERTYPE_IPV6 && have >= IPV6_HEADER_LEN) {
    what += ` ${formatIpv6(buf, l3 + IPV6_SRC)} > ${formatIpv6(buf, l3 + IPV6_DST)} ${protocolName(ipv6NextHeader(buf, l3))}`;
  } else if (type === ETHERTYPE_ARP && have >= ARP_LEN) {
    const op = arpOperation(buf, l3);
    what += ` ${op === ARP_REQUEST ? "who-has" : op === ARP_REPLY ? "is-at" : `op ${op}`} ${formatIpv4(arpTargetIp(buf, l3))}`;
  }
  return `${macs}${vlan} ${what}`;
}

export interface TraceLineParts {
  direction: "egress" | "ingress";
  /** "tap vxtap42" or the peer's address. */
  from: string;
  /** Segment id; -1 when not known (a frame dropped before its segment was found). */
  vni: number;
  summary: string;
  /** GRO: packets merged into this frame (1 otherwise). */
  packets: number;
  outcome: string;
}

/** "rx tap vxtap42 vni 42 aa:.. > ff:.. ARP  flood -> 198.18.0.2, 198.18.0.3" */
export function traceLine(p: TraceLineParts): string {
  const vni = p.vni >= 0 ? ` vni ${p.vni}` : "";
  const merged = p.packets > 1 ? ` (${p.packets} packets)` : "";
  return `rx ${p.from}${vni} ${p.summary}${merged}  ${p.outcome}`;
}

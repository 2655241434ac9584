// One trace line: where a frame came from, what it is, and what the switch did with it.
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, TPID_8021Q } from "../wire/ethernet.js";
import { formatIpv4 } from "../wire/ipv4.js";
import { formatIpv6 } from "../wire/ipv6.js";
import { formatMac, readMac } from "../wire/mac.js";
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
  if (len < 14) return `runt frame of ${len} bytes`;
  const macs = `${formatMac(readMac(buf, off + 6))} > ${formatMac(readMac(buf, off))}`;
  let at = off + 12;
  let vlan = "";
  if (buf.readUInt16BE(at) === TPID_8021Q && len >= 18) {
    vlan = ` vlan ${buf.readUInt16BE(at + 2) & 0x0fff}`;
    at += 4;
  }
  const type = buf.readUInt16BE(at);
  const l3 = at + 2;
  const have = off + len - l3;
  let what = ethertypeName(type);
  if (type === ETHERTYPE_IPV4 && have >= 20) {
    what += ` ${formatIpv4(buf.readUInt32BE(l3 + 12))} > ${formatIpv4(buf.readUInt32BE(l3 + 16))} ${protocolName(buf[l3 + 9]!)}`;
  } else if (type === ETHERTYPE_IPV6 && have >= 40) {
    what += ` ${formatIpv6(buf, l3 + 8)} > ${formatIpv6(buf, l3 + 24)} ${protocolName(buf[l3 + 6]!)}`;
  } else if (type === ETHERTYPE_ARP && have >= 28) {
    const op = buf.readUInt16BE(l3 + 6);
    what += ` ${op === 1 ? "who-has" : op === 2 ? "is-at" : `op ${op}`} ${formatIpv4(buf.readUInt32BE(l3 + 24))}`;
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

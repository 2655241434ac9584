// VXLAN and GRE for `decode`, judged by the dataplane's own decapsulation (the Encapsulation the ingress loop calls).
import { dropOf } from "../dataplane/encap.js";
import { GreEncap } from "../dataplane/gre-encap.js";
import { DROP_REASON_NAMES, type DropReasonName } from "../dataplane/stats.js";
import { VxlanEncap } from "../dataplane/vxlan-encap.js";
import { checksumAdd, finishChecksum } from "../wire/checksum.js";
import { ETH_HEADER_LEN } from "../wire/ethernet.js";
import {
  checkGre, checkGreTeb, GRE_BASE_LEN, GRE_FLAG_C, GRE_FLAG_K, GRE_FLAG_R, GRE_FLAG_S, GRE_FLAG_STRICT, GRE_PROTO_TEB,
  greChecksum, greFlags, greHeaderLength, greKey, greProtocol, GreReason, greSeq, greVersion,
} from "../wire/gre.js";
import { checkVxlan, VXLAN_FLAG_I, VXLAN_HEADER_LEN, vxlanFlags, vxlanVni, VxlanReason } from "../wire/vxlan.js";
import { dropsIt, hex16, hex8, MAX_DEPTH, tooShort, type Walk } from "./decoder.js";
import { GRE_PROTO_SEALED, SEALED_HEADER_LEN, SEALED_TAG_LEN, sealedCounter, sealedEpoch, VXLAN_FLAGS_SEALED } from "../wire/sealed.js";
import { decodeEthernet, decodeEthertype, ethertypeName } from "./link.js";

// Decapsulation only reads the packet and sets decapId: one instance each serves every decode.
const vxlan = new VxlanEncap();
const gre = new GreEncap({ checksum: false, sequence: false });

/** What the ingress loop's decap does with these bytes: undefined when it accepts them. */
function dataplaneDrop(result: number): DropReasonName | undefined {
  return result < 0 ? DROP_REASON_NAMES[dropOf(result)] : undefined;
}

/** Descends one tunnel level; false (and a problem) when the nesting is too deep to go on. */
function enterTunnel(w: Walk): boolean {
  if (++w.depth <= MAX_DEPTH) return true;
  w.problem(null, `more than ${MAX_DEPTH} tunnels inside each other; decoding stops`);
  return false;
}

export function decodeVxlan(w: Walk, off: number, end: number): void {
  const buf = w.buf;
  const len = end - off;
  const reason = checkVxlan(buf, off, len);
  const drop = dataplaneDrop(vxlan.decap(buf, off, len));
  if (len < VXLAN_HEADER_LEN) {
    w.problem(null, `${tooShort("VXLAN", len, VXLAN_HEADER_LEN)}: ${dropsIt(drop ?? "runt")}`, reason ?? undefined, drop);
    return;
  }
  const flags = vxlanFlags(buf, off);
  const vni = vxlanVni(buf, off);
  if (flags === VXLAN_FLAGS_SEALED) {
    w.layer("vxlan", off, `vni ${vni} flags ${hex8(flags)} (sealed)`, { vni, flags });
    decodeSealed(w, off + VXLAN_HEADER_LEN, end);
    return;
  }
  const reserved = (flags & ~VXLAN_FLAG_I) !== 0 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0 || buf[off + 7] !== 0;
  const layer = w.layer("vxlan", off, `vni ${vni} flags ${hex8(flags)}${reserved ? " (reserved bits set: ignored)" : ""}`, { vni, flags });
  if (drop === "runt") {
    w.problem(layer, `VXLAN: ${len - VXLAN_HEADER_LEN} bytes after the header, an inner Ethernet header needs ${ETH_HEADER_LEN}: ${dropsIt(drop)}`, undefined, drop);
  }
  if (reason === VxlanReason.iFlagClear) {
    // Under a runt drop the I flag is a second finding, not the counted one.
    const counted = drop === "vxlanFlagI" ? drop : undefined;
    w.problem(layer, `VXLAN: I flag clear (flags ${hex8(flags)})${counted !== undefined ? `: ${dropsIt(counted)}` : ""}`, reason, counted);
  }
  if (enterTunnel(w)) decodeEthernet(w, off + VXLAN_HEADER_LEN, end);
}

/** A sealed payload (docs/ENCRYPTION.md): its epoch and counter; the frame inside is not readable here. */
function decodeSealed(w: Walk, off: number, end: number): void {
  const len = end - off;
  if (len < SEALED_HEADER_LEN + SEALED_TAG_LEN) {
    w.problem(null, `${tooShort("sealed payload", len, SEALED_HEADER_LEN + SEALED_TAG_LEN)}: ${dropsIt("truncated")}`, undefined, "truncated");
    return;
  }
  const epoch = sealedEpoch(w.buf, off);
  const counter = sealedCounter(w.buf, off);
  w.layer("sealed", off, `epoch ${epoch} counter ${counter}, ${len - SEALED_HEADER_LEN - SEALED_TAG_LEN} bytes sealed + ${SEALED_TAG_LEN}-byte tag`, { epoch, counter: counter.toString() });
}

function greFlagText(flags: number): string {
  const names: [number, string][] = [[GRE_FLAG_C, "C"], [GRE_FLAG_R, "R"], [GRE_FLAG_K, "K"], [GRE_FLAG_S, "S"], [GRE_FLAG_STRICT, "s"]];
  const set = names.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  return set.length > 0 ? set.join(",") : "none";
}

export function decodeGre(w: Walk, off: number, end: number): void {
  const buf = w.buf;
  const len = end - off;
  const reason = checkGreTeb(buf, off, len);
  const drop = dataplaneDrop(gre.decap(buf, off, len));
  if (len < GRE_BASE_LEN) {
    w.problem(null, `${tooShort("GRE", len, GRE_BASE_LEN)}: ${dropsIt(drop ?? "runt")}`, reason ?? undefined, drop);
    return;
  }
  const flags = greFlags(buf, off);
  const protocol = greProtocol(buf, off);
  const hlen = greHeaderLength(flags);
  const fits = hlen <= len;
  const key = fits && (flags & GRE_FLAG_K) !== 0 ? greKey(buf, off) : null;
  const seq = fits && (flags & GRE_FLAG_S) !== 0 ? greSeq(buf, off) : null;
  const layer = w.layer("gre", off, `flags ${greFlagText(flags)} proto ${hex16(protocol)} (${ethertypeName(protocol)}) ${key === null ? "no key (segment 0)" : `key ${key}`}${seq === null ? "" : ` seq ${seq}`}`, {
    flags, version: greVersion(buf, off), protocol, key, seq, checksum: fits && (flags & GRE_FLAG_C) !== 0 ? greChecksum(buf, off) : null,
  });
  if (fits && (flags & GRE_FLAG_C) !== 0) layer.summary += reason === GreReason.badChecksum ? " csum bad" : " csum ok";
  if (fits && protocol === GRE_PROTO_SEALED) {
    decodeSealed(w, off + hlen, end);
    return;
  }
  const dropText = drop === undefined ? "" : `: ${dropsIt(drop)}`;
  if (reason === GreReason.badVersion) {
    w.problem(layer, `GRE: version ${greVersion(buf, off)}, only 0 is GRE (1 is PPTP's enhanced GRE)${dropText}`, reason, drop);
    return;
  }
  if (reason === GreReason.unsupportedFlags) {
    w.problem(layer, `GRE: routing present (flags ${hex16(flags)}: R or strict source route), which RFC 2784 removed${dropText}`, reason, drop);
    return;
  }
  if (reason === GreReason.truncated) {
    w.problem(layer, `GRE: flags ${greFlagText(flags)} make a ${hlen}-byte header, ${len} bytes captured${dropText}`, reason, drop);
    return;
  }
  if (reason === GreReason.badChecksum) {
    const should = finishChecksum(checksumAdd(buf, off + 6, len - 6, checksumAdd(buf, off, 4)));
    w.problem(layer, `GRE: checksum ${hex16(greChecksum(buf, off))} bad (should be ${hex16(should)})${dropText}`, reason, drop);
  } else if (reason === GreReason.notTeb) {
    w.problem(layer, `GRE: protocol ${hex16(protocol)} (${ethertypeName(protocol)}), not ${hex16(GRE_PROTO_TEB)} (Transparent Ethernet Bridging)${dropText}`, reason, drop);
  } else if (drop === "runt") {
    w.problem(layer, `GRE: ${len - hlen} bytes after the header, an inner Ethernet header needs ${ETH_HEADER_LEN}${dropText}`, undefined, drop);
  }
  if (checkGre(buf, off, len) === GreReason.truncated || !enterTunnel(w)) return;
  // The protocol type is an ethertype: 0x6558 is an Ethernet frame, 0x0800 an IPv4 packet.
  decodeEthertype(w, protocol, off + hlen, end);
}

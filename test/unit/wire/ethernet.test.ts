import { describe, expect, it } from "vitest";
import {
  checkEthernet, ETH_HEADER_LEN, ethDst, EthernetReason, EthernetRepr, EthernetView, ethHeaderLength, ethIsTagged,
  ethPayloadType, ethSrc, ethType, ETHERTYPE_ARP, ETHERTYPE_IPV4, insertVlanTag, makeTci, setVlanDei, setVlanPcp,
  setVlanVid, stripVlanTag, tciDei, tciPcp, tciVid, TPID_8021AD, TPID_8021Q, vlanDei, vlanPcp, vlanTci, vlanVid,
  writeEthernetHeader,
} from "../../../src/wire/ethernet.js";
import { WireError } from "../../../src/wire/error.js";
import { formatMac, MAC_BROADCAST } from "../../../src/wire/mac.js";
import { QINQ_ARP, VXLAN6_TAGGED, VXLAN_ARP } from "./vectors.js";

// Inner frames inside the tshark-verified vectors.
const ARP_FRAME = 50; // in VXLAN_ARP, 42 bytes
const TAGGED_FRAME = 70; // in VXLAN6_TAGGED, 54 bytes: 8100 a064 0800

describe("Ethernet header", () => {
  it("reads dst, src and type of an untagged frame", () => {
    expect(ethDst(VXLAN_ARP, ARP_FRAME)).toBe(MAC_BROADCAST);
    expect(formatMac(ethSrc(VXLAN_ARP, ARP_FRAME))).toBe("52:54:00:12:34:56");
    expect(ethType(VXLAN_ARP, ARP_FRAME)).toBe(ETHERTYPE_ARP);
    expect(ethIsTagged(VXLAN_ARP, ARP_FRAME)).toBe(false);
    expect(ethHeaderLength(VXLAN_ARP, ARP_FRAME)).toBe(14);
    expect(ethPayloadType(VXLAN_ARP, ARP_FRAME)).toBe(ETHERTYPE_ARP);
  });

  it("rejects a frame shorter than 14 bytes, and a tagged one shorter than 18", () => {
    expect(checkEthernet(VXLAN_ARP, ARP_FRAME, 42)).toBeNull();
    expect(checkEthernet(VXLAN_ARP, ARP_FRAME, 13)).toBe(EthernetReason.truncated);
    expect(checkEthernet(VXLAN6_TAGGED, TAGGED_FRAME, 17)).toBe(EthernetReason.vlanTruncated);
    expect(checkEthernet(VXLAN6_TAGGED, TAGGED_FRAME, 18)).toBeNull();
  });

  it("rejects a length that runs past the buffer", () => {
    expect(checkEthernet(VXLAN_ARP, ARP_FRAME, 43)).toBe(EthernetReason.truncated);
  });

  it("writes a header that reads back", () => {
    const buf = Buffer.alloc(14);
    expect(writeEthernetHeader(buf, 0, MAC_BROADCAST, 0x5254_0012_3456, ETHERTYPE_ARP)).toBe(14);
    expect(buf).toEqual(VXLAN_ARP.subarray(ARP_FRAME, ARP_FRAME + 14));
  });
});

describe("802.1Q / 802.1ad tag", () => {
  it("reads PCP 5, DEI 0, VID 100 from the 802.1Q tag tshark decoded", () => {
    expect(ethType(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(TPID_8021Q);
    expect(ethIsTagged(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(true);
    expect(vlanTci(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(0xa064);
    expect(vlanPcp(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(5);
    expect(vlanDei(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(false);
    expect(vlanVid(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(100);
    expect(ethPayloadType(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(ETHERTYPE_IPV4);
    expect(ethHeaderLength(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(18);
  });

  it("recognises an 802.1ad (0x88a8) tag and looks past it", () => {
    expect(ethType(QINQ_ARP, 0)).toBe(TPID_8021AD);
    expect(ethIsTagged(QINQ_ARP, 0)).toBe(true);
    expect([vlanPcp(QINQ_ARP, 0), vlanDei(QINQ_ARP, 0), vlanVid(QINQ_ARP, 0)]).toEqual([3, true, 200]);
    expect(ethPayloadType(QINQ_ARP, 0)).toBe(ETHERTYPE_ARP);
  });

  it("rewrites the VID keeping PCP and DEI, and each of them alone", () => {
    const buf = Buffer.from(QINQ_ARP);
    setVlanVid(buf, 0, 4094);
    expect([vlanPcp(buf, 0), vlanDei(buf, 0), vlanVid(buf, 0)]).toEqual([3, true, 4094]);
    setVlanPcp(buf, 0, 7);
    setVlanDei(buf, 0, false);
    expect([vlanPcp(buf, 0), vlanDei(buf, 0), vlanVid(buf, 0)]).toEqual([7, false, 4094]);
  });

  it("packs and unpacks a TCI", () => {
    const tci = makeTci(5, false, 100);
    expect(tci).toBe(0xa064);
    expect([tciPcp(tci), tciDei(tci), tciVid(tci)]).toEqual([5, false, 100]);
    expect(makeTci(3, true, 200)).toBe(0x70c8);
  });

  it("strips a tag in place by moving the MACs 4 bytes forward", () => {
    const slab = Buffer.alloc(64 + 54);
    VXLAN6_TAGGED.copy(slab, 64, TAGGED_FRAME);
    const start = stripVlanTag(slab, 64);
    expect(start).toBe(68);
    // What is left is exactly the untagged ICMP frame GRE_ICMP carried (same inner frame).
    expect(slab.subarray(start, start + 50).toString("hex")).toBe(
      "525400abcdef5254001234560800" + VXLAN6_TAGGED.subarray(TAGGED_FRAME + 18).toString("hex"));
  });

  it("inserts a tag into the headroom by moving the MACs 4 bytes back", () => {
    const slab = Buffer.alloc(64 + 50);
    const untagged = Buffer.concat([VXLAN6_TAGGED.subarray(TAGGED_FRAME, TAGGED_FRAME + 12), Buffer.from("0800", "hex"),
      VXLAN6_TAGGED.subarray(TAGGED_FRAME + 18)]);
    untagged.copy(slab, 64);
    const start = insertVlanTag(slab, 64, makeTci(5, false, 100));
    expect(start).toBe(60);
    expect(slab.subarray(60, 60 + 54)).toEqual(VXLAN6_TAGGED.subarray(TAGGED_FRAME));
  });

  it("inserts an 802.1ad tag when asked, and a bare VID as a TCI", () => {
    const slab = Buffer.alloc(8 + 42);
    VXLAN_ARP.copy(slab, 8, ARP_FRAME);
    const start = insertVlanTag(slab, 8, makeTci(3, true, 200), TPID_8021AD);
    expect(slab.subarray(start)).toEqual(QINQ_ARP);
    const again = insertVlanTag(Buffer.from(slab), 8, 42);
    expect(again).toBe(4);
  });

  it("round-trips strip and insert", () => {
    const slab = Buffer.alloc(4 + QINQ_ARP.length);
    QINQ_ARP.copy(slab, 4);
    const untagged = stripVlanTag(slab, 4);
    const tagged = insertVlanTag(slab, untagged, makeTci(3, true, 200), TPID_8021AD);
    expect(tagged).toBe(4);
    expect(slab.subarray(4)).toEqual(QINQ_ARP);
  });

  it("refuses to insert a tag without 4 bytes of headroom", () => {
    expect(() => insertVlanTag(Buffer.from(VXLAN_ARP.subarray(ARP_FRAME)), 2, 100)).toThrow(RangeError);
  });
});

describe("EthernetView and EthernetRepr", () => {
  it("exposes the fields through a view", () => {
    const view = new EthernetView(VXLAN6_TAGGED, TAGGED_FRAME, 54);
    expect(view.check()).toBeNull();
    expect(view.tagged).toBe(true);
    expect(view.vid).toBe(100);
    expect(view.payloadType).toBe(ETHERTYPE_IPV4);
    expect(view.payloadOffset).toBe(TAGGED_FRAME + 18);
    expect(view.payloadLength).toBe(36);
  });

  it("throws a WireError with the reason from a checked constructor", () => {
    expect(() => EthernetView.checked(VXLAN_ARP, 0, 10)).toThrow(WireError);
    expect(() => EthernetRepr.parse(VXLAN_ARP, 0, 10)).toThrow("malformed Ethernet frame at offset 0: eth-truncated");
  });

  it("parses a tagged header and emits the same bytes", () => {
    const repr = EthernetRepr.parse(VXLAN6_TAGGED, TAGGED_FRAME, 54);
    expect(repr).toEqual({ dst: 0x5254_00ab_cdef, src: 0x5254_0012_3456, vlan: { tpid: TPID_8021Q, pcp: 5, dei: false, vid: 100 },
      etherType: ETHERTYPE_IPV4 });
    const out = Buffer.alloc(18);
    expect(EthernetRepr.emit(repr, out, 0)).toBe(18);
    expect(out).toEqual(VXLAN6_TAGGED.subarray(TAGGED_FRAME, TAGGED_FRAME + 18));
    expect(EthernetRepr.format(repr)).toBe("52:54:00:12:34:56 > 52:54:00:ab:cd:ef vlan 100 p 5 ethertype 0x0800");
  });

  it("parses an untagged header and emits the same bytes", () => {
    const repr = EthernetRepr.parse(VXLAN_ARP, ARP_FRAME, 42);
    expect(repr.vlan).toBeNull();
    const out = Buffer.alloc(ETH_HEADER_LEN);
    expect(EthernetRepr.emit(repr, out, 0)).toBe(ETH_HEADER_LEN);
    expect(out).toEqual(VXLAN_ARP.subarray(ARP_FRAME, ARP_FRAME + 14));
  });
});

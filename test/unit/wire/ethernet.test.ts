import { describe, expect, it } from "vitest";
import {
  checkEthernet, ethDst, EthernetReason, ethSrc, ethType, ETHERTYPE_ARP, ETHERTYPE_IPV4, insertVlanTag, isVlanTpid,
  stripVlanTag, TPID_8021AD, TPID_8021Q, VLAN_INNER_TYPE, vlanDei, vlanPcp, vlanVid,
} from "../../../src/wire/ethernet.js";
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
    expect(isVlanTpid(ethType(VXLAN_ARP, ARP_FRAME))).toBe(false);
  });

  it("rejects a frame shorter than 14 bytes, and a tagged one shorter than 18", () => {
    expect(checkEthernet(VXLAN_ARP, ARP_FRAME, 42)).toBeNull();
    expect(checkEthernet(VXLAN_ARP, ARP_FRAME, 13)).toBe(EthernetReason.truncated);
    expect(checkEthernet(VXLAN6_TAGGED, TAGGED_FRAME, 17)).toBe(EthernetReason.vlanTruncated);
    expect(checkEthernet(VXLAN6_TAGGED, TAGGED_FRAME, 18)).toBeNull();
    expect(checkEthernet(QINQ_ARP, 0, 17)).toBe(EthernetReason.vlanTruncated);
  });

  it("rejects a length that runs past the buffer", () => {
    expect(checkEthernet(VXLAN_ARP, ARP_FRAME, 43)).toBe(EthernetReason.truncated);
    expect(checkEthernet(VXLAN_ARP, -1, 14)).toBe(EthernetReason.truncated);
  });

});

describe("802.1Q / 802.1ad tag", () => {
  it("reads PCP 5, DEI 0, VID 100 from the 802.1Q tag tshark decoded", () => {
    expect(ethType(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(TPID_8021Q);
    expect(isVlanTpid(ethType(VXLAN6_TAGGED, TAGGED_FRAME))).toBe(true);
    expect(vlanPcp(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(5);
    expect(vlanDei(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(false);
    expect(vlanVid(VXLAN6_TAGGED, TAGGED_FRAME)).toBe(100);
    // The payload's ethertype is the type field of the frame read 4 bytes on (how the loops and decode step past a tag).
    expect(ethType(VXLAN6_TAGGED, TAGGED_FRAME + 4)).toBe(ETHERTYPE_IPV4);
    expect(VXLAN6_TAGGED.readUInt16BE(TAGGED_FRAME + VLAN_INNER_TYPE)).toBe(ETHERTYPE_IPV4);
  });

  it("recognises an 802.1ad (0x88a8) tag and looks past it", () => {
    expect(ethType(QINQ_ARP, 0)).toBe(TPID_8021AD);
    expect(isVlanTpid(ethType(QINQ_ARP, 0))).toBe(true);
    expect([vlanPcp(QINQ_ARP, 0), vlanDei(QINQ_ARP, 0), vlanVid(QINQ_ARP, 0)]).toEqual([3, true, 200]);
    expect(ethType(QINQ_ARP, 4)).toBe(ETHERTYPE_ARP);
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
    const start = insertVlanTag(slab, 64, 0xa064) /* PCP 5, VID 100 */;
    expect(start).toBe(60);
    expect(slab.subarray(60, 60 + 54)).toEqual(VXLAN6_TAGGED.subarray(TAGGED_FRAME));
  });

  it("inserts an 802.1ad tag when asked, and a bare VID as a TCI", () => {
    const slab = Buffer.alloc(8 + 42);
    VXLAN_ARP.copy(slab, 8, ARP_FRAME);
    const start = insertVlanTag(slab, 8, 0x70c8, TPID_8021AD); // PCP 3, DEI, VID 200
    expect(slab.subarray(start)).toEqual(QINQ_ARP);
    const bare = Buffer.from(slab);
    expect(insertVlanTag(bare, 8, 42)).toBe(4);
    expect([ethType(bare, 4), vlanPcp(bare, 4), vlanDei(bare, 4), vlanVid(bare, 4)]).toEqual([TPID_8021Q, 0, false, 42]);
  });

  it("round-trips strip and insert", () => {
    const slab = Buffer.alloc(4 + QINQ_ARP.length);
    QINQ_ARP.copy(slab, 4);
    const untagged = stripVlanTag(slab, 4);
    const tagged = insertVlanTag(slab, untagged, 0x70c8, TPID_8021AD);
    expect(tagged).toBe(4);
    expect(slab.subarray(4)).toEqual(QINQ_ARP);
  });

  it("refuses to insert a tag without 4 bytes of headroom", () => {
    expect(() => insertVlanTag(Buffer.from(VXLAN_ARP.subarray(ARP_FRAME)), 2, 100)).toThrow(RangeError);
  });
});

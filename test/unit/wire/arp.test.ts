import { describe, expect, it } from "vitest";
import {
  ARP_REPLY, ARP_REQUEST, arpIsGratuitous, arpOperation, ArpReason, ArpRepr, arpSenderIp, arpSenderMac, arpTargetIp,
  arpTargetMac, ArpView, checkArp,
} from "../../../src/wire/arp.js";
import { WireError } from "../../../src/wire/error.js";
import { formatIpv4, parseIpv4 } from "../../../src/wire/ipv4.js";
import { formatMac } from "../../../src/wire/mac.js";
import { QINQ_ARP, VXLAN_ARP } from "./vectors.js";

const ARP = 64; // the ARP request inside the VXLAN vector

describe("ARP (Ethernet/IPv4)", () => {
  it("reads the request tshark decoded: who-has 10.0.0.2 tell 10.0.0.1 from 52:54:00:12:34:56", () => {
    expect(checkArp(VXLAN_ARP, ARP, 28)).toBeNull();
    expect(arpOperation(VXLAN_ARP, ARP)).toBe(ARP_REQUEST);
    expect(formatMac(arpSenderMac(VXLAN_ARP, ARP))).toBe("52:54:00:12:34:56");
    expect(formatIpv4(arpSenderIp(VXLAN_ARP, ARP))).toBe("10.0.0.1");
    expect(arpTargetMac(VXLAN_ARP, ARP)).toBe(0);
    expect(formatIpv4(arpTargetIp(VXLAN_ARP, ARP))).toBe("10.0.0.2");
    expect(arpIsGratuitous(VXLAN_ARP, ARP)).toBe(false);
  });

  it("reads the same request behind an 802.1ad tag", () => {
    expect(new ArpView(QINQ_ARP, 18, 28).targetIp).toBe(parseIpv4("10.0.0.2"));
  });

  it("drops a packet shorter than 28 bytes", () => {
    expect(checkArp(VXLAN_ARP, ARP, 27)).toBe(ArpReason.truncated);
  });

  it("drops ARP for other hardware or protocol types", () => {
    for (const [at, value] of [[1, 6], [2, 0x86], [4, 8], [5, 16]]) {
      const buf = Buffer.from(VXLAN_ARP.subarray(ARP));
      buf[at] = value;
      expect(checkArp(buf, 0, 28)).toBe(ArpReason.unsupported);
    }
  });

  it("parses the request and emits the same bytes", () => {
    const repr = ArpRepr.parse(VXLAN_ARP, ARP, 28);
    expect(repr).toEqual({ operation: ARP_REQUEST, senderMac: 0x525400123456, senderIp: parseIpv4("10.0.0.1"), targetMac: 0,
      targetIp: parseIpv4("10.0.0.2") });
    expect(ArpRepr.format(repr)).toBe("who-has 10.0.0.2 tell 10.0.0.1");
    const out = Buffer.alloc(28);
    expect(ArpRepr.emit(repr, out, 0)).toBe(28);
    expect(out).toEqual(VXLAN_ARP.subarray(ARP));
  });

  it("formats a reply like tcpdump", () => {
    expect(ArpRepr.format({ operation: ARP_REPLY, senderMac: 0x525400abcdef, senderIp: parseIpv4("10.0.0.2"),
      targetMac: 0x525400123456, targetIp: parseIpv4("10.0.0.1") })).toBe("10.0.0.2 is-at 52:54:00:ab:cd:ef");
  });

  it("recognises a gratuitous ARP", () => {
    const buf = Buffer.from(VXLAN_ARP.subarray(ARP));
    buf.writeUInt32BE(parseIpv4("10.0.0.1"), 24);
    expect(ArpView.checked(buf, 0, 28).targetIp).toBe(parseIpv4("10.0.0.1"));
    expect(arpIsGratuitous(buf, 0)).toBe(true);
  });

  it("refuses a truncated packet with a WireError", () => {
    expect(() => ArpRepr.parse(VXLAN_ARP, ARP, 20)).toThrow(WireError);
  });
});

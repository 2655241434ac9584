import { describe, expect, it } from "vitest";
import {
  ARP_REPLY, ARP_REQUEST, arpOperation, ArpReason, arpSenderIp, arpSenderMac, arpTargetIp, arpTargetMac, checkArp,
  formatArp,
} from "../../../src/wire/arp.js";
import { formatIpv4 } from "../../../src/wire/ipv4.js";
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
  });

  it("reads the same request behind an 802.1ad tag", () => {
    expect(checkArp(QINQ_ARP, 18, 28)).toBeNull();
    expect(formatIpv4(arpTargetIp(QINQ_ARP, 18))).toBe("10.0.0.2");
  });

  it("drops a packet shorter than 28 bytes, or one that runs past the buffer", () => {
    expect(checkArp(VXLAN_ARP, ARP, 27)).toBe(ArpReason.truncated);
    expect(checkArp(VXLAN_ARP, ARP + 1, 28)).toBe(ArpReason.truncated);
  });

  it("drops ARP for other hardware or protocol types", () => {
    for (const [at, value] of [[1, 6], [2, 0x86], [4, 8], [5, 16]]) {
      const buf = Buffer.from(VXLAN_ARP.subarray(ARP));
      buf[at] = value;
      expect(checkArp(buf, 0, 28)).toBe(ArpReason.unsupported);
    }
  });

  it("prints the request like tcpdump", () => {
    expect(formatArp(VXLAN_ARP, ARP)).toBe("who-has 10.0.0.2 tell 10.0.0.1");
  });

  it("prints a reply like tcpdump, and an unknown operation by number", () => {
    // The request turned into the answer: operation 2, sender 10.0.0.2 at 52:54:00:ab:cd:ef.
    const reply = Buffer.from(VXLAN_ARP.subarray(ARP));
    reply.writeUInt16BE(ARP_REPLY, 6);
    Buffer.from("525400abcdef0a000002", "hex").copy(reply, 8);
    expect(arpOperation(reply, 0)).toBe(ARP_REPLY);
    expect(formatArp(reply, 0)).toBe("10.0.0.2 is-at 52:54:00:ab:cd:ef");
    reply.writeUInt16BE(9, 6);
    expect(formatArp(reply, 0)).toBe("operation 9");
  });
});

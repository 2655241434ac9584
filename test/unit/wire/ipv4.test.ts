import { describe, expect, it } from "vitest";
import { WireError } from "../../../src/wire/error.js";
import { IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_UDP } from "../../../src/wire/ip.js";
import {
  checkIpv4, computeIpv4Checksum, fillIpv4Checksum, formatIpv4, ipv4Checksum, ipv4ChecksumIsValid, ipv4DontFragment,
  ipv4Dst, ipv4FragmentOffset, ipv4HeaderLength, ipv4Ident, ipv4IsFragment, ipv4Protocol, Ipv4Reason, Ipv4Repr,
  ipv4Src, ipv4TotalLength, ipv4Ttl, ipv4Version, Ipv4View, parseIpv4, setIpv4FlagsFrag, setIpv4Ttl, tryParseIpv4,
} from "../../../src/wire/ipv4.js";
import { checksumUpdate16 } from "../../../src/wire/checksum.js";
import { GRE_ICMP, VXLAN_ARP } from "./vectors.js";

const IP = 14;

describe("IPv4 header", () => {
  it("reads the outer header of the VXLAN vector (tshark: ip.checksum 0x9c43 good)", () => {
    expect(checkIpv4(VXLAN_ARP, IP, VXLAN_ARP.length - IP)).toBeNull();
    expect(ipv4Version(VXLAN_ARP, IP)).toBe(4);
    expect(ipv4HeaderLength(VXLAN_ARP, IP)).toBe(20);
    expect(ipv4TotalLength(VXLAN_ARP, IP)).toBe(78);
    expect(ipv4Ident(VXLAN_ARP, IP)).toBe(0x1234);
    expect(ipv4DontFragment(VXLAN_ARP, IP)).toBe(true);
    expect(ipv4IsFragment(VXLAN_ARP, IP)).toBe(false);
    expect(ipv4Ttl(VXLAN_ARP, IP)).toBe(64);
    expect(ipv4Protocol(VXLAN_ARP, IP)).toBe(IPPROTO_UDP);
    expect(ipv4Checksum(VXLAN_ARP, IP)).toBe(0x9c43);
    expect(formatIpv4(ipv4Src(VXLAN_ARP, IP))).toBe("198.18.0.1");
    expect(formatIpv4(ipv4Dst(VXLAN_ARP, IP))).toBe("198.18.0.2");
  });

  it("computes the header checksums tshark accepted: 0x9c43, 0x9c1c, and the inner 0x25d6", () => {
    expect(computeIpv4Checksum(VXLAN_ARP, IP)).toBe(0x9c43);
    expect(computeIpv4Checksum(GRE_ICMP, IP)).toBe(0x9c1c);
    expect(computeIpv4Checksum(GRE_ICMP, 64)).toBe(0x25d6);
    expect(ipv4ChecksumIsValid(GRE_ICMP, 64)).toBe(true);
  });

  it("detects a corrupted header and repairs it", () => {
    const buf = Buffer.from(VXLAN_ARP);
    setIpv4Ttl(buf, IP, 63);
    expect(ipv4ChecksumIsValid(buf, IP)).toBe(false);
    fillIpv4Checksum(buf, IP);
    expect(ipv4ChecksumIsValid(buf, IP)).toBe(true);
    // The incremental update a forwarder would use gives the same answer.
    expect(checksumUpdate16(0x9c43, 0x4011, 0x3f11)).toBe(ipv4Checksum(buf, IP));
  });

  it("drops a packet that is not version 4", () => {
    const buf = Buffer.from(VXLAN_ARP);
    buf[IP] = 0x65;
    expect(checkIpv4(buf, IP, buf.length - IP)).toBe(Ipv4Reason.badVersion);
  });

  it("drops a header length below 20 bytes or beyond the packet", () => {
    const buf = Buffer.from(VXLAN_ARP);
    buf[IP] = 0x44;
    expect(checkIpv4(buf, IP, buf.length - IP)).toBe(Ipv4Reason.badHeaderLength);
    buf[IP] = 0x4f;
    expect(checkIpv4(buf, IP, 40)).toBe(Ipv4Reason.truncated);
  });

  it("drops a total length below the header or beyond the packet", () => {
    const buf = Buffer.from(VXLAN_ARP);
    buf.writeUInt16BE(19, IP + 2);
    expect(checkIpv4(buf, IP, buf.length - IP)).toBe(Ipv4Reason.badTotalLength);
    expect(checkIpv4(VXLAN_ARP, IP, 77)).toBe(Ipv4Reason.truncated);
    expect(checkIpv4(VXLAN_ARP, IP, 19)).toBe(Ipv4Reason.truncated);
  });

  it("accepts Ethernet padding after the total length", () => {
    const padded = Buffer.concat([GRE_ICMP.subarray(64), Buffer.alloc(10)]);
    expect(checkIpv4(padded, 0, padded.length)).toBeNull();
  });

  it("recognises fragments and their offset in bytes", () => {
    const buf = Buffer.from(GRE_ICMP.subarray(64));
    setIpv4FlagsFrag(buf, 0, 0x2000);
    expect(ipv4IsFragment(buf, 0)).toBe(true);
    setIpv4FlagsFrag(buf, 0, 185);
    expect(ipv4IsFragment(buf, 0)).toBe(true);
    expect(ipv4FragmentOffset(buf, 0)).toBe(1480);
  });

  it("parses and prints dotted quads", () => {
    expect(parseIpv4("198.18.0.1")).toBe(0xc6120001);
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    for (const bad of ["1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", ""]) expect(tryParseIpv4(bad)).toBe(-1);
    expect(() => parseIpv4("300.1.1.1")).toThrow(/invalid IPv4 address "300.1.1.1"/);
  });
});

describe("Ipv4View and Ipv4Repr", () => {
  it("shows the payload of the inner ICMP packet", () => {
    const view = Ipv4View.checked(GRE_ICMP, 64, GRE_ICMP.length - 64);
    expect(view.protocol).toBe(IPPROTO_ICMP);
    expect(view.payloadOffset).toBe(84);
    expect(view.payloadLength).toBe(16);
    expect(view.checksumIsValid()).toBe(true);
  });

  it("parses the GRE vector's outer header and emits the same 20 bytes", () => {
    const repr = Ipv4Repr.parse(GRE_ICMP, IP, GRE_ICMP.length - IP);
    expect(repr).toEqual({ src: 0xc6120001, dst: 0xc6120002, protocol: IPPROTO_GRE, payloadLength: 66, ttl: 64, tos: 0,
      ident: 0x1235, dontFragment: true, moreFragments: false, fragmentOffset: 0 });
    const out = Buffer.alloc(20);
    expect(Ipv4Repr.emit(repr, out, 0)).toBe(20);
    expect(out).toEqual(GRE_ICMP.subarray(IP, IP + 20));
  });

  it("refuses a header whose checksum does not verify", () => {
    const buf = Buffer.from(VXLAN_ARP);
    buf[IP + 8] = 1;
    expect(() => Ipv4Repr.parse(buf, IP, buf.length - IP)).toThrow(WireError);
    expect(() => Ipv4Repr.parse(buf, IP, buf.length - IP)).toThrow(/ipv4-bad-checksum/);
  });
});

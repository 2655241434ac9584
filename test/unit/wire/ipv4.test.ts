import { describe, expect, it } from "vitest";
import { IPPROTO_GRE, IPPROTO_ICMP, IPPROTO_UDP } from "../../../src/wire/ip.js";
import {
  checkIpv4, computeIpv4Checksum, fillIpv4Checksum, formatIpv4, IPV4_TTL, ipv4Checksum, ipv4ChecksumIsValid,
  ipv4DontFragment, ipv4Dst, ipv4FragmentOffset, ipv4HeaderLength, ipv4Ident, ipv4MoreFragments, ipv4Protocol,
  Ipv4Reason, ipv4Src, ipv4TotalLength, ipv4Ttl, ipv4Version, writeIpv4Header,
} from "../../../src/wire/ipv4.js";
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
    expect(ipv4MoreFragments(VXLAN_ARP, IP)).toBe(false);
    expect(ipv4FragmentOffset(VXLAN_ARP, IP)).toBe(0);
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
    expect(ipv4Protocol(GRE_ICMP, 64)).toBe(IPPROTO_ICMP);
    expect(ipv4TotalLength(GRE_ICMP, 64) - ipv4HeaderLength(GRE_ICMP, 64)).toBe(16);
  });

  it("detects a corrupted header and repairs it", () => {
    const buf = Buffer.from(VXLAN_ARP);
    buf[IP + IPV4_TTL] = 63;
    expect(ipv4ChecksumIsValid(buf, IP)).toBe(false);
    fillIpv4Checksum(buf, IP);
    expect(ipv4ChecksumIsValid(buf, IP)).toBe(true);
    // TTL and protocol share a word: 0x4011 -> 0x3f11 moves the checksum up by 0x100.
    expect(ipv4Checksum(buf, IP)).toBe(0x9d43);
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
    buf.writeUInt16BE(0x2000, 6);
    expect([ipv4MoreFragments(buf, 0), ipv4DontFragment(buf, 0), ipv4FragmentOffset(buf, 0)]).toEqual([true, false, 0]);
    buf.writeUInt16BE(185, 6);
    expect([ipv4MoreFragments(buf, 0), ipv4FragmentOffset(buf, 0)]).toEqual([false, 1480]);
  });

  it("prints dotted quads", () => {
    expect(formatIpv4(0xc6120001)).toBe("198.18.0.1");
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    expect(formatIpv4(0)).toBe("0.0.0.0");
  });
});

describe("IPv4 header writer", () => {
  it("writes the GRE vector's outer header, checksum included, byte for byte", () => {
    const out = Buffer.alloc(20, 0xee);
    const fields = { src: 0xc6120001, dst: 0xc6120002, protocol: IPPROTO_GRE, ttl: 64, tos: 0, ident: 0x1235, dontFragment: true };
    expect(writeIpv4Header(out, 0, fields, 66)).toBe(20);
    expect(out).toEqual(GRE_ICMP.subarray(IP, IP + 20));
  });

  it("writes a header that reads back through the getters, and the inner ICMP header of the GRE vector", () => {
    const out = Buffer.alloc(20 + 16);
    writeIpv4Header(out, 0, { src: 0x0a000001, dst: 0x0a000002, protocol: IPPROTO_ICMP, ttl: 64, tos: 0, ident: 0x0101,
      dontFragment: true }, 16);
    expect(out.subarray(0, 20)).toEqual(GRE_ICMP.subarray(64, 84));
    writeIpv4Header(out, 0, { src: 0xffffffff, dst: 1, protocol: 253, ttl: 1, tos: 0xb8, ident: 0xffff, dontFragment: false }, 16);
    expect(checkIpv4(out, 0, out.length)).toBeNull();
    expect([ipv4Version(out, 0), ipv4HeaderLength(out, 0), ipv4TotalLength(out, 0), ipv4Ident(out, 0), ipv4DontFragment(out, 0),
      ipv4Ttl(out, 0), ipv4Protocol(out, 0), ipv4Src(out, 0), ipv4Dst(out, 0), out[1]]).toEqual([4, 20, 36, 0xffff, false, 1, 253,
      0xffffffff, 1, 0xb8]);
    expect(ipv4ChecksumIsValid(out, 0)).toBe(true);
  });
});

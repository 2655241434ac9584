import { describe, expect, it } from "vitest";
import { IPPROTO_UDP } from "../../../src/wire/ip.js";
import { parseAddress } from "../../../src/io/address.js";
import {
  checkIpv6, formatIpv6, IPV6_DST, IPV6_SRC, ipv6FlowLabel, ipv6HopLimit, ipv6NextHeader, ipv6PayloadLength, Ipv6Reason,
  ipv6Version, writeIpv6Header,
} from "../../../src/wire/ipv6.js";
import { UDP6, VXLAN6_TAGGED } from "./vectors.js";

const IP = 14;

describe("IPv6 header", () => {
  it("reads the fields tshark decoded: fd00::1 > fd00::2, flow 0x12345, plen 17, UDP, hlim 64", () => {
    expect(checkIpv6(UDP6, IP, UDP6.length - IP)).toBeNull();
    expect(ipv6Version(UDP6, IP)).toBe(6);
    expect(ipv6FlowLabel(UDP6, IP)).toBe(0x12345);
    expect(ipv6PayloadLength(UDP6, IP)).toBe(17);
    expect(ipv6NextHeader(UDP6, IP)).toBe(IPPROTO_UDP);
    expect(ipv6HopLimit(UDP6, IP)).toBe(64);
    expect(formatIpv6(UDP6, IP + 8)).toBe("fd00::1");
    expect(formatIpv6(UDP6, IP + 24)).toBe("fd00::2");
    expect(formatIpv6(VXLAN6_TAGGED, IP + IPV6_SRC)).toBe("2001:db8::a");
    expect(formatIpv6(VXLAN6_TAGGED, IP + IPV6_DST)).toBe("2001:db8::b");
    expect(ipv6PayloadLength(VXLAN6_TAGGED, IP)).toBe(70);
  });

  it("writes the UDP vector's header byte for byte", () => {
    const out = Buffer.alloc(40, 0xee);
    expect(writeIpv6Header(out, 0, { src: parseAddress("fd00::1"), dst: parseAddress("fd00::2"), nextHeader: IPPROTO_UDP,
      hopLimit: 64, trafficClass: 0, flowLabel: 0x12345 }, 17)).toBe(40);
    expect(out).toEqual(UDP6.subarray(IP, IP + 40));
  });

  it("splits traffic class and flow label across the first word", () => {
    const buf = Buffer.alloc(40);
    writeIpv6Header(buf, 0, { src: parseAddress("::1"), dst: parseAddress("::2"), nextHeader: 59, hopLimit: 255,
      trafficClass: 0xb8, flowLabel: 0xfedcb }, 0);
    expect(buf.subarray(0, 4).toString("hex")).toBe("6b8fedcb");
    expect([checkIpv6(buf, 0, 40), ipv6Version(buf, 0), ipv6FlowLabel(buf, 0), ipv6PayloadLength(buf, 0), ipv6NextHeader(buf, 0),
      ipv6HopLimit(buf, 0), formatIpv6(buf, IPV6_SRC), formatIpv6(buf, IPV6_DST)]).toEqual([null, 6, 0xfedcb, 0, 59, 255, "::1", "::2"]);
  });

  it("drops a packet that is not version 6", () => {
    const buf = Buffer.from(UDP6);
    buf[IP] = 0x40;
    expect(checkIpv6(buf, IP, buf.length - IP)).toBe(Ipv6Reason.badVersion);
  });

  it("drops a packet shorter than 40 bytes or than its payload length says", () => {
    expect(checkIpv6(UDP6, IP, 39)).toBe(Ipv6Reason.truncated);
    expect(checkIpv6(UDP6, IP, 40 + 16)).toBe(Ipv6Reason.truncated);
    expect(checkIpv6(UDP6, IP + 1, UDP6.length - IP)).toBe(Ipv6Reason.truncated);
  });

  it("prints addresses per RFC 5952", () => {
    const text = (s: string): string => formatIpv6(Buffer.from(s.replace(/ /g, ""), "hex"));
    expect(text("2001 0db8 0000 0000 0000 0000 0000 0001")).toBe("2001:db8::1");
    expect(text("2001 0db8 0000 0001 0000 0000 0000 0001")).toBe("2001:db8:0:1::1"); // longest run wins
    expect(text("2001 0db8 0000 0000 0001 0000 0000 0001")).toBe("2001:db8::1:0:0:1"); // first of equal runs
    expect(text("2001 0db8 0001 0000 0001 0001 0001 0001")).toBe("2001:db8:1:0:1:1:1:1"); // one zero group stays
    expect(text("0000 0000 0000 0000 0000 0000 0000 0000")).toBe("::");
    expect(text("0000 0000 0000 0000 0000 0000 0000 0001")).toBe("::1");
    expect(text("fe80 0000 0000 0000 0000 0000 0000 0000")).toBe("fe80::");
    expect(text("0000 0000 0000 0000 0000 ffff c612 0001")).toBe("::ffff:198.18.0.1");
  });
});

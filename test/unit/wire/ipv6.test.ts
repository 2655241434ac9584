import { describe, expect, it } from "vitest";
import { IPPROTO_UDP } from "../../../src/wire/ip.js";
import {
  checkIpv6, formatIpv6, ipv6FlowLabel, ipv6HopLimit, ipv6NextHeader, ipv6PayloadLength, Ipv6Reason, Ipv6Repr,
  ipv6TrafficClass, ipv6Version, Ipv6View, parseIpv6, setIpv6VersionTcFlow, tryParseIpv6,
} from "../../../src/wire/ipv6.js";
import { UDP6, VXLAN6_TAGGED } from "./vectors.js";

const IP = 14;

describe("IPv6 header", () => {
  it("reads the fields tshark decoded: fd00::1 > fd00::2, flow 0x12345, plen 17, UDP, hlim 64", () => {
    expect(checkIpv6(UDP6, IP, UDP6.length - IP)).toBeNull();
    expect(ipv6Version(UDP6, IP)).toBe(6);
    expect(ipv6TrafficClass(UDP6, IP)).toBe(0);
    expect(ipv6FlowLabel(UDP6, IP)).toBe(0x12345);
    expect(ipv6PayloadLength(UDP6, IP)).toBe(17);
    expect(ipv6NextHeader(UDP6, IP)).toBe(IPPROTO_UDP);
    expect(ipv6HopLimit(UDP6, IP)).toBe(64);
    expect(formatIpv6(UDP6, IP + 8)).toBe("fd00::1");
    expect(formatIpv6(UDP6, IP + 24)).toBe("fd00::2");
  });

  it("splits traffic class and flow label across the first word", () => {
    const buf = Buffer.alloc(40);
    setIpv6VersionTcFlow(buf, 0, 0xb8, 0xfedcb);
    expect(buf.subarray(0, 4).toString("hex")).toBe("6b8fedcb");
    expect([ipv6Version(buf, 0), ipv6TrafficClass(buf, 0), ipv6FlowLabel(buf, 0)]).toEqual([6, 0xb8, 0xfedcb]);
  });

  it("drops a packet that is not version 6", () => {
    const buf = Buffer.from(UDP6);
    buf[IP] = 0x40;
    expect(checkIpv6(buf, IP, buf.length - IP)).toBe(Ipv6Reason.badVersion);
  });

  it("drops a packet shorter than 40 bytes or than its payload length says", () => {
    expect(checkIpv6(UDP6, IP, 39)).toBe(Ipv6Reason.truncated);
    expect(checkIpv6(UDP6, IP, 40 + 16)).toBe(Ipv6Reason.truncated);
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

  it("parses the forms it prints, and full and dotted-quad forms", () => {
    const hex = (s: string): string | undefined => tryParseIpv6(s)?.toString("hex");
    expect(hex("2001:db8::1")).toBe("20010db8000000000000000000000001");
    expect(hex("::")).toBe("00000000000000000000000000000000");
    expect(hex("::1")).toBe("00000000000000000000000000000001");
    expect(hex("fe80::")).toBe("fe800000000000000000000000000000");
    expect(hex("2001:DB8:0:0:0:0:0:1")).toBe("20010db8000000000000000000000001");
    expect(hex("::ffff:198.18.0.1")).toBe("00000000000000000000ffffc6120001");
    expect(hex("64:ff9b::192.0.2.33")).toBe("0064ff9b0000000000000000c0000221");
  });

  it("refuses malformed text", () => {
    for (const bad of ["", ":", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7::8",
      "::1.2.3", "1.2.3.4", ":1::"]) {
      expect(tryParseIpv6(bad), bad).toBeNull();
    }
    expect(() => parseIpv6("fd00:::1")).toThrow(/invalid IPv6 address "fd00:::1"/);
  });
});

describe("Ipv6View and Ipv6Repr", () => {
  it("shows the addresses as views into the packet", () => {
    const view = Ipv6View.checked(VXLAN6_TAGGED, IP, VXLAN6_TAGGED.length - IP);
    expect(formatIpv6(view.src)).toBe("2001:db8::a");
    expect(formatIpv6(view.dst)).toBe("2001:db8::b");
    expect(view.payloadLength).toBe(70);
    expect(view.payloadOffset).toBe(54);
  });

  it("parses the vector and emits the same 40 bytes", () => {
    const repr = Ipv6Repr.parse(UDP6, IP, UDP6.length - IP);
    expect(repr).toEqual({ src: parseIpv6("fd00::1"), dst: parseIpv6("fd00::2"), nextHeader: IPPROTO_UDP, payloadLength: 17,
      hopLimit: 64, trafficClass: 0, flowLabel: 0x12345 });
    const out = Buffer.alloc(40);
    expect(Ipv6Repr.emit(repr, out, 0)).toBe(40);
    expect(out).toEqual(UDP6.subarray(IP, IP + 40));
  });
});

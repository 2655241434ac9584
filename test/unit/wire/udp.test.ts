import { describe, expect, it } from "vitest";
import {
  checkUdp, computeUdpChecksum, fillUdpChecksum, UDP_CHECKSUM, udpChecksum, udpChecksumIsValid, udpDstPort, udpLength,
  UdpReason, udpSrcPort, writeUdpHeader,
} from "../../../src/wire/udp.js";
import { UDP6, VXLAN6_TAGGED, VXLAN_ARP } from "./vectors.js";

describe("UDP header", () => {
  it("reads the outer UDP of the VXLAN vector (tshark: 45730 > 4789, len 58, checksum 0x4472 good)", () => {
    expect(checkUdp(VXLAN_ARP, 34, VXLAN_ARP.length - 34)).toBeNull();
    expect(udpSrcPort(VXLAN_ARP, 34)).toBe(45730);
    expect(udpDstPort(VXLAN_ARP, 34)).toBe(4789);
    expect(udpLength(VXLAN_ARP, 34)).toBe(58);
    expect(udpChecksum(VXLAN_ARP, 34)).toBe(0x4472);
  });

  it("computes the checksum over the IPv4 pseudo header that tshark accepted (0x4472)", () => {
    expect(computeUdpChecksum(VXLAN_ARP, 14, 34, 58)).toBe(0x4472);
    expect(udpChecksumIsValid(VXLAN_ARP, 14, 34, 58)).toBe(true);
  });

  it("computes the checksum over the IPv6 pseudo header that tshark accepted (0x1dea, 0x65ad)", () => {
    expect(computeUdpChecksum(UDP6, 14, 54, 17)).toBe(0x1dea);
    expect(udpChecksumIsValid(UDP6, 14, 54, 17)).toBe(true);
    expect(computeUdpChecksum(VXLAN6_TAGGED, 14, 54, 70)).toBe(0x65ad);
    expect(udpChecksumIsValid(VXLAN6_TAGGED, 14, 54, 70)).toBe(true);
  });

  it("notices a flipped payload bit and an altered pseudo-header address", () => {
    const payload = Buffer.from(UDP6);
    payload[payload.length - 1] ^= 1;
    expect(udpChecksumIsValid(payload, 14, 54, 17)).toBe(false);
    const addr = Buffer.from(UDP6);
    addr[14 + 8 + 15] = 3; // source fd00::3
    expect(udpChecksumIsValid(addr, 14, 54, 17)).toBe(false);
    fillUdpChecksum(addr, 14, 54, 17);
    expect(udpChecksumIsValid(addr, 14, 54, 17)).toBe(true);
  });

  it("accepts a zero checksum over IPv4 as 'no checksum'", () => {
    const buf = Buffer.from(VXLAN_ARP);
    buf.writeUInt16BE(0, 34 + UDP_CHECKSUM);
    expect(udpChecksumIsValid(buf, 14, 34, 58)).toBe(true);
  });

  it("rejects a zero checksum over IPv6", () => {
    const buf = Buffer.from(UDP6);
    buf.writeUInt16BE(0, 54 + UDP_CHECKSUM);
    expect(udpChecksumIsValid(buf, 14, 54, 17)).toBe(false);
  });

  it("sends a computed checksum of 0 as 0xffff", () => {
    // A payload word equal to the checksum without it makes the sum 0xffff, i.e. a checksum of 0.
    const buf = Buffer.from(UDP6.subarray(0, UDP6.length - 1));
    buf.writeUInt16BE(buf.readUInt16BE(14 + 4) - 1, 14 + 4); // payload 8 bytes
    buf.writeUInt16BE(16, 54 + 4);
    buf.writeUInt16BE(0, 62);
    const without = computeUdpChecksum(buf, 14, 54, 16);
    buf.writeUInt16BE(without, 62);
    expect(computeUdpChecksum(buf, 14, 54, 16)).toBe(0xffff);
    fillUdpChecksum(buf, 14, 54, 16);
    expect(udpChecksumIsValid(buf, 14, 54, 16)).toBe(true);
  });

  it("drops a datagram shorter than 8 bytes or than its length field", () => {
    expect(checkUdp(VXLAN_ARP, 34, 7)).toBe(UdpReason.truncated);
    expect(checkUdp(VXLAN_ARP, 34, 57)).toBe(UdpReason.truncated);
    const buf = Buffer.from(VXLAN_ARP);
    buf.writeUInt16BE(7, 34 + 4);
    expect(checkUdp(buf, 34, 58)).toBe(UdpReason.badLength);
  });

  it("writes a header with a zero checksum", () => {
    const buf = Buffer.alloc(8, 0xee);
    expect(writeUdpHeader(buf, 0, 45730, 4789, 50)).toBe(8);
    expect(buf.toString("hex")).toBe("b2a212b5003a0000");
  });

  it("writes a header, then a checksum over the whole datagram, giving the vector's bytes", () => {
    const buf = Buffer.from(UDP6);
    buf.fill(0, 54, 62);
    expect(writeUdpHeader(buf, 54, 5000, 5001, 9)).toBe(8);
    expect(checkUdp(buf, 54, 17)).toBeNull();
    fillUdpChecksum(buf, 14, 54, 17);
    expect(buf).toEqual(UDP6);
  });
});

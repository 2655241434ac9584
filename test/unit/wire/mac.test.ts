import { describe, expect, it } from "vitest";
import {
  formatMac, isBroadcastMac, isMulticastMac, MAC_BROADCAST, macFromBytes, parseMac, readMac,
} from "../../../src/wire/mac.js";
import { VXLAN_ARP } from "./vectors.js";

describe("MAC addresses", () => {
  it("reads the 48 bits at an offset as a number", () => {
    expect(readMac(VXLAN_ARP, 50)).toBe(MAC_BROADCAST);
    expect(readMac(VXLAN_ARP, 56)).toBe(0x5254_0012_3456);
  });

  it("parses and formats like iproute2", () => {
    expect(parseMac("52:54:00:AB:cd:ef")).toBe(0x5254_00ab_cdef);
    expect(parseMac("52-54-00-ab-cd-ef")).toBe(0x5254_00ab_cdef);
    expect(parseMac("2:0:0:0:0:1")).toBe(0x0200_0000_0001);
    expect(formatMac(0x0200_0000_0001)).toBe("02:00:00:00:00:01");
    expect(formatMac(MAC_BROADCAST)).toBe("ff:ff:ff:ff:ff:ff");
  });

  it("refuses text that is not a MAC, saying what it expected", () => {
    expect(() => parseMac("52:54:00:ab:cd")).toThrow(/invalid MAC address/);
    expect(() => parseMac("52:54:00:ab:cd:xg")).toThrow(/invalid MAC address/);
    expect(() => parseMac("nope")).toThrow(/invalid MAC address "nope".*52:54:00:12:34:56/);
  });

  it("reads a MAC from bytes, refusing too few", () => {
    expect(macFromBytes(Uint8Array.from([0, 0x52, 0x54, 0, 0x12, 0x34, 0x56]), 1)).toBe(0x5254_0012_3456);
    expect(() => macFromBytes(Uint8Array.from([1, 2, 3, 4, 5, 6]), 1)).toThrow(/a MAC needs 6 bytes at offset 1/);
  });

  it("takes the group bit from the first byte's low bit", () => {
    expect(isMulticastMac(MAC_BROADCAST)).toBe(true);
    expect(isMulticastMac(parseMac("01:00:5e:00:00:fb"))).toBe(true);
    expect(isMulticastMac(parseMac("33:33:00:00:00:01"))).toBe(true);
    expect(isMulticastMac(parseMac("52:54:00:12:34:56"))).toBe(false);
    expect(isMulticastMac(parseMac("fe:ff:ff:ff:ff:ff"))).toBe(false);
    expect(isMulticastMac(readMac(VXLAN_ARP, 50))).toBe(true);
    expect(isMulticastMac(readMac(VXLAN_ARP, 56))).toBe(false);
  });

  it("knows the broadcast address", () => {
    expect(isBroadcastMac(MAC_BROADCAST)).toBe(true);
    expect(isBroadcastMac(parseMac("ff:ff:ff:ff:ff:fe"))).toBe(false);
    expect(isBroadcastMac(readMac(VXLAN_ARP, 50))).toBe(true);
  });
});

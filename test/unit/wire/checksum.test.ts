import { describe, expect, it } from "vitest";
import {
  checksumAdd, checksumIsValid, finishChecksum, foldChecksum, internetChecksum,
} from "../../../src/wire/checksum.js";
import { GRE_ICMP } from "./vectors.js";

describe("internet checksum (RFC 1071)", () => {
  it("sums the RFC 1071 section 3 example to 0xddf2", () => {
    const buf = Buffer.from("0001f203f4f5f6f7", "hex");
    expect(foldChecksum(checksumAdd(buf, 0, buf.length))).toBe(0xddf2);
    expect(internetChecksum(buf, 0, buf.length)).toBe(0x220d);
  });

  it("pads an odd trailing byte with zero as the low byte", () => {
    expect(internetChecksum(Buffer.from([0x12, 0x34, 0x56]), 0, 3)).toBe(~(0x1234 + 0x5600) & 0xffff);
  });

  it("computes the header checksum tshark accepted (0x9c1c) at a non-zero offset", () => {
    const copy = Buffer.from(GRE_ICMP);
    copy.writeUInt16BE(0, 14 + 10);
    expect(internetChecksum(copy, 14, 20)).toBe(0x9c1c);
    expect(checksumIsValid(GRE_ICMP, 14, 20)).toBe(true);
  });

  it("chains ranges through the running sum", () => {
    const buf = Buffer.from("450000734000400000110000c0a80001c0a800c7", "hex");
    const whole = checksumAdd(buf, 0, 20);
    expect(foldChecksum(checksumAdd(buf, 8, 12, checksumAdd(buf, 0, 8)))).toBe(foldChecksum(whole));
  });

  it("folds sums of 64 KiB of 0xff without losing carries", () => {
    const buf = Buffer.alloc(65536, 0xff);
    expect(foldChecksum(checksumAdd(buf, 0, buf.length))).toBe(0xffff);
    expect(internetChecksum(buf, 0, buf.length)).toBe(0);
  });

  it("treats an all-zero range as invalid (its checksum would be 0xffff)", () => {
    expect(checksumIsValid(Buffer.alloc(20), 0, 20)).toBe(false);
    expect(finishChecksum(0)).toBe(0xffff);
  });
});

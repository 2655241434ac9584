import { describe, expect, it } from "vitest";
import {
  checksumAdd, checksumIsValid, checksumUpdate16, checksumUpdate32, finishChecksum, foldChecksum, internetChecksum,
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

describe("incremental update (RFC 1624)", () => {
  it("gives 0x0000, not 0xffff, in the RFC 1624 section 4 example", () => {
    expect(checksumUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it("matches a full recomputation after one 16-bit word changes", () => {
    const buf = Buffer.from("4500005612354000402f0000c6120001c6120002", "hex");
    buf.writeUInt16BE(internetChecksum(buf, 0, 20), 10);
    for (const ttlProto of [0x3f2f, 0x0111, 0xff06, 0x0000]) {
      const copy = Buffer.from(buf);
      const old = copy.readUInt16BE(8);
      copy.writeUInt16BE(ttlProto, 8);
      const updated = checksumUpdate16(copy.readUInt16BE(10), old, ttlProto);
      copy.writeUInt16BE(updated, 10);
      expect(checksumIsValid(copy, 0, 20)).toBe(true);
    }
  });

  it("matches a full recomputation after a 32-bit field (a TCP sequence number) changes", () => {
    const buf = Buffer.from("9c40145101020305a0b0c0d15018faf0000000006865", "hex");
    buf.writeUInt16BE(internetChecksum(buf, 0, buf.length), 16);
    for (const seq of [0x01020305 + 1448, 0xffffffff, 0, 0x80000000]) {
      const copy = Buffer.from(buf);
      const old = copy.readUInt32BE(4);
      copy.writeUInt32BE(seq >>> 0, 4);
      copy.writeUInt16BE(checksumUpdate32(copy.readUInt16BE(16), old, seq >>> 0), 16);
      expect(checksumIsValid(copy, 0, copy.length)).toBe(true);
    }
  });
});

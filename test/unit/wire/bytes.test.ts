import { describe, expect, it } from "vitest";
import { get16, get16le, get32, put16, put16le, put32 } from "../../../src/wire/bytes.js";

describe("byte-indexed integer fields", () => {
  it("read big-endian 16- and 32-bit values, unsigned", () => {
    const buf = Buffer.from("00ff8001fffffffe", "hex");
    expect(get16(buf, 1)).toBe(0xff80);
    expect(get32(buf, 4)).toBe(0xfffffffe);
    expect(get32(buf, 0)).toBe(buf.readUInt32BE(0));
  });

  it("write big-endian values, truncating to the field's width", () => {
    const buf = Buffer.alloc(8);
    put16(buf, 0, 0x12345);
    put32(buf, 2, 0xdeadbeef);
    expect(buf.toString("hex")).toBe("2345deadbeef0000");
    put32(buf, 4, -1);
    expect(get32(buf, 4)).toBe(0xffffffff);
  });

  it("read and write little-endian 16-bit values", () => {
    const buf = Buffer.alloc(2);
    put16le(buf, 0, 1448);
    expect(buf.toString("hex")).toBe("a805");
    expect(get16le(buf, 0)).toBe(1448);
  });
});

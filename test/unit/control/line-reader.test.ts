// Bounded line splitting for the control socket: lines across chunks, the length limit, linear cost.
import { describe, expect, it } from "vitest";
import { LineReader } from "../../../src/control/line-reader.js";

const bytes = (s: string): Buffer => Buffer.from(s, "utf8");

describe("LineReader", () => {
  it("returns complete lines, joining a line split over chunks (also inside a UTF-8 character)", () => {
    const r = new LineReader(100);
    expect(r.push(bytes('{"a":1}\n{"b"'))).toEqual({ lines: ['{"a":1}'], overlong: false });
    const euro = bytes("€");
    expect(r.push(Buffer.concat([bytes(':"'), euro.subarray(0, 1)]))).toEqual({ lines: [], overlong: false });
    expect(r.push(Buffer.concat([euro.subarray(1), bytes('"}\n\nx\n')]))).toEqual({ lines: ['{"b":"€"}', "", "x"], overlong: false });
  });

  it("accepts a line of exactly the limit and reports one byte more as overlong, complete lines before it kept", () => {
    expect(new LineReader(4).push(bytes("abcd\n"))).toEqual({ lines: ["abcd"], overlong: false });
    expect(new LineReader(4).push(bytes("ok\nabcde\n"))).toEqual({ lines: ["ok"], overlong: true });
    const r = new LineReader(4);
    expect(r.push(bytes("abc")).overlong).toBe(false);
    expect(r.push(bytes("de")).overlong).toBe(true);
  });

  it("absorbs a 16 MB line in 64 KiB chunks in linear time (no rescanning of what it has seen)", () => {
    const r = new LineReader(32 * 1024 * 1024);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const started = performance.now();
    for (let i = 0; i < 256; i++) expect(r.push(chunk).lines).toHaveLength(0);
    const { lines } = r.push(bytes("\n"));
    expect(performance.now() - started).toBeLessThan(500);
    expect(lines[0]).toHaveLength(16 * 1024 * 1024);
  });
});

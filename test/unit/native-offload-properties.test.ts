// Property tests of the native offloads driven from JS: whatever arguments and bytes they get,
// tsoSplit, groCoalesce and vnetFinishBatch return a number or throw a TypeError/RangeError for
// bad arguments, and never take the process down (issue 10, "Fuzzing").
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadNative } from "../../src/io/native.js";

const addon = loadNative();

/** Anything JS may pass: numbers of every kind, typed arrays of every size, other values. */
const anyArg = fc.oneof(
  fc.integer({ min: -2, max: 70_000 }),
  fc.constantFrom(0, 1, 2 ** 32, 2 ** 32 - 1, -1, 0.5, Number.NaN, Infinity),
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.integer({ min: 0, max: 64 }).map((n) => new Uint32Array(n)),
  fc.integer({ min: 0, max: 64 }).map((n) => new Uint16Array(n)),
  fc.constantFrom(undefined, null, "12", {}, [], true),
);

/** Calls fn; passes when it returned a number or threw a TypeError/RangeError. */
function numberOrArgumentError(fn: () => unknown): boolean {
  try {
    return typeof fn() === "number";
  } catch (err) {
    return err instanceof TypeError || err instanceof RangeError;
  }
}

type Call = (...args: unknown[]) => unknown;
const call = (name: "tsoSplit" | "groCoalesce" | "vnetFinishBatch"): Call => addon[name] as unknown as Call;

describe("native offloads under random arguments", () => {
  for (const [name, arity] of [["tsoSplit", 10], ["groCoalesce", 12], ["vnetFinishBatch", 5]] as const) {
    it(`${name}: a number or a TypeError/RangeError, whatever the arguments`, () => {
      fc.assert(fc.property(fc.array(anyArg, { minLength: 0, maxLength: arity + 1 }), (args) =>
        numberOrArgumentError(() => call(name)(...args))), { numRuns: 3000 });
    });
  }
});

/** A virtio-net header (often a plausible one) in front of random or frame-like bytes. */
const vnetFrame = fc.record({
  flags: fc.constantFrom(0, 1, 3, 0xff),
  gsoType: fc.constantFrom(0, 1, 3, 4, 5, 0x81, 0x84, 0xff),
  hdrLen: fc.integer({ min: 0, max: 0xffff }),
  gsoSize: fc.oneof(fc.constantFrom(0, 1, 47, 48, 1448), fc.integer({ min: 0, max: 0xffff })),
  csumStart: fc.oneof(fc.constantFrom(34, 38, 54, 62), fc.integer({ min: 0, max: 0xffff })),
  csumOffset: fc.constantFrom(6, 16, 0xffff),
  ethertype: fc.constantFrom(0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806),
  body: fc.uint8Array({ minLength: 0, maxLength: 3000 }),
}).map((r) => {
  const b = Buffer.alloc(10 + 14 + r.body.length);
  b[0] = r.flags;
  b[1] = r.gsoType;
  b.writeUInt16LE(r.hdrLen, 2);
  b.writeUInt16LE(r.gsoSize, 4);
  b.writeUInt16LE(r.csumStart, 6);
  b.writeUInt16LE(r.csumOffset, 8);
  b.writeUInt16BE(r.ethertype, 22);
  Buffer.from(r.body).copy(b, 24);
  if (r.body.length > 0) b[24] = r.ethertype === 0x86dd ? 0x60 | (b[24]! & 15) : 0x40 | (b[24]! & 15);
  return b;
});

describe("native offloads under random frames in well-formed arguments", () => {
  it("tsoSplit returns -2..n and keeps every message inside the destination", () => {
    fc.assert(fc.property(vnetFrame, fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 70_000 }), (vf, elen, maxMessage) => {
      const src = Buffer.concat([Buffer.alloc(6), vf]);
      const dst = Buffer.alloc(96 * 1024);
      const out = new Uint32Array(3 * 1100);
      const n = addon.tsoSplit(src, 16, vf.length - 10, dst, 0, dst.length, Buffer.alloc(16, 0xee), elen, maxMessage, out);
      expect(n).toBeGreaterThanOrEqual(-2);
      for (let m = 0; m < n; m++) expect(out[3 * m]! + out[3 * m + 1]!).toBeLessThanOrEqual(dst.length);
    }), { numRuns: 2000 });
  });

  it("vnetFinishBatch drops exactly the frames it zeroes", () => {
    fc.assert(fc.property(fc.array(vnetFrame, { minLength: 1, maxLength: 8 }), (frames) => {
      const slot = 3100;
      const slab = Buffer.alloc(frames.length * slot);
      const lengths = new Uint32Array(frames.length);
      frames.forEach((f, i) => {
        f.copy(slab, i * slot);
        lengths[i] = f.length;
      });
      const dropped = addon.vnetFinishBatch(slab, slot, 0, lengths, frames.length);
      expect(dropped).toBe(lengths.filter((l) => l === 0).length);
    }), { numRuns: 1000 });
  });

  it("groCoalesce keeps every record inside its output buffer", () => {
    const out = Buffer.alloc(80 * 1024);
    const records = new Uint32Array(16 * 6);
    fc.assert(fc.property(fc.array(fc.tuple(vnetFrame, fc.integer({ min: 0, max: 2000 })), { minLength: 1, maxLength: 6 }),
      fc.constantFrom(0, 8, 16, 255), (datagrams, encapLen) => {
        const slot = 3100;
        const slab = Buffer.alloc(datagrams.length * slot);
        const lengths = new Uint32Array(datagrams.length);
        const segs = new Uint16Array(datagrams.length);
        datagrams.forEach(([d, seg], i) => {
          d.copy(slab, i * slot);
          lengths[i] = d.length;
          segs[i] = seg;
        });
        const cursor = new Uint32Array(4);
        for (let calls = 0; calls < 50 && cursor[0]! < datagrams.length; calls++) {
          const n = addon.groCoalesce(slab, slot, 0, lengths, segs, new Uint8Array(16 * datagrams.length), datagrams.length,
            encapLen, cursor, out, records, 16, calls % 2 === 0 ? 0 : 1464);
          for (let r = 0; r < n; r++) expect(records[6 * r]! + records[6 * r + 1]!).toBeLessThanOrEqual(out.length);
        }
      }), { numRuns: 1000 });
  });
});

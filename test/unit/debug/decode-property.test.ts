// Decode is for bad packets above all: whatever the bytes, it answers with layers and problems, never an exception.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePacket } from "../../../src/debug/decode.js";
import { formatPacket } from "../../../src/debug/format.js";
import { decodeInput } from "../../../src/debug/input.js";
import type { LinkStart } from "../../../src/debug/packet.js";
import { ALL_VECTORS, pcapFile } from "../wire/vectors.js";

const STARTS: LinkStart[] = ["eth", "ip", "sll", "sll2", "vxlan", "gre"];

/** Decodes, prints and serialises: all three must go through for any input. */
function survives(bytes: Buffer, start: LinkStart): void {
  const p = decodePacket(bytes, start, { number: 1 });
  formatPacket(p);
  JSON.stringify(p);
}

const vector = fc.constantFrom(...ALL_VECTORS.map((v, i) => ({ i, v })));
// Bytes the decoder branches on (flags, lengths, versions), so random mutations reach the checks.
const interesting = fc.constantFrom(0x00, 0x01, 0x08, 0x0f, 0x40, 0x45, 0x4f, 0x60, 0x80, 0x81, 0x88, 0xa8, 0xb0, 0xff);

describe("decode never throws", () => {
  it("on random bytes from any start", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...STARTS), (bytes, start) => {
      survives(Buffer.from(bytes), start);
    }), { numRuns: 3000 });
  });

  it("on every truncation of every valid vector", () => {
    for (const v of ALL_VECTORS) {
      for (let n = 0; n <= v.length; n++) for (const start of STARTS) survives(Buffer.from(v.subarray(0, n)), start);
    }
  });

  it("on valid vectors with random bytes overwritten, then truncated", () => {
    fc.assert(fc.property(vector, fc.array(fc.tuple(fc.nat(), fc.oneof(interesting, fc.integer({ min: 0, max: 255 }))), { maxLength: 6 }), fc.nat(),
      ({ v }, edits, cut) => {
        const b = Buffer.from(v);
        for (const [at, value] of edits) b[at % b.length] = value;
        survives(b.subarray(0, cut % (b.length + 1)), "eth");
      }), { numRuns: 3000 });
  });

  it("on pcap files cut anywhere", () => {
    const file = pcapFile(ALL_VECTORS);
    for (let n = 24; n <= file.length; n++) expect(() => decodeInput(file.subarray(0, n))).not.toThrow();
  });

  it("on pcapng files cut anywhere", () => {
    const file = readFileSync(new URL("../../vectors/wire.pcapng", import.meta.url));
    for (let n = 4; n <= file.length; n++) expect(() => decodeInput(file.subarray(0, n))).not.toThrow();
  });
});

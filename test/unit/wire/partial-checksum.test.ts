import { describe, expect, it } from "vitest";
import { finishPartialChecksum, partialChecksumField } from "../../../src/wire/partial-checksum.js";
import { checksumAdd, foldChecksum } from "../../../src/wire/checksum.js";
import { pseudoHeaderSum } from "../../../src/wire/ip.js";
import { tcpChecksumIsValid } from "../../../src/wire/tcp.js";
import { udpChecksumIsValid } from "../../../src/wire/udp.js";
import { partialFrame, pattern, tcpFrame, udpFrame } from "../../helpers/offload-frames.js";

const where = { l4: 0, end: 0 };

describe("partial TCP/UDP checksums (CHECKSUM_PARTIAL from a same-host sender)", () => {
  it("finds a partial TCP/IPv4 checksum and finishes it to the complete one", () => {
    const complete = tcpFrame({ flags: 0x18, payload: pattern(700) });
    const partial = partialFrame(complete);
    expect(partial).not.toEqual(complete);
    expect(partialChecksumField(partial, 0, partial.length, where)).toBe(34 + 16);
    expect(finishPartialChecksum(partial, 0, partial.length)).toBe(true);
    expect(partial).toEqual(complete);
  });

  it("finishes TCP over IPv6 and UDP over IPv4", () => {
    for (const complete of [tcpFrame({ v6: true, payload: pattern(333) }), udpFrame(pattern(99))]) {
      const partial = partialFrame(complete);
      expect(finishPartialChecksum(partial, 0, partial.length)).toBe(true);
      expect(partial).toEqual(complete);
    }
  });

  it("walks an IPv6 hop-by-hop header to the TCP header", () => {
    const plain = tcpFrame({ v6: true, payload: pattern(64) });
    // Insert an 8-byte hop-by-hop header (next header TCP, PadN) after the IPv6 header.
    const hbh = Buffer.from([6, 0, 1, 4, 0, 0, 0, 0]);
    const f = Buffer.concat([plain.subarray(0, 54), hbh, plain.subarray(54)]);
    f[20] = 0;
    f.writeUInt16BE(plain.readUInt16BE(18) + 8, 18);
    const tcpLen = f.length - 62;
    // The pseudo-header sum is the same as without the extension header (same length, addresses, protocol).
    f.writeUInt16BE(partialFrame(plain).readUInt16BE(54 + 16), 62 + 16);
    expect(partialChecksumField(f, 0, f.length, where)).toBe(62 + 16);
    expect(finishPartialChecksum(f, 0, f.length)).toBe(true);
    const check = Buffer.concat([f.subarray(0, 54), f.subarray(62)]);
    check[20] = 6;
    check.writeUInt16BE(tcpLen, 18);
    expect(tcpChecksumIsValid(check, 14, 54, tcpLen)).toBe(true);
  });

  it("leaves a complete checksum, a wrong checksum, a fragment and non-TCP/UDP untouched", () => {
    const complete = udpFrame(pattern(200));
    const wrong = Buffer.from(complete);
    wrong.writeUInt16BE(wrong.readUInt16BE(40) ^ 0x1234, 40);
    const fragment = partialFrame(udpFrame(pattern(200)));
    fragment.writeUInt16BE(0x2000, 20);
    const icmp = partialFrame(udpFrame(pattern(200)));
    icmp[23] = 1;
    for (const f of [complete, wrong, fragment, icmp]) {
      const before = Buffer.from(f);
      expect(finishPartialChecksum(f, 0, f.length)).toBe(false);
      expect(f).toEqual(before);
    }
    expect(udpChecksumIsValid(wrong, 14, 34, wrong.length - 34)).toBe(false);
  });

  it("never spoils a complete checksum that happens to equal the pseudo-header sum: finishing rewrites the same value", () => {
    // Build such a frame: put the pseudo-header sum in the field, then choose the first payload
    // word so that the whole segment sums to 0xffff (a valid checksum).
    const f = partialFrame(tcpFrame({ payload: pattern(40) }));
    f.writeUInt16BE(0, 54);
    const sum = foldChecksum(checksumAdd(f, 34, f.length - 34, pseudoHeaderSum(f, 14, 6, f.length - 34)));
    f.writeUInt16BE(~sum & 0xffff, 54);
    expect(tcpChecksumIsValid(f, 14, 34, f.length - 34)).toBe(true);
    expect(partialChecksumField(f, 0, f.length, where)).toBe(50);
    const before = Buffer.from(f);
    expect(finishPartialChecksum(f, 0, f.length)).toBe(true);
    expect(f).toEqual(before);
  });

  it("ignores truncated frames and frames whose IP length runs past the buffer", () => {
    const f = partialFrame(tcpFrame({ payload: pattern(100) }));
    for (let len = 0; len < f.length; len += 9) expect(partialChecksumField(f, 0, len, where)).toBe(-1);
  });
});

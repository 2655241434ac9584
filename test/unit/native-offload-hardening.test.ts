// The native TSO split and partial-checksum pass refuse what they cannot handle safely: overlapping
// views of one buffer, absurd segment sizes, IPv6 extension headers they cannot walk, checksum
// offsets outside the frame (issue 10).
import { describe, expect, it } from "vitest";
import { RxBatch } from "../../src/io/batch.js";
import { loadNative } from "../../src/io/native.js";
import { maxGsoMessage } from "../../src/dataplane/offload.js";
import { foldChecksum } from "../../src/wire/checksum.js";
import { pseudoHeaderSum } from "../../src/wire/ip.js";
import { tcpChecksumIsValid } from "../../src/wire/tcp.js";
import {
  VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, writeVirtioNetHdr,
} from "../../src/wire/virtio-net.js";
import { gsoFrame, pattern, tcpFrame } from "../helpers/offload-frames.js";
import { buildOffloadRig } from "../helpers/offload-rig.js";

const addon = loadNative();
const VXLAN42 = Buffer.from("0800000000002a00", "hex");
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;

/** tsoSplit of [vnet][frame] at offset 64 of its own slab into a separate 256 KiB destination. */
function split(vnetAndFrame: Buffer): { n: number; dst: Buffer; out: Uint32Array } {
  const src = Buffer.alloc(64 + vnetAndFrame.length);
  vnetAndFrame.copy(src, 64);
  const dst = Buffer.alloc(256 * 1024);
  const out = new Uint32Array(3 * 1100);
  const n = addon.tsoSplit(src, 74, vnetAndFrame.length - 10, dst, 0, dst.length, VXLAN42, 8, maxGsoMessage(6), out);
  return { n, dst, out };
}

/**
 * An IPv6 TCP super-frame with one 8-byte extension header (type ext, its byte 3 = segsLeft)
 * between the IPv6 and TCP headers, behind a NEEDS_CSUM/TCPV6 virtio-net header whose csum_start
 * is csumStart (default: the real TCP header).
 */
function v6WithExtension(ext: number, payload: Buffer, mss: number, opts: { segsLeft?: number; csumStart?: number } = {}): Buffer {
  const plain = tcpFrame({ v6: true, flags: 0x10, payload });
  const f = Buffer.alloc(plain.length + 8);
  plain.copy(f, 0, 0, 54);
  plain.copy(f, 62, 54);
  f[14 + 6] = ext;
  f.writeUInt16BE(plain.readUInt16BE(18) + 8, 18);
  f[54] = 6; // next header: TCP
  f[55] = 0; // 8 bytes long
  f[54 + 2] = 1; // PadN of 4 bytes (a routing header reads this as its type)
  f[54 + 3] = opts.segsLeft ?? 0;
  const l4 = 62;
  const tcpLen = f.length - l4;
  f.writeUInt16BE(foldChecksum(pseudoHeaderSum(f, 14, 6, tcpLen)), l4 + 16);
  const out = Buffer.alloc(10 + f.length);
  writeVirtioNetHdr(out, 0, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, l4 + 20, mss, opts.csumStart ?? l4, 16);
  f.copy(out, 10);
  return out;
}

describe("tsoSplit refuses unsafe input", () => {
  const superFrame = tcpFrame({ flags: 0x10, payload: pattern(3000) });

  it("refuses a destination that is another view of the frame's memory", () => {
    const whole = Buffer.alloc(64 * 1024);
    gsoFrame(superFrame, 1000).copy(whole, 64);
    const src = Buffer.from(whole.buffer, whole.byteOffset, 32 * 1024);
    // A second view starting inside the frame: the base pointers differ, the bytes do not.
    const dst = Buffer.from(whole.buffer, whole.byteOffset + 1000, 40 * 1024);
    expect(() => addon.tsoSplit(src, 74, superFrame.length, dst, 0, dst.length, VXLAN42, 8, 65507, new Uint32Array(30)))
      .toThrow(RangeError);
  });

  it("refuses a destination that overlaps the encapsulation template", () => {
    const src = Buffer.alloc(74 + superFrame.length);
    gsoFrame(superFrame, 1000).copy(src, 64);
    const dst = Buffer.alloc(64 * 1024);
    const encap = dst.subarray(100, 108);
    expect(() => addon.tsoSplit(src, 74, superFrame.length, dst, 0, dst.length, encap, 8, 65507, new Uint32Array(30)))
      .toThrow(RangeError);
  });

  it("leaves `trailer` free bytes behind every segment, 0 when it is undefined, and refuses one over 32", () => {
    const src = Buffer.alloc(64 + 10 + superFrame.length);
    gsoFrame(superFrame, 1000).copy(src, 64);
    const run = (trailer?: number): Uint32Array => {
      const out = new Uint32Array(30);
      expect(addon.tsoSplit(src, 74, superFrame.length, Buffer.alloc(65536), 0, 65536, VXLAN42, 8, 65507, out, trailer)).toBe(1);
      return out;
    };
    const plain = run(undefined);
    expect(run(0)).toEqual(plain);
    const sealed = run(16);
    expect(sealed[2]).toBe(plain[2]! + 16);
    expect(sealed[1]).toBe(plain[1]! + 3 * 16);
    expect(() => run(33)).toThrow(/trailer 33 must be at most 32/);
  });

  it(`calls a TCP segment size below ${48} malformed (-1), not a full destination`, () => {
    for (const mss of [1, 8, 47]) expect(split(gsoFrame(superFrame, mss)).n).toBe(-1);
    expect(split(gsoFrame(superFrame, 48)).n).toBeGreaterThan(0);
  });

  it("walks an IPv6 hop-by-hop header to the TCP header and splits with valid checksums", () => {
    const payload = pattern(2500, 3);
    const { n, dst, out } = split(v6WithExtension(HOP_BY_HOP, payload, 1000));
    expect(n).toBe(1);
    const segSize = out[2]!;
    expect(segSize).toBe(8 + 82 + 1000);
    for (let k = 0; k < 3; k++) {
      const seg = dst.subarray(out[0]! + k * segSize, Math.min(out[0]! + (k + 1) * segSize, out[0]! + out[1]!));
      const f = seg.subarray(8);
      expect(f.readUInt16BE(18)).toBe(f.length - 54);
      expect(tcpChecksumIsValid(f, 14, 62, f.length - 62)).toBe(true);
      expect(f.subarray(82).equals(payload.subarray(k * 1000, (k + 1) * 1000))).toBe(true);
    }
  });

  it("refuses fragment headers, routing headers with segments left, and a csum_start past the TCP header", () => {
    expect(split(v6WithExtension(FRAGMENT, pattern(2500), 1000)).n).toBe(-1);
    expect(split(v6WithExtension(ROUTING, pattern(2500), 1000, { segsLeft: 1 })).n).toBe(-1);
    expect(split(v6WithExtension(ROUTING, pattern(2500), 1000)).n).toBe(1);
    expect(split(v6WithExtension(HOP_BY_HOP, pattern(2500), 1000, { csumStart: 62 + 40 })).n).toBe(-1);
  });
});

describe("vnetFinishBatch with checksum offsets outside the frame", () => {
  it("drops the frame (length 0), returns and counts it, and finishes the good ones", () => {
    const rx = new RxBatch(3, 4096);
    const good = gsoFrame(tcpFrame({ payload: pattern(333) }), 0);
    good[1] = 0;
    const bad = Buffer.from(good);
    bad.writeUInt16LE(bad.length, 6); // csum_start past the end
    const bad2 = Buffer.from(good);
    bad2.writeUInt16LE(0xfff0, 8); // csum_offset past the end
    [good, bad, bad2].forEach((f, i) => {
      f.copy(rx.slab, rx.offsetOf(i));
      rx.lengths[i] = f.length;
    });
    const before = addon.ioCounters().badChecksumOffsets;
    expect(addon.vnetFinishBatch(rx.slab, rx.slotSize, rx.headroom, rx.lengths, 3)).toBe(2);
    expect(Array.from(rx.lengths.subarray(0, 3))).toEqual([good.length, 0, 0]);
    expect(addon.ioCounters().badChecksumOffsets - before).toBe(2);
    const f = rx.offsetOf(0) + 10;
    expect(rx.slab[rx.offsetOf(0)]).toBe(0);
    expect(tcpChecksumIsValid(rx.slab, f + 14, f + 34, good.length - 10 - 34)).toBe(true);
  });
});

describe("egress with a frame whose partial checksum cannot be finished", () => {
  it("drops it as badOffload instead of sending it with NEEDS_CSUM's half-done checksum", () => {
    const rig = buildOffloadRig({ gso: true });
    const good = gsoFrame(tcpFrame({ payload: pattern(300) }), 0);
    good[1] = 0;
    const bad = Buffer.from(good);
    bad.writeUInt16LE(bad.length + 100, 6);
    rig.tap.frames = [bad, good];
    rig.tap.perBatch = 2;
    rig.socket.record = true;
    rig.egress.onReadable();
    expect(rig.socket.sent).toHaveLength(1);
    expect(rig.stats.egress.toJSON().drops).toEqual({ badOffload: 1 });
    expect(rig.stats.egress.frames).toBe(1);
  });
});

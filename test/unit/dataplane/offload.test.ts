// The native offloads on hand-built frames: partial checksums, the TSO/USO split (egress) and TCP
// coalescing (ingress), with every checksum checked by src/wire's own functions.
import { describe, expect, it } from "vitest";
import { RxBatch } from "../../../src/io/batch.js";
import { loadNative } from "../../../src/io/native.js";
import { GroCoalescer, maxGsoMessage } from "../../../src/dataplane/offload.js";
import { GRO_ENCAP_GRE, GRO_RECORD } from "../../../src/io/native-abi.js";
import { ipv4ChecksumIsValid } from "../../../src/wire/ipv4.js";
import { tcpChecksumIsValid } from "../../../src/wire/tcp.js";
import { udpChecksumIsValid } from "../../../src/wire/udp.js";
import {
  completePartialChecksum, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6, vnetCsumOffset, vnetCsumStart, vnetFlags, vnetGsoSize, vnetGsoType, vnetHdrLen,
} from "../../../src/wire/virtio-net.js";
import { grePacket, gsoFrame, partialFrame, pattern, tcpFrame, udpFrame, vxlanPacket } from "../../helpers/offload-frames.js";

const addon = loadNative();
const VXLAN42 = Buffer.from("0800000000002a00", "hex");
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
const CWR = 0x80;
const TIMESTAMPS = (tsval: number): Buffer => {
  const o = Buffer.from("0101080a0000000000000000", "hex");
  o.writeUInt32BE(tsval, 4);
  o.writeUInt32BE(99, 8);
  return o;
};

interface Split {
  messages: { off: number; len: number; seg: number }[];
  /** Each segment as [encap][frame]. */
  segments: Buffer[];
  n: number;
}

/** Runs tsoSplit on [vnet][frame] placed at offset 64 of a slab; segments land in a separate buffer. */
function split(vnetAndFrame: Buffer, encap = VXLAN42, maxMessage = maxGsoMessage(4)): Split {
  const src = Buffer.alloc(64 + vnetAndFrame.length);
  vnetAndFrame.copy(src, 64);
  const dst = Buffer.alloc(256 * 1024);
  const out = new Uint32Array(3 * 64);
  const n = addon.tsoSplit(src, 74, vnetAndFrame.length - 10, dst, 16, dst.length, encap, encap.length, maxMessage, out);
  const messages: Split["messages"] = [];
  const segments: Buffer[] = [];
  for (let m = 0; m < n; m++) {
    const [off, len, seg] = [out[3 * m]!, out[3 * m + 1]!, out[3 * m + 2]!];
    messages.push({ off, len, seg });
    const step = seg || len;
    for (let o = off; o < off + len; o += step) segments.push(Buffer.from(dst.subarray(o, Math.min(o + step, off + len))));
  }
  return { messages, segments, n };
}

describe("tsoSplit (egress TAP super-frame -> encapsulated segments)", () => {
  const payload = pattern(1000);
  const superFrame = tcpFrame({ seq: 0xfffffe00, ipId: 0xfffe, flags: ACK | PSH, payload });

  it("cuts an IPv4 TCP super-frame into MSS segments, each with fixed headers and full checksums", () => {
    const { n, messages, segments } = split(gsoFrame(superFrame, 300));
    expect(n).toBe(1);
    expect(messages[0]).toEqual({ off: 16, len: 3 * (8 + 54 + 300) + 8 + 54 + 100, seg: 8 + 54 + 300 });
    expect(segments.map((s) => s.length - 62)).toEqual([300, 300, 300, 100]);
    segments.forEach((s, k) => {
      expect(s.subarray(0, 8).equals(VXLAN42)).toBe(true);
      const f = s.subarray(8);
      expect(f.subarray(0, 14).equals(superFrame.subarray(0, 14))).toBe(true);
      expect(f.readUInt16BE(16), "IPv4 total length").toBe(f.length - 14);
      expect(f.readUInt16BE(18), "IPv4 id").toBe((0xfffe + k) & 0xffff);
      expect(ipv4ChecksumIsValid(f, 14)).toBe(true);
      expect(f.readUInt32BE(38), "sequence number").toBe((0xfffffe00 + 300 * k) >>> 0);
      expect(f[47], "flags").toBe(k === 3 ? ACK | PSH : ACK);
      expect(tcpChecksumIsValid(f, 14, 34, f.length - 34), `TCP checksum of segment ${k}`).toBe(true);
      expect(f.subarray(54).equals(payload.subarray(300 * k, 300 * k + 300))).toBe(true);
    });
  });

  it("keeps CWR on the first segment only and FIN on the last only", () => {
    const { segments } = split(gsoFrame(tcpFrame({ flags: ACK | CWR | FIN | PSH, payload: pattern(150) }), 50));
    expect(segments.map((s) => s[8 + 47])).toEqual([ACK | CWR, ACK, ACK | FIN | PSH]);
  });

  it("groups the segments into UDP_SEGMENT messages of at most maxMessage bytes", () => {
    const { messages, segments } = split(gsoFrame(superFrame, 300), VXLAN42, 800);
    expect(messages).toEqual([
      { off: 16, len: 724, seg: 362 },
      { off: 16 + 724, len: 362 + 162, seg: 362 },
    ]);
    expect(segments).toHaveLength(4);
  });

  it("cuts IPv6 TCP with the payload length fixed per segment", () => {
    const frame = tcpFrame({ v6: true, options: TIMESTAMPS(5), payload: pattern(250), flags: ACK | PSH });
    const { segments } = split(gsoFrame(frame, 100));
    expect(segments.map((s) => s.length - 8 - 86)).toEqual([100, 100, 50]);
    segments.forEach((s, k) => {
      const f = s.subarray(8);
      expect(f.readUInt16BE(18)).toBe(f.length - 54);
      expect(f.subarray(74, 86).equals(TIMESTAMPS(5))).toBe(true);
      expect(tcpChecksumIsValid(f, 14, 54, f.length - 54), `segment ${k}`).toBe(true);
    });
  });

  it("cuts UDP super-frames (USO) with the UDP length and checksum fixed per segment", () => {
    const payload = pattern(2500, 3);
    const { segments } = split(gsoFrame(udpFrame(payload), 1000), Buffer.alloc(0));
    expect(segments.map((s) => s.length - 42)).toEqual([1000, 1000, 500]);
    segments.forEach((f, k) => {
      expect(f.readUInt16BE(38)).toBe(f.length - 34);
      expect(f.readUInt16BE(18)).toBe(0x2000 + k);
      expect(ipv4ChecksumIsValid(f, 14)).toBe(true);
      expect(udpChecksumIsValid(f, 14, 34, f.length - 34)).toBe(true);
      expect(f.subarray(42).equals(payload.subarray(1000 * k, 1000 * k + 1000))).toBe(true);
    });
  });

  it("copies any 4..16-byte tunnel header template in front of every segment", () => {
    const gre = Buffer.from("2000655800000007", "hex");
    const { segments } = split(gsoFrame(superFrame, 500), gre);
    expect(segments).toHaveLength(2);
    for (const s of segments) expect(s.subarray(0, 8).equals(gre)).toBe(true);
  });

  it("says 0 when the destination is too small and -1 for a super-frame its header does not match", () => {
    const src = Buffer.alloc(64 + 10 + superFrame.length);
    gsoFrame(superFrame, 300).copy(src, 64);
    const out = new Uint32Array(30);
    const small = Buffer.alloc(500);
    expect(addon.tsoSplit(src, 74, superFrame.length, small, 0, small.length, VXLAN42, 8, 65507, out)).toBe(0);
    src[64 + 1] = VIRTIO_NET_HDR_GSO_TCPV6; // an IPv4 frame announced as IPv6
    const dst = Buffer.alloc(8192);
    expect(addon.tsoSplit(src, 74, superFrame.length, dst, 0, dst.length, VXLAN42, 8, 65507, out)).toBe(-1);
  });

  it("refuses a destination that overlaps the frame", () => {
    const src = Buffer.alloc(64 + 10 + superFrame.length + 8192);
    gsoFrame(superFrame, 300).copy(src, 64);
    expect(() => addon.tsoSplit(src, 74, superFrame.length, src, 100, src.length, VXLAN42, 8, 65507, new Uint32Array(30))).toThrow(RangeError);
  });

  it("produces these known-good bytes (checked with tshark: every checksum status 1)", () => {
    const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const frame = tcpFrame({ seq: 1, ack: 2, ipId: 7, flags: ACK | PSH, payload: Buffer.from(alnum + alnum) });
    const { segments } = split(gsoFrame(frame, 48));
    expect(segments.map((s) => s.toString("hex"))).toEqual(KNOWN_GOOD_SEGMENTS);
  });
});

/**
 * tsoSplit of a 124-byte payload at MSS 48 (the smallest accepted), VNI 42 (the test above). The
 * inner frames read by TShark 4.0.17 with ip/tcp.check_checksum:TRUE: ip.checksum.status 1 and
 * tcp.checksum.status 1 for all three (0xaf72, 0x871a, 0x81fb), ip.id 7, 8, 9, tcp.seq_raw 1, 49,
 * 97, flags A, A, AP; no expert warnings.
 */
const KNOWN_GOOD_SEGMENTS = [
  "0800000000002a00020000000b0b020000000a0a08004500005800074000400626430a2a00010a2a00029c4014510000000100000002501001f6af720000303132333435363738396162636465666768696a6b6c6d6e6f707172737475767778797a4142434445464748494a4b4c",
  "0800000000002a00020000000b0b020000000a0a08004500005800084000400626420a2a00010a2a00029c4014510000003100000002501001f6871a00004d4e4f505152535455565758595a303132333435363738396162636465666768696a6b6c6d6e6f707172737475767778",
  "0800000000002a00020000000b0b020000000a0a08004500004400094000400626550a2a00010a2a00029c4014510000006100000002501801f681fb0000797a4142434445464748494a4b4c4d4e4f505152535455565758595a",
];

describe("vnetFinishBatch (partial checksums from the TAP)", () => {
  it("finishes a NEEDS_CSUM frame's checksum, clears the flag and leaves GSO frames to the split", () => {
    const rx = new RxBatch(2, 4096);
    const plain = gsoFrame(tcpFrame({ payload: pattern(333) }), 0);
    plain[1] = 0; // not GSO: only the partial checksum
    const big = gsoFrame(tcpFrame({ payload: pattern(3000) }), 1000);
    plain.copy(rx.slab, rx.offsetOf(0));
    big.copy(rx.slab, rx.offsetOf(1));
    rx.lengths[0] = plain.length;
    rx.lengths[1] = big.length;
    expect(addon.vnetFinishBatch(rx.slab, rx.slotSize, rx.headroom, rx.lengths, 2)).toBe(0); // none dropped
    const f = rx.offsetOf(0) + 10;
    expect(rx.slab[rx.offsetOf(0)]).toBe(0);
    expect(tcpChecksumIsValid(rx.slab, f + 14, f + 34, plain.length - 10 - 34)).toBe(true);
    expect(rx.slab.subarray(rx.offsetOf(1), rx.offsetOf(1) + big.length).equals(big)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Ingress coalescing

interface Datagram {
  bytes: Buffer;
  /** UDP_GRO segment size (0: one packet). */
  seg?: number;
  from?: number;
}

interface OutFrame {
  /** [vnet header][frame] */
  bytes: Buffer;
  datagram: number;
  encapOff: number;
  packets: number;
  innerBytes: number;
}

function coalesce(datagrams: Datagram[], maxRecords = 64, encapLen = 8, maxFrame = 0): { frames: OutFrame[]; calls: number; runts: number; partials: number } {
  const rx = new RxBatch(datagrams.length, 70000);
  datagrams.forEach((d, i) => {
    d.bytes.copy(rx.slab, rx.offsetOf(i));
    rx.lengths[i] = d.bytes.length;
    rx.segSizes[i] = d.seg ?? 0;
    rx.srcAddrs.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, d.from ?? 2], i * 16);
  });
  const c = new GroCoalescer(maxRecords, 0, maxFrame);
  const frames: OutFrame[] = [];
  c.begin();
  let calls = 0;
  for (;;) {
    const k = c.next(rx, datagrams.length, encapLen);
    if (k === 0) break;
    calls++;
    for (let j = 0; j < k; j++) {
      const r = c.records.subarray(j * GRO_RECORD, j * GRO_RECORD + GRO_RECORD);
      frames.push({ bytes: Buffer.from(c.out.subarray(r[0], r[0]! + r[1]!)), datagram: r[2]!, encapOff: r[3]!, packets: r[4]!, innerBytes: r[5]! });
    }
  }
  return { frames, calls, runts: c.runts, partials: c.partialChecksums };
}

/** One GRO train: VXLAN packets of equal size back to back (the last may be shorter). */
function train(packets: Buffer[]): Datagram {
  return { bytes: Buffer.concat(packets), seg: packets[0]!.length };
}

/** n consecutive segments of one flow, mss bytes each, the last with PSH. */
function flow(n: number, mss: number, o: { seq?: number; v6?: boolean; srcPort?: number; ipId?: number; lastPsh?: boolean } = {}): Buffer[] {
  const seq = o.seq ?? 5000;
  return Array.from({ length: n }, (_, k) =>
    tcpFrame({
      v6: o.v6,
      srcPort: o.srcPort,
      seq: seq + k * mss,
      ipId: (o.ipId ?? 100) + k,
      options: TIMESTAMPS(1),
      flags: ACK | ((o.lastPsh ?? true) && k === n - 1 ? PSH : 0),
      payload: pattern(mss, k),
    }),
  );
}

describe("groCoalesce (ingress tunnel packets -> TAP frames)", () => {
  it("merges a train of one TCP flow into one super-frame with a TCPV4 GSO header", () => {
    const segs = flow(5, 1398);
    const { frames } = coalesce([train(segs.map((s) => vxlanPacket(42, s)))]);
    expect(frames).toHaveLength(1);
    const out = frames[0]!;
    expect(out.packets).toBe(5);
    expect(out.innerBytes).toBe(segs.reduce((a, s) => a + s.length, 0));
    const v = out.bytes;
    expect(vnetFlags(v, 0)).toBe(VIRTIO_NET_HDR_F_NEEDS_CSUM);
    expect(vnetGsoType(v, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(vnetGsoSize(v, 0)).toBe(1398);
    expect(vnetHdrLen(v, 0)).toBe(14 + 20 + 32);
    expect(vnetCsumStart(v, 0)).toBe(34);
    expect(vnetCsumOffset(v, 0)).toBe(16);
    const f = Buffer.from(v.subarray(10));
    expect(f.length).toBe(66 + 5 * 1398);
    expect(f.readUInt16BE(16)).toBe(f.length - 14);
    expect(ipv4ChecksumIsValid(f, 14)).toBe(true);
    expect(f[47]).toBe(ACK | PSH);
    expect(f.subarray(66).equals(Buffer.concat(segs.map((s) => s.subarray(66))))).toBe(true);
    // The checksum field holds the pseudo-header sum: finishing it gives a valid segment.
    completePartialChecksum(f, 0, f.length, 34, 16);
    expect(tcpChecksumIsValid(f, 14, 34, f.length - 34)).toBe(true);
  });

  it("gives back the original segments byte for byte when its super-frame is split again", () => {
    for (const v6 of [false, true]) {
      const segs = flow(4, 1000, { v6 });
      const { frames } = coalesce([train(segs.map((s) => vxlanPacket(42, s)))]);
      expect(frames).toHaveLength(1);
      if (v6) expect(vnetGsoType(frames[0]!.bytes, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV6);
      const again = split(frames[0]!.bytes);
      expect(again.segments.map((s) => s.toString("hex"))).toEqual(segs.map((s) => vxlanPacket(42, s).toString("hex")));
    }
  });

  it("merges a flow across datagrams from the same source, and keeps interleaved flows apart", () => {
    const a = flow(6, 500, { lastPsh: false });
    const b = flow(4, 500, { srcPort: 40001, seq: 90000 });
    const { frames } = coalesce([
      train([a[0]!, a[1]!, a[2]!].map((s) => vxlanPacket(42, s))),
      train([b[0]!, b[1]!].map((s) => vxlanPacket(42, s))),
      train([a[3]!, a[4]!, a[5]!].map((s) => vxlanPacket(42, s))),
      train([b[2]!, b[3]!].map((s) => vxlanPacket(42, s))),
    ]);
    expect(frames.map((f) => f.packets)).toEqual([6, 4]);
    expect(frames.map((f) => f.datagram)).toEqual([0, 1]);
  });

  it("does not merge a segment whose checksum is wrong, and writes it unchanged behind a zero header", () => {
    const segs = flow(3, 800);
    const bad = Buffer.from(segs[1]!);
    bad[bad.length - 1]! ^= 1;
    const { frames } = coalesce([train([segs[0]!, bad, segs[2]!].map((s) => vxlanPacket(42, s)))]);
    expect(frames.map((f) => f.packets)).toEqual([1, 1, 1]);
    expect(frames[1]!.bytes.subarray(0, 10).equals(Buffer.alloc(10))).toBe(true);
    expect(frames[1]!.bytes.subarray(10).equals(bad)).toBe(true);
    // A lone segment is written as it came: no offload claimed.
    expect(frames[0]!.bytes.subarray(0, 10).equals(Buffer.alloc(10))).toBe(true);
  });

  it("starts a new super-frame at a sequence gap, a changed option, or after PSH", () => {
    const segs = flow(6, 600, { lastPsh: false });
    segs[2] = tcpFrame({ seq: 5000 + 2 * 600 + 1, ipId: 102, options: TIMESTAMPS(1), payload: pattern(600, 2) });
    segs[4] = tcpFrame({ seq: 5000 + 4 * 600, ipId: 104, options: TIMESTAMPS(2), payload: pattern(600, 4) });
    segs[5] = tcpFrame({ seq: 5000 + 5 * 600, ipId: 105, options: TIMESTAMPS(2), payload: pattern(600, 5) });
    const psh = flow(4, 600, { seq: 20000, srcPort: 40009, lastPsh: false });
    psh[1] = tcpFrame({ seq: 20600, srcPort: 40009, ipId: 101, options: TIMESTAMPS(1), flags: ACK | PSH, payload: pattern(600, 1) });
    const { frames } = coalesce([train(segs.map((s) => vxlanPacket(42, s))), train(psh.map((s) => vxlanPacket(42, s)))]);
    // [0,1] | [2]: a gap | [3]: does not follow [2] | [4,5]: a new TSval; then PSH ends [0,1] of the second flow.
    expect(frames.map((f) => f.packets)).toEqual([2, 1, 1, 2, 2, 2]);
  });

  it("ends a super-frame at a segment shorter than the first, and never merges one longer", () => {
    const a = flow(3, 700, { lastPsh: false });
    const short = tcpFrame({ seq: 5000 + 3 * 700, ipId: 103, options: TIMESTAMPS(1), payload: pattern(300) });
    const after = tcpFrame({ seq: 5000 + 3 * 700 + 300, ipId: 104, options: TIMESTAMPS(1), payload: pattern(700) });
    const { frames } = coalesce([{ bytes: vxlanPacket(42, a[0]!) }, { bytes: vxlanPacket(42, a[1]!) }, { bytes: vxlanPacket(42, a[2]!) },
      { bytes: vxlanPacket(42, short) }, { bytes: vxlanPacket(42, after) }]);
    expect(frames.map((f) => f.packets)).toEqual([4, 1]);
    const longer = flow(1, 900, { seq: 5000 + 700 })[0]!;
    expect(coalesce([{ bytes: vxlanPacket(42, a[0]!) }, { bytes: vxlanPacket(42, longer) }]).frames.map((f) => f.packets)).toEqual([1, 1]);
  });

  it("never merges across tunnel headers (VNIs) or source addresses", () => {
    const segs = flow(2, 500);
    expect(coalesce([{ bytes: vxlanPacket(42, segs[0]!) }, { bytes: vxlanPacket(43, segs[1]!) }]).frames).toHaveLength(2);
    expect(coalesce([{ bytes: vxlanPacket(42, segs[0]!), from: 2 }, { bytes: vxlanPacket(42, segs[1]!), from: 3 }]).frames).toHaveLength(2);
  });

  it("leaves pure ACKs, SYNs and non-TCP frames as they are, in order", () => {
    const ack = tcpFrame({ flags: ACK, payload: Buffer.alloc(0) });
    const syn = tcpFrame({ flags: 0x02, payload: Buffer.alloc(0), options: Buffer.from("020405b4", "hex") });
    const arp = Buffer.concat([Buffer.from("ffffffffffff020000000a0a0806", "hex"), pattern(28)]);
    const udp = udpFrame(pattern(100));
    const { frames } = coalesce([ack, syn, arp, udp].map((s) => ({ bytes: vxlanPacket(42, s) })));
    expect(frames.map((f) => f.bytes.subarray(10).toString("hex"))).toEqual([ack, syn, arp, udp].map((b) => b.toString("hex")));
    for (const f of frames) expect(f.bytes.subarray(0, 10).equals(Buffer.alloc(10))).toBe(true);
  });

  it("marks a super-frame whose first segment has CWR as ECN, and merges no CWR after the first", () => {
    const segs = flow(3, 400, { lastPsh: false });
    segs[0] = tcpFrame({ seq: 5000, ipId: 100, options: TIMESTAMPS(1), flags: ACK | CWR, payload: pattern(400, 0) });
    segs[2] = tcpFrame({ seq: 5800, ipId: 102, options: TIMESTAMPS(1), flags: ACK | CWR, payload: pattern(400, 2) });
    const { frames } = coalesce([train(segs.map((s) => vxlanPacket(42, s)))]);
    expect(frames.map((f) => f.packets)).toEqual([2, 1]);
    expect(vnetGsoType(frames[0]!.bytes, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
  });

  it("resumes where it stopped when the records run out, and counts runts", () => {
    const acks = [1, 2, 3, 4, 5].map((k) => vxlanPacket(42, tcpFrame({ seq: k, payload: Buffer.alloc(0) })));
    const { frames, calls, runts } = coalesce([...acks.map((bytes) => ({ bytes })), { bytes: Buffer.alloc(12) }], 2);
    expect(frames).toHaveLength(5);
    expect(calls).toBe(3);
    expect(runts).toBe(1);
    expect(frames.map((f) => f.bytes.readUInt32BE(10 + 38))).toEqual([1, 2, 3, 4, 5]);
  });
});

describe("groCoalesce over GRE (header length read per packet)", () => {
  const gre = (datagrams: Datagram[]): OutFrame[] => coalesce(datagrams, 64, GRO_ENCAP_GRE).frames;
  const one = (b: Buffer): Datagram => ({ bytes: b });

  it("merges one flow's segments behind keyed GRE headers, sequence numbers and all", () => {
    const segs = flow(4, 1400);
    const frames = gre(segs.map((s, i) => one(grePacket({ checksum: false, key: 1000, seq: 70 + i }, s))));
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ packets: 4, innerBytes: segs.reduce((a, s) => a + s.length, 0), encapOff: 64 });
    expect(vnetGsoType(frames[0]!.bytes, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(frames[0]!.bytes.length - 10).toBe(66 + 4 * 1400);
  });

  it("merges keyless packets (4-byte header) too", () => {
    const frames = gre(flow(3, 1000).map((s) => one(grePacket({ checksum: false }, s))));
    expect(frames.map((f) => f.packets)).toEqual([3]);
  });

  it("keeps packets with another key apart", () => {
    const segs = flow(4, 1000);
    const frames = gre(segs.map((s, i) => one(grePacket({ checksum: false, key: i < 2 ? 1 : 2 }, s))));
    expect(frames.map((f) => f.packets)).toEqual([2, 2]);
  });

  it("passes packets with a checksum one by one, in order, each with its own header to verify", () => {
    const segs = flow(3, 1000);
    const frames = gre(segs.map((s) => one(grePacket({ checksum: true, key: 5 }, s))));
    expect(frames.map((f) => f.packets)).toEqual([1, 1, 1]);
    frames.forEach((f, i) => expect(f.bytes.subarray(10).equals(segs[i]!)).toBe(true));
  });

  it("does not merge other protocols or versions, and counts packets too short for header and frame", () => {
    const segs = flow(2, 1000);
    const ipv4 = grePacket({ checksum: false, protocol: 0x0800 }, segs[0]!);
    const v1 = grePacket({ checksum: false }, segs[1]!);
    v1[1] = 1;
    const { frames, runts } = coalesce([one(ipv4), one(v1), one(Buffer.from([0x20, 0, 0x65, 0x58, 0, 0, 0]))], 64, GRO_ENCAP_GRE);
    expect(frames.map((f) => f.packets)).toEqual([1, 1]);
    expect(runts).toBe(1);
  });
});

describe("groCoalesce with partial checksums (a same-host sender's CHECKSUM_PARTIAL)", () => {
  const frameOf = (out: OutFrame): Buffer => Buffer.from(out.bytes.subarray(10));

  it("merges partial segments into a GSO super-frame the kernel finishes (NEEDS_CSUM), and counts them", () => {
    const segs = flow(4, 1398).map(partialFrame);
    const { frames, partials } = coalesce([train(segs.map((s) => vxlanPacket(42, s)))]);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.packets).toBe(4);
    expect(vnetFlags(frames[0]!.bytes, 0)).toBe(VIRTIO_NET_HDR_F_NEEDS_CSUM);
    expect(vnetGsoType(frames[0]!.bytes, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(partials).toBe(4);
  });

  it("hands a lone partial TCP ACK to the TAP with NEEDS_CSUM at the TCP checksum, which then completes it", () => {
    const ack = partialFrame(tcpFrame({ flags: ACK, payload: Buffer.alloc(0) }));
    const { frames, partials } = coalesce([{ bytes: vxlanPacket(42, ack) }]);
    expect(frames).toHaveLength(1);
    const v = frames[0]!.bytes;
    expect([vnetFlags(v, 0), vnetGsoType(v, 0), vnetCsumStart(v, 0), vnetCsumOffset(v, 0)]).toEqual([VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 34, 16]);
    expect(partials).toBe(1);
    const f = frameOf(frames[0]!);
    completePartialChecksum(f, 0, f.length, 34, 16);
    expect(tcpChecksumIsValid(f, 14, 34, f.length - 34)).toBe(true);
  });

  it("marks partial UDP over IPv4 and partial TCP over IPv6 the same way", () => {
    const udp = partialFrame(udpFrame(pattern(300)));
    const tcp6 = partialFrame(tcpFrame({ v6: true, flags: ACK | PSH, payload: pattern(100) }));
    const { frames, partials } = coalesce([{ bytes: vxlanPacket(42, udp) }, { bytes: vxlanPacket(42, tcp6) }]);
    expect(frames.map((f) => [vnetFlags(f.bytes, 0), vnetCsumStart(f.bytes, 0), vnetCsumOffset(f.bytes, 0)])).toEqual([
      [VIRTIO_NET_HDR_F_NEEDS_CSUM, 34, 6],
      [VIRTIO_NET_HDR_F_NEEDS_CSUM, 54, 16],
    ]);
    expect(partials).toBe(2);
    const u = frameOf(frames[0]!);
    completePartialChecksum(u, 0, u.length, 34, 6);
    expect(udpChecksumIsValid(u, 14, 34, u.length - 34)).toBe(true);
  });

  it("leaves complete checksums alone and a wrong one wrong: no NEEDS_CSUM, nothing counted", () => {
    const good = udpFrame(pattern(300));
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0x55;
    const ack = tcpFrame({ flags: ACK, payload: Buffer.alloc(0) });
    const { frames, partials } = coalesce([good, bad, ack].map((f) => ({ bytes: vxlanPacket(42, f) })));
    expect(frames.map((f) => vnetFlags(f.bytes, 0))).toEqual([0, 0, 0]);
    expect(frameOf(frames[1]!)).toEqual(bad);
    expect(partials).toBe(0);
  });

  it("writes one TCP packet longer than the link (a sender's GSO packet that crossed the underlay whole) as a GSO frame cut to the link", () => {
    const big = partialFrame(tcpFrame({ flags: ACK | PSH, options: TIMESTAMPS(5), payload: pattern(2796) }));
    const { frames } = coalesce([{ bytes: vxlanPacket(42, big) }], 64, 8, 1450 + 14);
    expect(frames).toHaveLength(1);
    const v = frames[0]!.bytes;
    expect(vnetFlags(v, 0)).toBe(VIRTIO_NET_HDR_F_NEEDS_CSUM);
    expect(vnetGsoType(v, 0)).toBe(VIRTIO_NET_HDR_GSO_TCPV4);
    expect(vnetGsoSize(v, 0)).toBe(1450 + 14 - (14 + 20 + 32));
    expect(frameOf(frames[0]!).subarray(66)).toEqual(pattern(2796));
  });
});
